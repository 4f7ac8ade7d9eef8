// The pieces every operation shares (TypeBox): the one source of the API's shape. Routes
// validate with them, the services and mailcode/client take their types from them, and
// openapi.yaml is generated from them (src/http/openapi.ts).
import { browserBindingPattern, linkTokenPattern } from '../../verification/links.js';
import { Type } from 'typebox';
import { expectedWords } from '../validation-detail.js';

/**
 * How the schemas are checked (the app and the bench's floor use the same): strictly, no
 * coercion, no unknown members removed. The mailbox rules live in normalizeEmail, which
 * can say what is wrong; `format: idn-email` is there for the contract's readers.
 */
export const ajvOptions = {
  coerceTypes: false as const,
  removeAdditional: false as const,
  allErrors: false as const,
  formats: { 'idn-email': true as const },
  // A refusal names what was expected in words (validation-detail.ts): the failed schema
  // comes with each error (verbose), and `x-expected` is an annotation, not a check.
  verbose: true as const,
  keywords: [expectedWords] as string[],
};

// No `default` here: ajv refuses defaults inside verify-code's anyOf; the service defaults to login and
// the contract says so (openapi.ts).
export const Purpose = Type.Enum(['signup', 'login'], { type: 'string' });

/**
 * One plain mailbox. The format is checked by normalizeEmail (dot-atom local part, an
 * internet domain, IDN to punycode), which can say what is wrong; the schema bounds it.
 */
export const Email = Type.String({
  format: 'idn-email',
  minLength: 3,
  maxLength: 254,
  description:
    "One plain mailbox (dot-atom local part, an internet domain; an IDN domain is turned into punycode); no display name, quotes, comments or control characters. Trimmed and lower-cased; the domain's trailing dot is dropped. A string that is not such a mailbox is a 400 `invalid_request` saying what is wrong.\n",
});

export const VerificationId = Type.String({ pattern: '^[A-Za-z0-9_-]+$', minLength: 1, maxLength: 64 });
export const Code = Type.String({
  pattern: '^[0-9]{6}$',
  description: 'The six digits from the mail.',
  [expectedWords]: 'six digits (0-9, no spaces), like 042917',
});

export const LinkToken = Type.String({
  pattern: linkTokenPattern,
  description: 'What follows `#mc=` in the continue link: 32 characters.',
  [expectedWords]: 'the 32 characters after #mc= in the link (A-Z, a-z, 0-9, - and _)',
});
export const BrowserBinding = Type.String({
  pattern: browserBindingPattern,
  description:
    'The hash (hex or base64url, at least 128 bits) of a random value the portal keeps in an HttpOnly cookie of the browser that asked for the code.',
  [expectedWords]: 'a hash of the browser cookie: 22-128 characters of A-Z, a-z, 0-9, - and _',
});

/** The person's address as the portal saw it: a dotted quad or an IPv6 address. */
export const EndUserIp = Type.Union([Type.String({ format: 'ipv4' }), Type.String({ format: 'ipv6' })], {
  description: "The person's IP address (a dotted quad or an IPv6 address).",
  [expectedWords]: 'an IP address: a dotted quad (192.0.2.7) or an IPv6 address (2001:db8::7)',
});

export const Locale = Type.String({
  minLength: 2,
  maxLength: 35,
  pattern: '^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$',
  description: "Mail language (BCP 47); falls back to the client's default, then `en`.",
});

export const DateTime = Type.String({ format: 'date-time' });

/** Every problem code the API answers with (http/problems.ts makes them; mailcode/client keys its errors by them). */
export const ProblemCode = Type.Enum(
  [
    'invalid_request',
    'unauthorized',
    'domain_not_allowed',
    'rate_limited',
    'invalid_code',
    'too_many_attempts',
    'code_expired',
    'already_verified',
    'verification_not_found',
    'not_found',
    'method_not_allowed',
    'not_ready',
    'service_unavailable',
    'internal_error',
    'totp_not_enabled',
    'totp_already_enabled',
    'enrollment_not_found',
    'address_undeliverable',
    'suppression_not_found',
    'link_not_found',
    'different_browser',
    'verification_canceled',
    'recovery_not_found',
    'recovery_pending',
    'recovery_closed',
    'first_factor_refused',
    'trusted_browser_refused',
    'email_proof_needed',
    'trusted_browser_not_found',
    'passkey_required',
    'passkeys_not_set_up',
    'passkey_challenge_refused',
    'passkey_challenge_expired',
    'passkey_refused',
    'first_factor_needed',
    'passkey_not_found',
    'too_many_passkeys',
  ],
  { type: 'string' },
);

/** RFC 9457 problem details, with a stable `code` (problems.ts declares each). */
export const Problem = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  detail: Type.String(),
  code: ProblemCode,
});

export const InvalidCodeProblem = Type.Object({
  ...Problem.properties,
  attemptsRemaining: Type.Integer({ minimum: 0 }),
});
export const UndeliverableProblem = Type.Object({
  ...Problem.properties,
  reason: Type.String({ description: "The receiving mail server's refusal that suppressed the address." }),
  enhancedStatus: Type.Union([Type.String({ pattern: '^[245]\\.\\d{1,3}\\.\\d{1,3}$' }), Type.Null()], {
    description: 'The RFC 3463 status code in that refusal (e.g. 5.1.1: mailbox unknown), when it has one.',
  }),
  suppressedUntil: Type.String({ format: 'date-time' }),
});
export const RateLimitedProblem = Type.Object({ ...Problem.properties, retryAfter: Type.Integer({ minimum: 1 }) });

/** The portal's own id for the user. */
export const UserRef = Type.String({
  minLength: 1,
  maxLength: 200,
  pattern: '^[^\\u0000-\\u001f\\u007f]+$',
  description: "The portal's own identifier of the user (no control characters).",
});
