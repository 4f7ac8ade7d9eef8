// A `trusted_browsers` row as either database returns it, as the domain reads it.
import type { TrustedBrowser, TrustEnd } from '../trusted-browsers/model.js';

export const toTrustedBrowser = (
  row: Omit<TrustedBrowser, 'endedReason'> & { endedReason: string | null },
): TrustedBrowser => ({
  ...row,
  endedReason: row.endedReason as TrustEnd | null,
});
