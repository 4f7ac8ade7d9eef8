// What an authenticator app's enrolment, sign-in and recovery refuse.
import {
  type InvalidCode,
  type InvalidRequest,
  invalidCode,
  invalidRequest,
  type RefusalTable,
  refuser,
} from '../shared/domain-error.js';

export type TotpRefusal =
  | InvalidRequest
  | InvalidCode
  /** The factor refuses codes until `retryAfterMs` has passed. */
  | { kind: 'too_many_attempts'; retryAfterMs: number }
  | { kind: 'totp_not_enabled' }
  | { kind: 'totp_already_enabled' }
  | { kind: 'enrollment_not_found' }
  /** The `firstFactor` given is no unexpired email assertion of this client for this person. */
  | { kind: 'first_factor_refused' };

export const totpRefusals: RefusalTable<TotpRefusal> = {
  invalid_request: invalidRequest,
  invalid_code: invalidCode,
  too_many_attempts: {
    status: 429,
    title: 'Too many attempts',
    means: 'the factor is locked for a while, with `retryAfter` and Retry-After',
    body: 'RateLimitedProblem',
    detail: () => 'Too many wrong codes for this factor; try again later.',
    retryAfterMs: (r) => r.retryAfterMs,
  },
  totp_not_enabled: {
    status: 404,
    title: 'Authenticator app not enabled',
    means: 'the user has no authenticator app',
    detail: () => 'This user has no authenticator app enabled.',
  },
  totp_already_enabled: {
    status: 409,
    title: 'Authenticator app already enabled',
    means: "reset the user's factor first",
    detail: () => 'This user already has an authenticator app; reset it first to enrol another.',
  },
  enrollment_not_found: {
    status: 404,
    title: 'Enrollment not found',
    means: 'unknown or expired enrolment',
    detail: () => 'No such pending enrollment for this client (they expire after 10 minutes).',
  },
  first_factor_refused: {
    status: 422,
    title: 'First factor refused',
    means: '`firstFactor` is not an unexpired email assertion of this client for this `userRef`: nothing was counted',
    detail: () =>
      "firstFactor must be the email assertion mailcode gave for this person's code (sent with their userRef), before it expires.",
  },
};

export const refuse = refuser(totpRefusals);
