// An authenticator-app factor of one portal user: pending until its first code, then active.

export type TotpFactorStatus = 'pending' | 'active';

export interface TotpFactor {
  id: string;
  clientId: string;
  userRef: string;
  accountName: string;
  secretEncrypted: string;
  status: TotpFactorStatus;
  createdAt: number;
  expiresAt: number;
  confirmedAt: number | null;
  lastUsedStep: number | null;
  failedAttempts: number;
  lockedUntil: number | null;
}

export type NewTotpFactor = Pick<
  TotpFactor,
  'id' | 'clientId' | 'userRef' | 'accountName' | 'secretEncrypted' | 'createdAt' | 'expiresAt'
>;
