// A person's recovery of a lost authenticator by email, in its own words. The mailbox alone
// never takes the account at once: a right code only starts a waiting period, during which
// the person — who may still have the app — or support can stop it (SECURITY.md).

/**
 * As stored: code_sent (a code was mailed, or nothing was: a recovery for nobody reads the
 * same), waiting (the code was right; the app goes at `completesAt`), then completed,
 * canceled, or expired (the code was never typed in time).
 */
export type RecoveryStatus = 'code_sent' | 'waiting' | 'completed' | 'canceled' | 'expired';

/** What ended it: the wait ran out, support (approved or canceled), a sign-in with the app, or the portal. */
export type RecoveryEndedBy = 'wait' | 'support' | 'sign_in' | 'portal';

export interface Recovery {
  id: string;
  clientId: string;
  userRef: string;
  /** The verification whose code was mailed; null when nothing was (no authenticator or no proven address). */
  verificationId: string | null;
  status: RecoveryStatus;
  /** Wrong codes typed for a recovery that mailed nothing (a real one counts on its verification). */
  attempts: number;
  createdAt: number;
  codeExpiresAt: number;
  startedAt: number | null;
  completesAt: number | null;
  endedAt: number | null;
  endedBy: RecoveryEndedBy | null;
  /** Support's reason, when support approved or canceled it. */
  reason: string | null;
}

/** What the portal reads: a code_sent recovery past its code's expiry is expired. */
export function recoveryState(r: Pick<Recovery, 'status' | 'codeExpiresAt'>, now: number): RecoveryStatus {
  return r.status === 'code_sent' && now >= r.codeExpiresAt ? 'expired' : r.status;
}

/** Still in play: waiting for its code, or for its end. Only one per person at a time. */
export const isOpen = (r: Pick<Recovery, 'status' | 'codeExpiresAt'>, now: number): boolean => {
  const state = recoveryState(r, now);
  return state === 'code_sent' || state === 'waiting';
};

/** A waiting recovery whose time has come: the app goes now. */
export const isDue = (r: Pick<Recovery, 'status' | 'completesAt'>, now: number): boolean =>
  r.status === 'waiting' && r.completesAt !== null && r.completesAt <= now;
