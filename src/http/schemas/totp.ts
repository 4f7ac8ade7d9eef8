// Request and response schemas of the authenticator-app routes (TypeBox).
import { Type, type Static } from 'typebox';
import { Code, DateTime, UserRef } from './common.js';

export { UserRef };

/**
 * Text a portal chooses: no control characters (they end up in logs). Lone UTF-16
 * surrogates are refused for every string of every request (plugins/well-formed-text.ts).
 */
const printable = (extra = '') => `^[^\\u0000-\\u001f\\u007f${extra}]+$`;

export const TotpEnrollmentRequest = Type.Object(
  {
    userRef: UserRef,
    accountName: Type.String({
      minLength: 1,
      maxLength: 200,
      pattern: printable(':'),
      description: 'Shown in the app beside the issuer, e.g. the address (no control characters, no colon).',
    }),
  },
  { additionalProperties: false },
);

export const TotpEnrollment = Type.Object({
  enrollmentId: Type.String(),
  secret: Type.String({ description: 'base32, for manual entry' }),
  otpauthUri: Type.String({ description: 'otpauth://totp/… (what the QR code holds)' }),
  qrSvg: Type.String({ description: 'the QR code of otpauthUri as an SVG document' }),
  expiresAt: DateTime,
});

export const EnrollmentParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }),
});
export const TotpConfirmRequest = Type.Object({ code: Code }, { additionalProperties: false });

export const RecoveryCodes = Type.Array(Type.String({ pattern: '^[a-z2-9]{5}-[a-z2-9]{5}$' }), {
  minItems: 10,
  maxItems: 10,
});
export const RecoveryCodesResponse = Type.Object({ recoveryCodes: RecoveryCodes });
export const TotpConfirmation = Type.Object({ enabled: Type.Literal(true), recoveryCodes: RecoveryCodes });

export const TotpVerifyRequest = Type.Object({ userRef: UserRef, code: Code }, { additionalProperties: false });
export const TotpRecoverRequest = Type.Object(
  { userRef: UserRef, recoveryCode: Type.String({ minLength: 1, maxLength: 40, pattern: '^[A-Za-z0-9 -]+$' }) },
  { additionalProperties: false },
);

export const SecondFactorVerified = Type.Object({
  verified: Type.Literal(true),
  method: Type.Enum(['totp', 'recovery_code'], { type: 'string' }),
  assertion: Type.String({
    description: 'EdDSA JWT: sub = userRef, aud = client id, amr ["otp"], verification_method totp | recovery_code',
  }),
  expiresAt: DateTime,
});

export const UserRefParams = Type.Object({ userRef: UserRef });

export const TotpStatus = Type.Object({
  userRef: Type.String(),
  enabled: Type.Boolean(),
  required: Type.Boolean({
    description:
      "The client's policy (`mailcode clients update --second-factor required`): send a person without an authenticator app to enrolment right after their email code, before the account opens.",
  }),
  enabledSince: Type.Union([DateTime, Type.Null()]),
  recoveryCodesLeft: Type.Integer({ minimum: 0 }),
});

export type TotpEnrollment = Static<typeof TotpEnrollment>;
export type SecondFactorVerified = Static<typeof SecondFactorVerified>;
export type TotpStatus = Static<typeof TotpStatus>;
