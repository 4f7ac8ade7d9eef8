// The one place HTTP words are chosen: every kind of problem (status, code, title, what it
// means), one factory per kind, and problemFor, which turns a domain refusal into its
// status, headers and text. Bodies follow RFC 9457.
import type { Static } from 'typebox';
import type { DomainRefusal } from '../shared/domain-error.js';
import type { ProblemCode as ProblemCodeSchema } from './schemas/common.js';
import type { SendLimitName } from '../verification/model.js';
import { echoed } from './echo.js';
import { outageRetryAfterSeconds, type Dependency } from '../shared/outage.js';

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

  constructor(
    status: number,
    code: ProblemCode,
    title: string,
    detail: string,
    extra: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ) {
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

/** The longest detail any problem carries, whatever it was made from. */
const detailLimit = 600;

/** The body shapes beyond the plain Problem (named schemas of schemas/common.ts). */
type ProblemBodySchema = 'Problem' | 'InvalidCodeProblem' | 'RateLimitedProblem' | 'UndeliverableProblem';

/** One kind of problem: its status, code and title, the shape of its body, and what it means (a line of openapi.yaml). */
export interface ProblemKind {
  status: number;
  code: ProblemCode;
  title: string;
  means: string;
  body: ProblemBodySchema;
}

const kind = (
  status: number,
  code: ProblemCode,
  title: string,
  means: string,
  body: ProblemBodySchema = 'Problem',
): ProblemKind => ({ status, code, title, means, body });

/**
 * Every problem the API answers with, declared once. The factories below make them; each
 * route names the ones it answers (http/operation.ts), and openapi.yaml is written from both.
 * A RateLimitedProblem also comes with a Retry-After header.
 */
export const problemKinds = {
  invalidRequest: kind(400, 'invalid_request', 'Invalid request', 'the body or parameters do not match the schema'),
  payloadTooLarge: kind(413, 'invalid_request', 'Invalid request', 'the body is larger than 16 KiB'),
  unsupportedMediaType: kind(415, 'invalid_request', 'Invalid request', 'the body is not `application/json`'),
  unauthorized: kind(401, 'unauthorized', 'Unauthorized', 'missing, unknown or revoked API key'),
  rateLimited: kind(
    429,
    'rate_limited',
    'Too many requests',
    'a limit was reached, with a `Retry-After` header and `retryAfter` seconds',
    'RateLimitedProblem',
  ),
  domainNotAllowed: kind(
    422,
    'domain_not_allowed',
    'Email domain not allowed',
    'the address is not on a company domain this client accepts',
  ),
  addressUndeliverable: kind(
    422,
    'address_undeliverable',
    'Address undeliverable',
    'mail to it bounced, and it is suppressed (with the `reason` and `suppressedUntil`)',
    'UndeliverableProblem',
  ),
  invalidCode: kind(
    422,
    'invalid_code',
    'Invalid code',
    'the code is wrong (for an authenticator, also a replayed or used one), with `attemptsRemaining`',
    'InvalidCodeProblem',
  ),
  tooManyAttempts: kind(
    429,
    'too_many_attempts',
    'Too many attempts',
    'the verification is locked after too many wrong codes',
  ),
  totpLocked: kind(
    429,
    'too_many_attempts',
    'Too many attempts',
    'the factor is locked for a while, with `retryAfter` and Retry-After',
    'RateLimitedProblem',
  ),
  codeExpired: kind(410, 'code_expired', 'Code expired', 'the verification expired or was canceled'),
  alreadyVerified: kind(409, 'already_verified', 'Already verified', 'a verification is verified at most once'),
  verificationNotFound: kind(
    404,
    'verification_not_found',
    'Verification not found',
    'no such verification for this client',
  ),
  linkNotFound: kind(
    404,
    'link_not_found',
    'Link not found',
    'no continue link with this token for this client (or one replaced by newer mails)',
  ),
  differentBrowser: kind(
    409,
    'different_browser',
    'Different browser',
    'the link was opened in another browser than the one that asked for the code: nothing was used up, the code still works',
  ),
  verificationCanceled: kind(
    410,
    'verification_canceled',
    'Verification canceled',
    "the link's verification was canceled",
  ),
  totpNotEnabled: kind(404, 'totp_not_enabled', 'Authenticator app not enabled', 'the user has no authenticator app'),
  totpAlreadyEnabled: kind(
    409,
    'totp_already_enabled',
    'Authenticator app already enabled',
    "reset the user's factor first",
  ),
  enrollmentNotFound: kind(404, 'enrollment_not_found', 'Enrollment not found', 'unknown or expired enrolment'),
  suppressionNotFound: kind(
    404,
    'suppression_not_found',
    'Suppression not found',
    'the address is not suppressed for this client',
  ),
  notFound: kind(404, 'not_found', 'Not found', 'no such resource'),
  methodNotAllowed: kind(
    405,
    'method_not_allowed',
    'Method not allowed',
    'the path answers other methods (listed in Allow)',
  ),
  notReady: kind(503, 'not_ready', 'Not ready', 'the database, Redis or the mail transport is not reachable'),
  unavailable: kind(
    503,
    'service_unavailable',
    'Service unavailable',
    'the database or Redis is away for a moment (a restart, a failover, a full disk): nothing was done; try again after `Retry-After` seconds',
    'RateLimitedProblem',
  ),
  internal: kind(500, 'internal_error', 'Internal error', 'an unexpected error, logged'),
} satisfies Record<string, ProblemKind>;

export type ProblemName = keyof typeof problemKinds;

/** A problem of a declared kind; a 429 says when to come back, in whole seconds (at least 1), in the body and the header. */
function make(
  name: ProblemName,
  detail: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
  status?: number,
): ProblemError {
  const { code, title, ...k } = problemKinds[name];
  return new ProblemError(status ?? k.status, code, title, echoed(detail, detailLimit), extra, headers);
}

function comeBackIn(name: 'rateLimited' | 'totpLocked' | 'unavailable', detail: string, retryAfterSeconds: number) {
  const retryAfter = Math.max(1, Math.ceil(retryAfterSeconds));
  return make(name, detail, { retryAfter }, { 'retry-after': String(retryAfter) });
}

export const problems = {
  /** Also the transport's refusals (408, 413, 414, 415, 431, 501): the same code, their own status. */
  invalidRequest: (detail: string, status = 400) => make('invalidRequest', detail, {}, {}, status),
  unauthorized: () =>
    make(
      'unauthorized',
      'A valid API key is required: Authorization: Bearer <apiKey>.',
      {},
      { 'www-authenticate': 'Bearer' },
    ),
  domainNotAllowed: (detail: string) => make('domainNotAllowed', detail),
  rateLimited: (retryAfterSeconds: number, detail: string) => comeBackIn('rateLimited', detail, retryAfterSeconds),
  invalidCode: (attemptsRemaining: number) => make('invalidCode', 'The code is not correct.', { attemptsRemaining }),
  tooManyAttempts: () =>
    make('tooManyAttempts', 'This verification is locked after too many wrong codes; send a new code later.'),
  codeExpired: (detail = 'The code has expired; send a new code.') => make('codeExpired', detail),
  alreadyVerified: () => make('alreadyVerified', 'This verification has already been used.'),
  verificationNotFound: () => make('verificationNotFound', 'No such verification for this client.'),
  linkNotFound: () =>
    make('linkNotFound', 'No such link for this client; it may have been replaced by a newer mail. Send a new code.'),
  differentBrowser: () =>
    make(
      'differentBrowser',
      'This link works in the browser where the code was asked for; here, type the code from the same mail.',
    ),
  verificationCanceled: () => make('verificationCanceled', "This link's verification was canceled; send a new code."),
  totpLocked: (retryAfterSeconds: number) =>
    comeBackIn('totpLocked', 'Too many wrong codes for this factor; try again later.', retryAfterSeconds),
  totpNotEnabled: () => make('totpNotEnabled', 'This user has no authenticator app enabled.'),
  totpAlreadyEnabled: () =>
    make('totpAlreadyEnabled', 'This user already has an authenticator app; reset it first to enrol another.'),
  enrollmentNotFound: () =>
    make('enrollmentNotFound', 'No such pending enrollment for this client (they expire after 10 minutes).'),
  addressUndeliverable: (reason: string, enhancedStatus: string | null, until: number) =>
    make(
      'addressUndeliverable',
      `Mail to this address bounced (${reason}); no code is sent to it until ${new Date(until).toISOString()}.`,
      {
        reason,
        enhancedStatus,
        suppressedUntil: new Date(until).toISOString(),
      },
    ),
  suppressionNotFound: () => make('suppressionNotFound', 'This address is not suppressed for this client.'),
  notFound: (detail = 'No such resource.') => make('notFound', detail),
  methodNotAllowed: (detail: string, allowed: string[]) =>
    make('methodNotAllowed', detail, {}, { allow: allowed.join(', ') }),
  notReady: (detail: string) => make('notReady', detail),
  /** A dependency's outage (shared/outage.ts): the request did nothing, and may be tried again. */
  unavailable: (dependency: Dependency) =>
    comeBackIn(
      'unavailable',
      `${dependency === 'redis' ? 'Redis' : 'The database'} is not reachable right now; nothing was done. Try again shortly.`,
      outageRetryAfterSeconds,
    ),
  internal: () => make('internal', 'An unexpected error occurred; it has been logged.'),
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
    case 'link_not_found':
      return problems.linkNotFound();
    case 'different_browser':
      return problems.differentBrowser();
    case 'link_canceled':
      return problems.verificationCanceled();
    case 'link_limited':
      return problems.rateLimited(
        refusal.retryAfterMs / 1000,
        'Too many unknown or used links from this IP; try again later, or type the code.',
      );
    case 'totp_not_enabled':
      return problems.totpNotEnabled();
    case 'totp_already_enabled':
      return problems.totpAlreadyEnabled();
    case 'enrollment_not_found':
      return problems.enrollmentNotFound();
    // Operator actions (the CLI today): no route answers these yet.
    case 'client_not_found':
    case 'dkim_key_not_found':
    case 'webhook_not_found':
    case 'operator_not_found':
      return problems.notFound(refusal.detail);
    case 'operator_exists':
      return problems.invalidRequest(refusal.detail, 409);
  }
}
