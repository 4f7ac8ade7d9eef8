// Request and response schemas (TypeBox). Requests are validated strictly (no coercion,
// no unknown members); responses are serialized by schema, which is also faster.
import { Type } from 'typebox';

/**
 * How the schemas are checked (the app and the bench's floor use the same): strictly, no
 * coercion, no unknown members removed. The mailbox rules live in normalizeEmail, which
 * can say what is wrong; `format: idn-email` is there for the contract's readers.
 */
export const ajvOptions = { coerceTypes: false, removeAdditional: false, allErrors: false, formats: { 'idn-email': true } } as const;

export const Purpose = Type.Union([Type.Literal('signup'), Type.Literal('login')]);

// The request schemas are the contract's (openapi.yaml says the same, test/contract holds
// them together): what they allow the server accepts, what they refuse it refuses.

/**
 * One plain mailbox. The format is checked by normalizeEmail (dot-atom local part, an
 * internet domain, IDN to punycode), which can say what is wrong; the schema bounds it.
 */
export const EmailInput = Type.String({ minLength: 3, maxLength: 254, format: 'idn-email' });
export const VerificationId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' });
export const Code = Type.String({ pattern: '^[0-9]{6}$', description: 'the six digits from the mail' });
/** The person's address as the portal saw it: a dotted quad or an IPv6 address. */
export const EndUserIp = Type.Union([Type.String({ format: 'ipv4' }), Type.String({ format: 'ipv6' })]);
export const Locale = Type.String({ minLength: 2, maxLength: 35, pattern: '^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$' });

export const SendCodeBody = Type.Object(
  {
    email: EmailInput,
    purpose: Type.Optional(Purpose),
    locale: Type.Optional(Locale),
    endUserIp: Type.Optional(EndUserIp),
  },
  { additionalProperties: false },
);

export const SendCodeResponse = Type.Object({
  verificationId: Type.String(),
  email: Type.String(),
  purpose: Purpose,
  expiresAt: Type.String(),
  resendAfter: Type.String(),
  maxAttempts: Type.Integer(),
});

/** Either the verification's id, or the address and purpose of the latest pending one. */
export const VerifyCodeBody = Type.Union([
  Type.Object({ verificationId: VerificationId, code: Code, endUserIp: Type.Optional(EndUserIp) }, { additionalProperties: false }),
  Type.Object(
    { email: EmailInput, purpose: Type.Optional(Purpose), code: Code, endUserIp: Type.Optional(EndUserIp) },
    { additionalProperties: false },
  ),
]);

export const VerifyCodeResponse = Type.Object({
  verified: Type.Literal(true),
  assertion: Type.String(),
  expiresAt: Type.String(),
});

export const VerificationParams = Type.Object({ id: VerificationId });

export const VerificationView = Type.Object({
  id: Type.String(),
  email: Type.String(),
  purpose: Purpose,
  status: Type.Union([Type.Literal('pending'), Type.Literal('verified'), Type.Literal('expired'), Type.Literal('locked'), Type.Literal('canceled')]),
  delivery: Type.Union([Type.Literal('queued'), Type.Literal('sent'), Type.Literal('failed')]),
  deliveryAttempts: Type.Integer(),
  lastDeliveryError: Type.Union([Type.String(), Type.Null()]),
  attemptsRemaining: Type.Integer(),
  expiresAt: Type.String(),
});
