// The one place HTTP words are chosen: the problem codes of SPEC, one factory per code,
// and problemFor, which turns a domain refusal into its status, headers and text. Bodies
// follow RFC 9457.
import type { Static } from 'typebox';
import type { DomainRefusal } from '../shared/domain-error.js';
import type { ProblemCode as ProblemCodeSchema } from './schemas/common.js';
import type { SendLimitName } from '../verification/model.js';

/** Every problem code the API answers with: the schema's union (schemas/common.ts), which mailcode/client keys its errors by. */
export type ProblemCode = Static<typeof ProblemCodeSchema>;

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ProblemCode;
  [extra: string]: unknown;
}

export class ProblemError extends Error {
  readonly status: number;
  readonly code: ProblemCode;
  readonly title: string;
  readonly detail: string;
  readonly extra: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(status: number, code: ProblemCode, title: string, detail: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
    // A problem is an answer, not a bug: no stack trace to capture (it is never shown or
    // logged), which keeps a wrong code as cheap to answer as a right one.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(detail);
    Error.stackTraceLimit = stackTraceLimit;
    this.name = 'ProblemError';
    this.status = status;
    this.code = code;
    this.title = title;
    this.detail = detail;
    this.extra = extra;
    this.headers = headers;
  }

  // `statusCode` lets Fastify and its plugins treat this as an HTTP error.
  get statusCode(): number {
    return this.status;
  }

  toBody(): ProblemBody {
    return {
      type: `urn:mailcode:problem:${this.code}`,
      title: this.title,
      status: this.status,
      detail: this.detail,
      code: this.code,
      ...this.extra,
    };
  }
}

/** A 429 that says when to come back, in whole seconds (at least 1), in the body and the header. */
function tooManyRequests(code: ProblemCode, title: string, detail: string, retryAfterSeconds: number) {
  const retryAfter = Math.max(1, Math.ceil(retryAfterSeconds));
  return new ProblemError(429, code, title, detail, { retryAfter }, { 'retry-after': String(retryAfter) });
}

export const problems = {
  invalidRequest: (detail: string, status = 400) => new ProblemError(status, 'invalid_request', 'Invalid request', detail),
  unauthorized: () =>
    new ProblemError(401, 'unauthorized', 'Unauthorized', 'A valid API key is required: Authorization: Bearer <apiKey>.', {}, {
      'www-authenticate': 'Bearer',
    }),
  domainNotAllowed: (detail: string) => new ProblemError(422, 'domain_not_allowed', 'Email domain not allowed', detail),
  rateLimited: (retryAfterSeconds: number, detail: string) => tooManyRequests('rate_limited', 'Too many requests', detail, retryAfterSeconds),
  invalidCode: (attemptsRemaining: number) =>
    new ProblemError(422, 'invalid_code', 'Invalid code', 'The code is not correct.', { attemptsRemaining }),
  tooManyAttempts: () =>
    new ProblemError(429, 'too_many_attempts', 'Too many attempts', 'This verification is locked after too many wrong codes; send a new code later.'),
  codeExpired: (detail = 'The code has expired; send a new code.') => new ProblemError(410, 'code_expired', 'Code expired', detail),
  alreadyVerified: () => new ProblemError(409, 'already_verified', 'Already verified', 'This verification has already been used.'),
  verificationNotFound: () =>
    new ProblemError(404, 'verification_not_found', 'Verification not found', 'No such verification for this client.'),
  totpLocked: (retryAfterSeconds: number) =>
    tooManyRequests('too_many_attempts', 'Too many attempts', 'Too many wrong codes for this factor; try again later.', retryAfterSeconds),
  totpNotEnabled: () => new ProblemError(404, 'totp_not_enabled', 'Authenticator app not enabled', 'This user has no authenticator app enabled.'),
  totpAlreadyEnabled: () =>
    new ProblemError(409, 'totp_already_enabled', 'Authenticator app already enabled', 'This user already has an authenticator app; reset it first to enrol another.'),
  enrollmentNotFound: () =>
    new ProblemError(404, 'enrollment_not_found', 'Enrollment not found', 'No such pending enrollment for this client (they expire after 10 minutes).'),
  addressUndeliverable: (reason: string, enhancedStatus: string | null, until: number) =>
    new ProblemError(422, 'address_undeliverable', 'Address undeliverable', `Mail to this address bounced (${reason}); no code is sent to it until ${new Date(until).toISOString()}.`, {
      reason,
      enhancedStatus,
      suppressedUntil: new Date(until).toISOString(),
    }),
  suppressionNotFound: () => new ProblemError(404, 'suppression_not_found', 'Suppression not found', 'This address is not suppressed for this client.'),
  notFound: (detail = 'No such resource.') => new ProblemError(404, 'not_found', 'Not found', detail),
  methodNotAllowed: (detail: string, allowed: string[]) =>
    new ProblemError(405, 'method_not_allowed', 'Method not allowed', detail, {}, { allow: allowed.join(', ') }),
  notReady: (detail: string) => new ProblemError(503, 'not_ready', 'Not ready', detail),
  internal: () => new ProblemError(500, 'internal_error', 'Internal error', 'An unexpected error occurred; it has been logged.'),
};

const limitDetail: Record<SendLimitName, string> = {
  cooldown: 'A code was sent to this address moments ago; wait before asking for another.',
  email_hour: 'Too many codes were sent to this address in the last hour.',
  email_day: 'Too many codes were sent to this address today.',
  ip_hour: 'Too many codes were requested from this end-user IP in the last hour.',
  domain_hour: 'Too many codes were sent to this mail domain in the last hour.',
  global_minute: 'The service is sending as many mails as it may right now; try again shortly.',
  guessing: 'Too many wrong codes were entered for this address in the last hour; sends to it are paused.',
};

/** A domain refusal as the portal reads it. */
export function problemFor(refusal: DomainRefusal): ProblemError {
  switch (refusal.kind) {
    case 'invalid_input':
      return problems.invalidRequest(refusal.detail);
    case 'domain_not_allowed':
      return problems.domainNotAllowed(refusal.detail);
    case 'send_limited':
      return problems.rateLimited(refusal.retryAfterMs / 1000, limitDetail[refusal.limit as SendLimitName]);
    case 'address_undeliverable':
      return problems.addressUndeliverable(refusal.reason, refusal.enhancedStatus, refusal.until);
    case 'suppression_not_found':
      return problems.suppressionNotFound();
    case 'wrong_code':
      return problems.invalidCode(refusal.attemptsRemaining);
    case 'verification_locked':
      return problems.tooManyAttempts();
    case 'factor_locked':
      return problems.totpLocked(refusal.retryAfterMs / 1000);
    case 'code_expired':
      return problems.codeExpired();
    case 'verification_canceled':
      return problems.codeExpired('This verification was canceled; send a new code.');
    case 'already_verified':
      return problems.alreadyVerified();
    case 'verification_not_found':
      return problems.verificationNotFound();
    case 'totp_not_enabled':
      return problems.totpNotEnabled();
    case 'totp_already_enabled':
      return problems.totpAlreadyEnabled();
    case 'enrollment_not_found':
      return problems.enrollmentNotFound();
    // Operator actions (the CLI today): no route answers these yet.
    case 'client_not_found':
    case 'webhook_not_found':
      return problems.notFound(refusal.detail);
  }
}
