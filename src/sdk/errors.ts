// Errors a portal can branch on: one class per problem code of the API, each carrying the
// problem document mailcode answered with. The codes are the server's one union (a
// type-only import): a code added there does not compile here until it has its class.
import type { Static } from 'typebox';
import type { ProblemCode as ProblemCodeSchema } from '../http/schemas/common.js';

export type ProblemCode = Static<typeof ProblemCodeSchema>;
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ProblemCode;
  attemptsRemaining?: number;
  retryAfter?: number;
  [extra: string]: unknown;
}

export class MailcodeError extends Error {
  override name = 'MailcodeError';
  readonly code: ProblemCode;
  readonly status: number;
  constructor(readonly problem: Problem) {
    super(problem.detail || problem.title);
    this.code = problem.code;
    this.status = problem.status;
  }
}

export class InvalidRequestError extends MailcodeError {
  override name = 'InvalidRequestError';
}
export class UnauthorizedError extends MailcodeError {
  override name = 'UnauthorizedError';
}
export class DomainNotAllowedError extends MailcodeError {
  override name = 'DomainNotAllowedError';
}
export class RateLimitedError extends MailcodeError {
  override name = 'RateLimitedError';
  /** Seconds until a retry may succeed. */
  get retryAfter(): number {
    return this.problem.retryAfter ?? 1;
  }
}
/** mailcode's database or Redis is away for a moment (a restart, a failover): nothing was done; the same request may be sent again. */
export class ServiceUnavailableError extends MailcodeError {
  override name = 'ServiceUnavailableError';
  /** Seconds to wait before sending the same request again. */
  get retryAfter(): number {
    return this.problem.retryAfter ?? 1;
  }
}
export class InvalidCodeError extends MailcodeError {
  override name = 'InvalidCodeError';
  get attemptsRemaining(): number {
    return this.problem.attemptsRemaining ?? 0;
  }
}
export class TooManyAttemptsError extends MailcodeError {
  override name = 'TooManyAttemptsError';
}
export class CodeExpiredError extends MailcodeError {
  override name = 'CodeExpiredError';
}
export class AlreadyVerifiedError extends MailcodeError {
  override name = 'AlreadyVerifiedError';
}
export class VerificationNotFoundError extends MailcodeError {
  override name = 'VerificationNotFoundError';
}
export class TotpNotEnabledError extends MailcodeError {
  override name = 'TotpNotEnabledError';
}
export class TotpAlreadyEnabledError extends MailcodeError {
  override name = 'TotpAlreadyEnabledError';
}
export class EnrollmentNotFoundError extends MailcodeError {
  override name = 'EnrollmentNotFoundError';
}

/** The address bounced hard and mailcode will not mail it until `suppressedUntil`. */
export class AddressUndeliverableError extends MailcodeError {
  override name = 'AddressUndeliverableError';
  /** The receiving server's refusal, e.g. "550 5.1.1 <a***@acme.example>: mailbox unknown", addresses masked. */
  get reason(): string {
    return typeof this.problem.reason === 'string' ? this.problem.reason : '';
  }
  /** The RFC 3463 status code in that refusal ("5.1.1"); `deliveryReason` names it. */
  get enhancedStatus(): string | null {
    return typeof this.problem.enhancedStatus === 'string' ? this.problem.enhancedStatus : null;
  }
  get suppressedUntil(): Date | undefined {
    return typeof this.problem.suppressedUntil === 'string' ? new Date(this.problem.suppressedUntil) : undefined;
  }
}
export class SuppressionNotFoundError extends MailcodeError {
  override name = 'SuppressionNotFoundError';
}

/** No continue link with this token (never one, or replaced by newer mails): offer a new code. */
export class LinkNotFoundError extends MailcodeError {
  override name = 'LinkNotFoundError';
}
/**
 * The link was opened in another browser than the one that asked (or by a mail scanner):
 * nothing was used up. Tell the person to type the code from the same mail, or to open the
 * link where they started.
 */
export class DifferentBrowserError extends MailcodeError {
  override name = 'DifferentBrowserError';
}
/** The verification was canceled (by the portal, or by support): its code and its link are spent; offer a new code. */
export class VerificationCanceledError extends MailcodeError {
  override name = 'VerificationCanceledError';
}

/** No such recovery for this person. */
export class RecoveryNotFoundError extends MailcodeError {
  override name = 'RecoveryNotFoundError';
}
/** The person has an open recovery already (`recoveryId`): one at a time. */
export class RecoveryPendingError extends MailcodeError {
  override name = 'RecoveryPendingError';
  get recoveryId(): string {
    return typeof this.problem.recoveryId === 'string' ? this.problem.recoveryId : '';
  }
}
/** The recovery is past this step (`state`: waiting, completed, canceled or expired). */
export class RecoveryClosedError extends MailcodeError {
  override name = 'RecoveryClosedError';
  get state(): string {
    return typeof this.problem.state === 'string' ? this.problem.state : '';
  }
}

