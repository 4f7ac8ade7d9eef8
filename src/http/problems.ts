// Where HTTP answers are made: every kind of problem the API answers (HTTP's own, and the
// domain's refusals as their feature folders declare them), factories for HTTP's own, and
// problemFor, which renders a domain refusal with the words it came with. Bodies follow RFC 9457.
import type { Static } from 'typebox';
import type { DomainError, ProblemBodyShape, Refusal, RefusalTable, RefusalWords } from '../shared/domain-error.js';
import { suppressionRefusals } from '../suppression/refusals.js';
import { recoveryRefusals } from '../recovery/refusals.js';
import { trustedBrowserRefusals } from '../trusted-browsers/refusals.js';
import { passkeyRefusals } from '../passkeys/refusals.js';
import { totpRefusals } from '../totp/refusals.js';
import { verificationRefusals } from '../verification/refusals.js';
import type { ProblemCode as ProblemCodeSchema } from './schemas/common.js';
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

/** One kind of problem: its status, code and title, the shape of its body, and what it means (a line of openapi.yaml). */
export interface ProblemKind {
  status: number;
  code: ProblemCode;
  title: string;
  means: string;
  body: ProblemBodyShape;
}

const kind = (
  status: number,
  code: ProblemCode,
  title: string,
  means: string,
  body: ProblemBodyShape = 'Problem',
): ProblemKind => ({ status, code, title, means, body });

/** A domain refusal's kind of problem, as its feature declares it (the kind is the code). */
const declared = <R extends Refusal>(table: RefusalTable<R>, code: R['kind'] & ProblemCode): ProblemKind => {
  const words = table[code] as RefusalWords;
  return kind(words.status, code, words.title, words.means, words.body);
};

/**
 * Every problem the API answers with, named once: HTTP's own, and the domain's refusals as
 * their features declare them (refusals.ts in each folder). Each route names the ones it
 * answers (http/operation.ts), and openapi.yaml is written from both. A RateLimitedProblem
 * also comes with a Retry-After header.
 */
export const problemKinds = {
  invalidRequest: kind(400, 'invalid_request', 'Invalid request', 'the body or parameters do not match the schema'),
  payloadTooLarge: kind(413, 'invalid_request', 'Invalid request', 'the body is larger than 16 KiB'),
  unsupportedMediaType: kind(415, 'invalid_request', 'Invalid request', 'the body is not `application/json`'),
  unauthorized: kind(401, 'unauthorized', 'Unauthorized', 'missing, unknown or revoked API key'),
  rateLimited: declared(verificationRefusals, 'rate_limited'),
  domainNotAllowed: declared(verificationRefusals, 'domain_not_allowed'),
  addressUndeliverable: declared(verificationRefusals, 'address_undeliverable'),
  invalidCode: declared(verificationRefusals, 'invalid_code'),
  tooManyAttempts: declared(verificationRefusals, 'too_many_attempts'),
  totpLocked: declared(totpRefusals, 'too_many_attempts'),
  codeExpired: declared(verificationRefusals, 'code_expired'),
  alreadyVerified: declared(verificationRefusals, 'already_verified'),
  verificationNotFound: declared(verificationRefusals, 'verification_not_found'),
  linkNotFound: declared(verificationRefusals, 'link_not_found'),
  differentBrowser: declared(verificationRefusals, 'different_browser'),
  verificationCanceled: declared(verificationRefusals, 'verification_canceled'),
  totpNotEnabled: declared(totpRefusals, 'totp_not_enabled'),
  totpAlreadyEnabled: declared(totpRefusals, 'totp_already_enabled'),
  enrollmentNotFound: declared(totpRefusals, 'enrollment_not_found'),
  firstFactorRefused: declared(totpRefusals, 'first_factor_refused'),
  suppressionNotFound: declared(suppressionRefusals, 'suppression_not_found'),
  recoveryNotFound: declared(recoveryRefusals, 'recovery_not_found'),
  recoveryPending: declared(recoveryRefusals, 'recovery_pending'),
  recoveryClosed: declared(recoveryRefusals, 'recovery_closed'),
  recoveryLocked: declared(recoveryRefusals, 'too_many_attempts'),
  recoveryCodeExpired: declared(recoveryRefusals, 'code_expired'),
  trustedBrowserRefused: declared(trustedBrowserRefusals, 'trusted_browser_refused'),
  emailProofNeeded: declared(trustedBrowserRefusals, 'email_proof_needed'),
  trustedBrowserNotFound: declared(trustedBrowserRefusals, 'trusted_browser_not_found'),
  passkeyRequired: declared(trustedBrowserRefusals, 'passkey_required'),
  passkeysNotSetUp: declared(passkeyRefusals, 'passkeys_not_set_up'),
  passkeyChallengeRefused: declared(passkeyRefusals, 'passkey_challenge_refused'),
  passkeyChallengeExpired: declared(passkeyRefusals, 'passkey_challenge_expired'),
  passkeyRefused: declared(passkeyRefusals, 'passkey_refused'),
  firstFactorNeeded: declared(passkeyRefusals, 'first_factor_needed'),
  passkeyNotFound: declared(passkeyRefusals, 'passkey_not_found'),
  tooManyPasskeys: declared(passkeyRefusals, 'too_many_passkeys'),
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

/** When to come back, in whole seconds (at least 1): the body's `retryAfter` and the Retry-After header. */
function comeBack(retryAfterSeconds: number) {
  const retryAfter = Math.max(1, Math.ceil(retryAfterSeconds));
  return { extra: { retryAfter }, headers: { 'retry-after': String(retryAfter) } };
}

function comeBackIn(name: 'rateLimited' | 'unavailable', detail: string, retryAfterSeconds: number) {
  const { extra, headers } = comeBack(retryAfterSeconds);
  return make(name, detail, extra, headers);
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
  rateLimited: (retryAfterSeconds: number, detail: string) => comeBackIn('rateLimited', detail, retryAfterSeconds),
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

/** A domain refusal as the portal reads it: the code is its kind, the rest is what its feature declared. */
export function problemFor(error: DomainError): ProblemError {
  const { refusal, words } = error;
  const retryAfterMs = words.retryAfterMs?.(refusal);
  const later = retryAfterMs === undefined ? { extra: {}, headers: {} } : comeBack(retryAfterMs / 1000);
  return new ProblemError(
    words.status,
    refusal.kind as ProblemCode,
    words.title,
    echoed(words.detail?.(refusal) ?? refusal.detail ?? words.title, detailLimit),
    { ...words.extra?.(refusal), ...later.extra },
    later.headers,
  );
}
