// What sending and verifying a code or a link refuse, each kind the code the portal reads.
import {
  type InvalidCode,
  type InvalidRequest,
  invalidCode,
  invalidRequest,
  type RefusalTable,
  refuser,
} from '../shared/domain-error.js';
import type { SendLimitName } from './model.js';

export type VerificationRefusal =
  | InvalidRequest
  | { kind: 'domain_not_allowed'; detail: string }
  /** A send limit, or (`unknown_links`) too many unknown or used links from one IP. */
  | { kind: 'rate_limited'; limit: SendLimitName | 'unknown_links'; retryAfterMs: number }
  /** The address bounced hard and is suppressed until `until` (ms). */
  | { kind: 'address_undeliverable'; reason: string; enhancedStatus: string | null; until: number }
  | InvalidCode
  /** Locked after too many wrong codes. */
  | { kind: 'too_many_attempts' }
  | { kind: 'code_expired' }
  /** Canceled by the portal or support: neither its code nor its link works any more. */
  | { kind: 'verification_canceled' }
  | { kind: 'already_verified' }
  | { kind: 'verification_not_found' }
  /** No continue link with this token for this client (never one, or pruned by newer mails). */
  | { kind: 'link_not_found' }
  /** The link was clicked in another browser than the one that asked: nothing was used up. */
  | { kind: 'different_browser' };

const limitDetail: Record<SendLimitName | 'unknown_links', string> = {
  cooldown: 'A code was sent to this address moments ago; wait before asking for another.',
  email_hour: 'Too many codes were sent to this address in the last hour.',
  email_day: 'Too many codes were sent to this address today.',
  ip_hour: 'Too many codes were requested from this end-user IP in the last hour.',
  domain_hour: 'Too many codes were sent to this mail domain in the last hour.',
  global_minute: 'The service is sending as many mails as it may right now; try again shortly.',
  guessing: 'Too many wrong codes were entered for this address in the last hour; sends to it are paused.',
  unknown_links: 'Too many unknown or used links from this IP; try again later, or type the code.',
};

export const verificationRefusals: RefusalTable<VerificationRefusal> = {
  invalid_request: invalidRequest,
  domain_not_allowed: {
    status: 422,
    title: 'Email domain not allowed',
    means: 'the address is not on a company domain this client accepts',
  },
  rate_limited: {
    status: 429,
    title: 'Too many requests',
    means: 'a limit was reached, with a `Retry-After` header and `retryAfter` seconds',
    body: 'RateLimitedProblem',
    detail: (r) => limitDetail[r.limit],
    retryAfterMs: (r) => r.retryAfterMs,
  },
  address_undeliverable: {
    status: 422,
    title: 'Address undeliverable',
    means: 'mail to it bounced, and it is suppressed (with the `reason` and `suppressedUntil`)',
    body: 'UndeliverableProblem',
    detail: (r) =>
      `Mail to this address bounced (${r.reason}); no code is sent to it until ${new Date(r.until).toISOString()}.`,
    extra: (r) => ({
      reason: r.reason,
      enhancedStatus: r.enhancedStatus,
      suppressedUntil: new Date(r.until).toISOString(),
    }),
  },
  invalid_code: invalidCode,
  too_many_attempts: {
    status: 429,
    title: 'Too many attempts',
    means: 'the verification is locked after too many wrong codes',
    detail: () => 'This verification is locked after too many wrong codes; send a new code later.',
  },
  code_expired: {
    status: 410,
    title: 'Code expired',
    means: 'the verification expired',
    detail: () => 'The code has expired; send a new code.',
  },
  verification_canceled: {
    status: 410,
    title: 'Verification canceled',
    means: 'the verification was canceled (by the portal, or by support): neither its code nor its link works',
    detail: () => 'This verification was canceled; send a new code.',
  },
  already_verified: {
    status: 409,
    title: 'Already verified',
    means: 'a verification is verified at most once',
    detail: () => 'This verification has already been used.',
  },
  verification_not_found: {
    status: 404,
    title: 'Verification not found',
    means: 'no such verification for this client',
    detail: () => 'No such verification for this client.',
  },
  link_not_found: {
    status: 404,
    title: 'Link not found',
    means: 'no continue link with this token for this client (or one replaced by newer mails)',
    detail: () => 'No such link for this client; it may have been replaced by a newer mail. Send a new code.',
  },
  different_browser: {
    status: 409,
    title: 'Different browser',
    means:
      'the link was opened in another browser than the one that asked for the code: nothing was used up, the code still works',
    detail: () =>
      'This link works in the browser where the code was asked for; here, type the code from the same mail.',
  },
};

export const refuse = refuser(verificationRefusals);
