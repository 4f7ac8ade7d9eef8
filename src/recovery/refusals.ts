// What a recovery by email refuses. A wrong code reads as any wrong code; a recovery's own
// kinds say where it stands.
import {
  type InvalidCode,
  type InvalidRequest,
  invalidCode,
  invalidRequest,
  type RefusalTable,
  refuser,
} from '../shared/domain-error.js';
import type { RecoveryStatus } from './model.js';

export type RecoveryRefusal =
  | InvalidRequest
  | InvalidCode
  | { kind: 'recovery_not_found' }
  /** The person has an open recovery already: one at a time. */
  | { kind: 'recovery_pending'; recoveryId: string }
  /** It takes no code, cancel or approval now: it is waiting, or over. */
  | { kind: 'recovery_closed'; state: RecoveryStatus }
  | { kind: 'too_many_attempts' }
  | { kind: 'code_expired' };

export const recoveryRefusals: RefusalTable<RecoveryRefusal> = {
  invalid_request: invalidRequest,
  invalid_code: invalidCode,
  recovery_not_found: {
    status: 404,
    title: 'Recovery not found',
    means: 'no such recovery for this person at this client',
    detail: () => 'No such recovery for this user reference.',
  },
  recovery_pending: {
    status: 409,
    title: 'Recovery pending',
    means: 'the person has an open recovery (its `recoveryId`): one at a time',
    detail: () => 'This person already has a recovery open; cancel it or let it end before starting another.',
    extra: (r) => ({ recoveryId: r.recoveryId }),
  },
  recovery_closed: {
    status: 409,
    title: 'Recovery closed',
    means: 'the recovery is past this step (`state`: waiting, completed, canceled or expired)',
    detail: (r) =>
      `This recovery is ${r.state.replaceAll('_', ' ')}: it takes no ${r.state === 'waiting' ? 'code' : 'change'} now.`,
    extra: (r) => ({ state: r.state }),
  },
  too_many_attempts: {
    status: 429,
    title: 'Too many attempts',
    means: "the recovery's code is locked after too many wrong codes",
    detail: () => 'Too many wrong codes for this recovery; start a new one later.',
  },
  code_expired: {
    status: 410,
    title: 'Code expired',
    means: "the recovery's code expired before it was typed",
    detail: () => "The recovery's code has expired; start a new recovery.",
  },
};

export const refuse = refuser(recoveryRefusals);
