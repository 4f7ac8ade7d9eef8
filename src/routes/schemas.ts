// Request and response schemas (TypeBox). Requests are validated strictly (no coercion,
// no unknown members); responses are serialized by schema, which is also faster.
import { Type } from 'typebox';

export const Purpose = Type.Union([Type.Literal('signup'), Type.Literal('login')]);

// Generous at the schema level; the exact mailbox rules (254, dot-atom, IDN) are applied
// by normalizeEmail so the error can say what is wrong.
export const EmailInput = Type.String({ minLength: 3, maxLength: 320 });
export const VerificationId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' });
export const Code = Type.String({ pattern: '^[0-9]{6}$', description: 'the six digits from the mail' });

export const SendCodeBody = Type.Object(
  {
    email: EmailInput,
    purpose: Type.Optional(Purpose),
    locale: Type.Optional(Type.String({ minLength: 2, maxLength: 35, pattern: '^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$' })),
    endUserIp: Type.Optional(Type.String({ minLength: 2, maxLength: 45 })),
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

export const VerifyCodeBody = Type.Object(
  {
    verificationId: Type.Optional(VerificationId),
    email: Type.Optional(EmailInput),
    purpose: Type.Optional(Purpose),
    code: Code,
    endUserIp: Type.Optional(Type.String({ minLength: 2, maxLength: 45 })),
  },
  { additionalProperties: false },
);

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