/** The `firstFactor` passed is no unexpired email assertion of this client for this person; nothing was counted. */
export class FirstFactorRefusedError extends MailcodeError {
  override name = 'FirstFactorRefusedError';
}

/** The browser is not trusted for this person now (or the request is not from it): ask for the second factor. */
export class TrustedBrowserRefusedError extends MailcodeError {
  override name = 'TrustedBrowserRefusedError';
}
/** The person's address was last proven too long ago (the client's membership window): send a code first. */
export class EmailProofNeededError extends MailcodeError {
  override name = 'EmailProofNeededError';
}
export class TrustedBrowserNotFoundError extends MailcodeError {
  override name = 'TrustedBrowserNotFoundError';
}

/** The client requires a passkey sign-in: no trusted browser stands in for it. */
export class PasskeyRequiredError extends MailcodeError {
  override name = 'PasskeyRequiredError';
}
/** The client has no relying party yet (`mailcode clients passkeys`, or the console). */
export class PasskeysNotSetUpError extends MailcodeError {
  override name = 'PasskeysNotSetUpError';
}
/** The answer's challenge is unknown, used already, another client's, or expired: start the ceremony again. */
export class PasskeyChallengeError extends MailcodeError {
  override name = 'PasskeyChallengeError';
}
/** The browser's answer does not verify (origin, relying party, signature, counter) or names no passkey of this person. */
export class PasskeyRefusedError extends MailcodeError {
  override name = 'PasskeyRefusedError';
}
/** The client takes a passkey as the second factor only: pass the person's email assertion as `firstFactor`. */
export class FirstFactorNeededError extends MailcodeError {
  override name = 'FirstFactorNeededError';
}
export class PasskeyNotFoundError extends MailcodeError {
  override name = 'PasskeyNotFoundError';
}
/** The person has as many passkeys as one may keep (`limit`). */
export class TooManyPasskeysError extends MailcodeError {
  override name = 'TooManyPasskeysError';
}

const byCode: Record<ProblemCode, new (problem: Problem) => MailcodeError> = {
  invalid_request: InvalidRequestError,
  unauthorized: UnauthorizedError,
  domain_not_allowed: DomainNotAllowedError,
  rate_limited: RateLimitedError,
  service_unavailable: ServiceUnavailableError,
  invalid_code: InvalidCodeError,
  too_many_attempts: TooManyAttemptsError,
  code_expired: CodeExpiredError,
  already_verified: AlreadyVerifiedError,
  verification_not_found: VerificationNotFoundError,
  totp_not_enabled: TotpNotEnabledError,
  totp_already_enabled: TotpAlreadyEnabledError,
  enrollment_not_found: EnrollmentNotFoundError,
  address_undeliverable: AddressUndeliverableError,
  suppression_not_found: SuppressionNotFoundError,
  link_not_found: LinkNotFoundError,
  different_browser: DifferentBrowserError,
  verification_canceled: VerificationCanceledError,
  recovery_not_found: RecoveryNotFoundError,
  recovery_pending: RecoveryPendingError,
  recovery_closed: RecoveryClosedError,
  first_factor_refused: FirstFactorRefusedError,
  trusted_browser_refused: TrustedBrowserRefusedError,
  email_proof_needed: EmailProofNeededError,
  trusted_browser_not_found: TrustedBrowserNotFoundError,
  passkey_required: PasskeyRequiredError,
  passkeys_not_set_up: PasskeysNotSetUpError,
  passkey_challenge_refused: PasskeyChallengeError,
  passkey_challenge_expired: PasskeyChallengeError,
  passkey_refused: PasskeyRefusedError,
  first_factor_needed: FirstFactorNeededError,
  passkey_not_found: PasskeyNotFoundError,
  too_many_passkeys: TooManyPasskeysError,
  // Answers a portal has nothing to branch on: a path or method that does not exist, a
  // server not ready yet, a failure on mailcode's side.
  not_found: MailcodeError,
  method_not_allowed: MailcodeError,
  not_ready: MailcodeError,
  internal_error: MailcodeError,
};

export function errorFor(problem: Problem): MailcodeError {
  // A newer server may answer with a code this client does not know yet.
  const ErrorClass =
    (byCode as Partial<Record<string, new (problem: Problem) => MailcodeError>>)[problem.code] ?? MailcodeError;
  return new ErrorClass(problem);
}
