// The passkey tables' rows as either database returns them, as the domain reads them.
import type { Challenge, CeremonyKind, Passkey, PasskeyDeviceType, PasskeySettings } from '../passkeys/model.js';

type Row<T, K extends keyof T> = Omit<T, K> & { [P in K]: string };

export const toPasskey = (row: Row<Passkey, 'transports' | 'deviceType'>): Passkey => ({
  ...row,
  transports: JSON.parse(row.transports) as string[],
  deviceType: row.deviceType as PasskeyDeviceType,
});

export const passkeyRow = (p: Passkey) => ({ ...p, transports: JSON.stringify(p.transports) });

export const toPasskeySettings = (row: Row<PasskeySettings, 'origins'>): PasskeySettings => ({
  ...row,
  origins: JSON.parse(row.origins) as string[],
});

export const passkeySettingsRow = (s: PasskeySettings) => ({ ...s, origins: JSON.stringify(s.origins) });

export const toChallenge = (row: Row<Challenge, 'kind'>): Challenge => ({ ...row, kind: row.kind as CeremonyKind });
