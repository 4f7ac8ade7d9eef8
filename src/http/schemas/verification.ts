// Request and response schemas of email verification (TypeBox). Requests are validated
// strictly (no coercion, no unknown members); responses are serialized by schema.
import { TimelineEntry } from './events.js';
import { Type, type Static } from 'typebox';
import { expectedWords } from '../validation-detail.js';
import {
  BrowserBinding,
  Code,
  DateTime,
  Email,
  EndUserIp,
  LinkToken,
  Locale,
  Purpose,
  VerificationId,
  UserRef,
} from './common.js';

export const SendCodeRequest = Type.Object(
  {
    email: Email,
    purpose: Type.Optional(Purpose),
    locale: Type.Optional(Locale),
    endUserIp: Type.Optional({ ...EndUserIp, description: 'For the per-IP send limit.' }),
    browserBinding: Type.Optional({
      ...BrowserBinding,
      description:
        "Bind the mail's continue link to the browser that asked: the hash of a random value the portal keeps in an HttpOnly cookie of that browser. Without it, the mail carries the code alone (unless the client allows its links in any browser).",
    }),
    userRef: Type.Optional({
      ...UserRef,
      description:
        "The portal's own identifier of the person this address is being proven for. A right code (or continue link) records the address as proven for them (`GET /people/{userRef}`), and the assertion carries `user_ref`.",
    }),
  },
  { additionalProperties: false },
);

export const SendCodeResponse = Type.Object(
  {
    verificationId: Type.String(),
    email: Type.String({ description: 'The normalized address.' }),
    purpose: Purpose,
    expiresAt: DateTime,
    resendAfter: DateTime,
    maxAttempts: Type.Integer(),
  },
  { additionalProperties: false },
);

const auditIp = { ...EndUserIp, description: 'For the audit log.' };

/** Either the verification's id, or the address and purpose of the latest pending one. */
export const VerifyCodeRequest = Type.Union(
  [
    Type.Object(
      { verificationId: VerificationId, code: Code, endUserIp: Type.Optional(auditIp) },
      { additionalProperties: false, title: 'By verification id' },
    ),
    Type.Object(
      { email: Email, purpose: Type.Optional(Purpose), code: Code, endUserIp: Type.Optional(auditIp) },
      { additionalProperties: false, title: 'By address and purpose' },
    ),
  ],
  {
    description:
      'Either `verificationId`, or `email` (with `purpose`, default `login`) for the latest pending verification; not both.',
    [expectedWords]:
      'either {verificationId, code} or {email, code} with an optional purpose, not both (and endUserIp, optionally)',
  },
);

export const VerifyLinkRequest = Type.Object(
  {
    token: LinkToken,
    browserBinding: Type.Optional({
      ...BrowserBinding,
      description: 'The same hash of the cookie of the browser that clicked, if it has the cookie.',
    }),
    endUserIp: Type.Optional({ ...EndUserIp, description: 'For the count of unknown links, and the audit log.' }),
  },
  { additionalProperties: false },
);

export const VerifyCodeResponse = Type.Object(
  {
    verified: Type.Literal(true),
    assertion: Type.String({
      description:
        'A JWS compact JWT (`alg` EdDSA, `typ` verification+jwt) with `iss`, `aud` (client id),\n`sub` and `email`, `email_verified`, `purpose`, `amr: ["otp"]`, `acr: "urn:mailcode:acr:1fa"`,\n`verification_method: "email"`, `auth_time`, `iat`, `exp`, `jti` (the verification id).\nFrom a continue link: `verification_method: "email_link"` and\n`same_browser` (false only where the client allows its links in any browser).\n',
    }),
    expiresAt: Type.String({ format: 'date-time', description: 'When the assertion expires.' }),
  },
  { additionalProperties: false },
);

export const VerificationParams = Type.Object({ id: VerificationId });

export const Verification = Type.Object(
  {
    id: Type.String(),
    email: Type.String(),
    purpose: Purpose,
    status: Type.Enum(['pending', 'verified', 'expired', 'locked', 'canceled'], { type: 'string' }),
    delivery: Type.Enum(['queued', 'deferred', 'sent', 'bounced', 'failed', 'suppressed'], {
      type: 'string',
      description:
        'The newest mail: queued (not tried yet), deferred (refused for now, retrying), sent (accepted by the receiving server), bounced (refused for good: the address is suppressed), failed (still undelivered when the code expired), suppressed (not sent: the address bounced before).',
    }),
    deliveryAttempts: Type.Integer(),
    lastDeliveryError: Type.Union([Type.String(), Type.Null()]),
    lastReply: Type.Union([Type.String(), Type.Null()], {
      description: "The receiving server's last reply: its 250 on delivery, its refusal otherwise.",
    }),
    enhancedStatus: Type.Union([Type.String(), Type.Null()], {
      description: 'The RFC 3463 status of the last refusal, e.g. 5.1.1 (mailbox unknown).',
    }),
    queueId: Type.Union([Type.String(), Type.Null()], {
      description: "The receiving server's queue id from its 250 reply (for its postmaster).",
    }),
    timeline: Type.Array(TimelineEntry, {
      description: 'What happened to this verification, oldest first (up to 50 events).',
    }),
    attemptsRemaining: Type.Integer(),
    verifiedWith: Type.Union([Type.Enum(['code', 'link'], { type: 'string' }), Type.Null()], {
      description: 'What verified it: the code typed or the continue link clicked (null until verified).',
    }),
    expiresAt: DateTime,
  },
  { additionalProperties: false },
);

export type SendCodeRequest = Static<typeof SendCodeRequest>;
export type SendCodeResponse = Static<typeof SendCodeResponse>;
export type VerifyCodeRequest = Static<typeof VerifyCodeRequest>;
export type VerifyLinkRequest = Static<typeof VerifyLinkRequest>;
export type VerifyCodeResponse = Static<typeof VerifyCodeResponse>;
export type Verification = Static<typeof Verification>;
