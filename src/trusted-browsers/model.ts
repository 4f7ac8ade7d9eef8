// Browsers a person trusted: after a full sign-in the portal may ask mailcode to let this
// browser stand in for the second factor for some days. A token only that browser holds,
// bound to its cookie (the continue link's binding), rotated at every use.
import { dayMs } from '../verification/limits.js';

/** Why a trust ended. */
export type TrustEnd = 'revoked' | 'replayed' | 'factors_changed' | 'address_gone';

export interface TrustedBrowser {
  id: string;
  clientId: string;
  userRef: string;
  /** The portal's words for it ("Firefox on Windows"). */
  label: string;
  tokenHash: string;
  previousTokenHash: string | null;
  bindingHash: string;
  createdAt: number;
  lastUsedAt: number;
  expiresAt: number;
  endedAt: number | null;
  endedReason: TrustEnd | null;
}

/** A browser unused this long is trusted no more, whatever its lifetime says. */
export const idleLimitMs = 14 * dayMs;

/** Trusted now: not ended, not expired, not idle past the limit. */
export const isTrusted = (b: Pick<TrustedBrowser, 'endedAt' | 'expiresAt' | 'lastUsedAt'>, now: number): boolean =>
  b.endedAt === null && now < b.expiresAt && now < b.lastUsedAt + idleLimitMs;
