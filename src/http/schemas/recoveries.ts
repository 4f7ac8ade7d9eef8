import { Type, type Static } from 'typebox';
import { Code, DateTime, EndUserIp, Locale, UserRef } from './common.js';

export const RecoveryId = Type.String({ pattern: '^rc_[A-Za-z0-9_-]{1,60}$', maxLength: 64 });
export const PersonRecoveriesParams = Type.Object({ userRef: UserRef });
export const RecoveryParams = Type.Object({ userRef: UserRef, id: RecoveryId });

export const StartRecoveryRequest = Type.Object(
  {
    locale: Type.Optional(Locale),
    endUserIp: Type.Optional({ ...EndUserIp, description: 'For the per-IP send limit and the audit log.' }),
  },
  { additionalProperties: false },
);

export const ConfirmRecoveryRequest = Type.Object(
  { code: Code, endUserIp: Type.Optional({ ...EndUserIp, description: 'For the audit log.' }) },
  { additionalProperties: false },
);

export const Recovery = Type.Object(
  {
    id: RecoveryId,
    userRef: UserRef,
    status: Type.Enum(['code_sent', 'waiting', 'completed', 'canceled', 'expired'], {
      type: 'string',
      description:
        '`code_sent`: a code was mailed to the address the person proved (or, for nobody, nothing was: the answer is the same); `waiting`: the code was right, and the authenticator goes at `completesAt` unless the recovery is canceled; `completed`: the authenticator and its recovery codes are removed; `canceled`; `expired`: the code was not typed in time.',
    }),
    createdAt: DateTime,
    codeExpiresAt: DateTime,
    startedAt: Type.Union([DateTime, Type.Null()], { description: 'When the right code started the wait.' }),
    completesAt: Type.Union([DateTime, Type.Null()], {
      description: "When the authenticator goes: the start plus the client's recovery wait.",
    }),
    endedAt: Type.Union([DateTime, Type.Null()]),
    endedBy: Type.Union([Type.Enum(['wait', 'support', 'sign_in', 'portal'], { type: 'string' }), Type.Null()], {
      description:
        '`wait`: the waiting period ran out; `support`: approved early or canceled by support; `sign_in`: a sign-in with the authenticator or a recovery code canceled it; `portal`: the portal canceled it.',
    }),
  },
  { additionalProperties: false },
);

export const RecoveryList = Type.Object(
  { recoveries: Type.Array(Recovery, { description: 'Newest first, at most 10.' }) },
  { additionalProperties: false },
);

export type Recovery = Static<typeof Recovery>;
