// Request and response schemas of the authenticator-app routes.
import { Type } from 'typebox';
import { Code } from './verification.js';

/**
 * Text a portal chooses: no control characters (they end up in logs). Lone UTF-16
 * surrogates are refused for every string of every request (plugins/well-formed-text.ts).
 */
const printable = (extra = '') => `^[^\\u0000-\\u001f\\u007f${extra}]+$`;

/** The portal's own id for the user. */
export const UserRef = Type.String({ minLength: 1, maxLength: 200, pattern: printable() });

export const EnrollmentBody = Type.Object(
  {
    userRef: UserRef,
    /** Shown in the app beside the issuer (the client's name), e.g. the user's address. */
    accountName: Type.String({ minLength: 1, maxLength: 200, pattern: printable(':') }),
  },
  { additionalProperties: false },
);

export const EnrollmentResponse = Type.Object({
  enrollmentId: Type.String(),
  secret: Type.String(),
  otpauthUri: Type.String(),
  qrSvg: Type.String(),
  expiresAt: Type.String(),
});

export const EnrollmentParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }) });
export const ConfirmBody = Type.Object({ code: Code }, { additionalProperties: false });

export const RecoveryCodesResponse = Type.Object({ recoveryCodes: Type.Array(Type.String()) });
export const ConfirmResponse = Type.Object({ enabled: Type.Literal(true), recoveryCodes: Type.Array(Type.String()) });

export const TotpVerifyBody = Type.Object({ userRef: UserRef, code: Code }, { additionalProperties: false });
export const RecoverBody = Type.Object(
  { userRef: UserRef, recoveryCode: Type.String({ minLength: 1, maxLength: 40, pattern: '^[A-Za-z0-9 -]+$' }) },
  { additionalProperties: false },
);

export const SecondFactorResponse = Type.Object({
  verified: Type.Literal(true),
  method: Type.Union([Type.Literal('totp'), Type.Literal('recovery_code')]),
  assertion: Type.String(),
  expiresAt: Type.String(),
});

export const UserRefParams = Type.Object({ userRef: UserRef });

export const TotpStatusResponse = Type.Object({
  userRef: Type.String(),
  enabled: Type.Boolean(),
  enabledSince: Type.Union([Type.String(), Type.Null()]),
  recoveryCodesLeft: Type.Integer(),
});
