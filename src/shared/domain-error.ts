// The answers a domain service gives by throwing: what went wrong, in the domain's words.
// The HTTP edge (http/problems.ts) maps each to a status, headers and problem text.

export type DomainRefusal =
  | { kind: 'invalid_input'; detail: string }
  | { kind: 'domain_not_allowed'; detail: string }
  /** `limit` names the rule (SendLimitName in verification/model.ts). */
  | { kind: 'send_limited'; limit: string; retryAfterMs: number }
  /** The address bounced hard and is suppressed until `until` (ms). */
  | { kind: 'address_undeliverable'; reason: string; enhancedStatus: string | null; until: number }
  /** `detail` names the address and the client, for the operator; HTTP answers its own words. */
  | { kind: 'suppression_not_found'; detail: string }
  | { kind: 'wrong_code'; attemptsRemaining: number }
  /** A verification locked after too many wrong codes. */
  | { kind: 'verification_locked' }
  /** An authenticator factor refusing codes until `retryAfterMs` has passed. */
  | { kind: 'factor_locked'; retryAfterMs: number }
  | { kind: 'code_expired' }
  | { kind: 'verification_canceled' }
  | { kind: 'already_verified' }
  | { kind: 'verification_not_found' }
  /** No continue link with this token for this client (never one, or pruned by newer mails). */
  | { kind: 'link_not_found' }
  /** The link was clicked in another browser than the one that asked: nothing was used up. */
  | { kind: 'different_browser' }
  /** The link's verification was canceled. */
  | { kind: 'link_canceled' }
  /** Too many unknown or used links from this IP for this client. */
  | { kind: 'link_limited'; retryAfterMs: number }
  | { kind: 'totp_not_enabled' }
  | { kind: 'totp_already_enabled' }
  | { kind: 'enrollment_not_found' }
  /** No such client (or, for revoke and rotate-key, no such active client). */
  | { kind: 'client_not_found'; detail: string }
  /** No such DKIM key of the client (or none that could take this change). */
  | { kind: 'dkim_key_not_found'; detail: string }
  /** No such webhook endpoint of the client (or no such event of it, for a replay). */
  | { kind: 'webhook_not_found'; detail: string }
  /** No such operator (or, for disable, no such active one). */
  | { kind: 'operator_not_found'; detail: string }
  /** An operator with this address exists already. */
  | { kind: 'operator_exists'; detail: string };

export class DomainError extends Error {
  constructor(readonly refusal: DomainRefusal) {
    // A refusal is an answer, not a bug: no stack trace to capture (it is never shown or
    // logged), which keeps a wrong code as cheap to answer as a right one.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(refusal.kind);
    Error.stackTraceLimit = stackTraceLimit;
    this.name = 'DomainError';
  }
}

export const refuse = (refusal: DomainRefusal): DomainError => new DomainError(refusal);

/** A refusal as one line for an operator (the CLI, the console): its detail, or its kind in words. */
export const refusalText = (refusal: DomainRefusal): string =>
  'detail' in refusal ? refusal.detail : refusal.kind.replaceAll('_', ' ');
