import { Type, type Static } from 'typebox';
import { DateTime, Purpose, UserRef } from './common.js';
import { Passkey } from './passkeys.js';

export const PersonParams = Type.Object({ userRef: UserRef });

export const ProvenAddress = Type.Object(
  {
    email: Type.String({ description: 'The company address, as proven.' }),
    purpose: Purpose,
    provenAt: DateTime,
    verificationId: Type.String({ description: 'The verification whose right code (or link) proved it last.' }),
  },
  { additionalProperties: false },
);

export const Person = Type.Object(
  {
    userRef: UserRef,
    addresses: Type.Array(ProvenAddress, {
      description:
        'The addresses proven for this person with a code or link sent with their `userRef`, newest proof first.',
    }),
    authenticator: Type.Union(
      [Type.Object({ enabledAt: Type.Union([DateTime, Type.Null()]) }, { additionalProperties: false }), Type.Null()],
      { description: 'Their authenticator app, when one is enabled.' },
    ),
    passkeys: Type.Array(Passkey, { description: 'Their passkeys, newest first.' }),
    recovery: Type.Union(
      [
        Type.Object(
          {
            id: Type.String(),
            status: Type.Enum(['code_sent', 'waiting'], { type: 'string' }),
            completesAt: Type.Union([DateTime, Type.Null()]),
          },
          { additionalProperties: false },
        ),
        Type.Null(),
      ],
      {
        description:
          'A recovery by email under way (`GET /people/{userRef}/recoveries/{id}` for the whole of it): waiting for its mailed code, or for `completesAt`, when the authenticator goes.',
      },
    ),
  },
  { additionalProperties: false },
);

export type Person = Static<typeof Person>;
