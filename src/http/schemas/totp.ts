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

/** The person's email assertion of this sign-in: with it, the app's assertion says two factors. */
const FirstFactor = Type.String({
  minLength: 20,
  maxLength: 4096,
  pattern: '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$',
  description:
    'The email assertion mailcode gave for this person\'s code or link in this sign-in (sent with their `userRef`, not expired). mailcode checks it and the answer\'s assertion says two factors: `acr` urn:mailcode:acr:2fa, `amr` ["otp", "mfa"]. Without it: one factor.',
});
export const TotpVerifyRequest = Type.Object(
  { userRef: UserRef, code: Code, firstFactor: Type.Optional(FirstFactor) },
  { additionalProperties: false },
);
export const TotpRecoverRequest = Type.Object(
  {
    userRef: UserRef,
    recoveryCode: Type.String({ minLength: 1, maxLength: 40, pattern: '^[A-Za-z0-9 -]+$' }),
    firstFactor: Type.Optional(FirstFactor),
  },
  { additionalProperties: false },
);

export const SecondFactorVerified = Type.Object({
  verified: Type.Literal(true),
  method: Type.Enum(['totp', 'recovery_code'], { type: 'string' }),
  assertion: Type.String({
    description:
      'EdDSA JWT: sub and user_ref = userRef, aud = client id, verification_method totp | recovery_code, acr urn:mailcode:acr:1fa with amr ["otp"] — or, given a valid `firstFactor`, acr urn:mailcode:acr:2fa with amr ["otp", "mfa"]',
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
