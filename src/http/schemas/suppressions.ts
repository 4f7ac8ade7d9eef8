// Suppressed addresses on the wire.
import { Type, type Static } from 'typebox';
import { DateTime, Email } from './common.js';

export const Suppression = Type.Object(
  {
    email: Type.String(),
    reason: Type.String({ description: "The receiving server's refusal." }),
    enhancedStatus: Type.Union([Type.String(), Type.Null()], {
      description: 'RFC 3463, e.g. 5.1.1 (mailbox unknown).',
    }),
    verificationId: Type.Union([Type.String(), Type.Null()], { description: 'The verification whose mail bounced.' }),
    suppressedAt: DateTime,
    until: DateTime,
  },
  { additionalProperties: false },
);

export const SuppressionList = Type.Object({ suppressions: Type.Array(Suppression) }, { additionalProperties: false });
export const SuppressionParams = Type.Object(
  { email: { ...Email, description: 'The suppressed address (percent-encoded).' } },
  { additionalProperties: false },
);

export type Suppression = Static<typeof Suppression>;
