// The words of email verification: a verification, its limits, the outcomes of a send and
// of an attempt. Times are milliseconds since the epoch; the HTTP edge turns them into ISO.

/** What a portal's code is for. */
export type Purpose = 'signup' | 'login';
/** What any code is for: the portal's purposes, or mailcode's own recovery of a lost authenticator (recovery/). */
export type CodePurpose = Purpose | 'recovery';
/** As stored; `expired` is written by the expiry sweep (before it, a pending one past its expiry is expired too). */
export type VerificationStatus = 'pending' | 'verified' | 'locked' | 'canceled' | 'expired';
/** queued (not tried yet), deferred (refused for now, retrying), sent, bounced (refused for good), failed (undelivered when the code expired), suppressed (the address bounced before). */
export type DeliveryStatus = 'queued' | 'deferred' | 'sent' | 'bounced' | 'failed' | 'suppressed';

export interface Verification {
  id: string;
  clientId: string;
  email: string;
  /** A recovery's verification is mailcode's own: the portal's verify-code and GET /verifications never find it. */
  purpose: CodePurpose;
  locale: string;
  status: VerificationStatus;
  attempts: number;
  maxAttempts: number;
  sendCount: number;
  createdAt: number;
  lastSentAt: number;
  expiresAt: number;
  verifiedAt: number | null;
  /** What verified it: the code typed, or the continue link clicked. */
  verifiedWith: VerifiedWith | null;
  /** The portal's reference of the person this address is being proven for, when the send named one. */
  userRef: string | null;
}

export type VerifiedWith = 'code' | 'link';

/** What happened to the newest mail of a verification, as stored (see deliveryStatus). */
export interface Delivery {
  status: 'queued' | 'sent' | 'bounced' | 'failed' | 'suppressed';
  attempts: number;
  lastError: string | null;
  /** The receiving server's last reply: its 250 on delivery, its refusal otherwise. */
  lastReply: string | null;
  enhancedStatus: string | null;
  queueId: string | null;
  sentAt: number | null;
}

/** A queued mail that was tried and refused for now is deferred. */
export function deliveryStatus(d: Pick<Delivery, 'status' | 'attempts'>): DeliveryStatus {
  return d.status === 'queued' && d.attempts > 0 ? 'deferred' : d.status;
}

export interface SendLimits {
  codeTtlMs: number;
  cooldownMs: number;
  maxAttempts: number;
  perEmailHour: number;
  perEmailDay: number;
  perIpHour: number;
  /** Mails per recipient domain per hour: protects a company's mail server. */
  perDomainHour: number;
  /** All outgoing mail per minute: a ceiling against bill-running. */
  globalPerMinute: number;
  /** Wrong codes per address per hour (across verifications) before sends pause. */
  wrongCodesPerEmailHour: number;
  /** How many of the newest codes (and continue links) of one verification stay valid. */
  codesKept: number;
  /** Unknown or used continue links per client and IP per hour before such answers are refused. */
  unknownLinksPerIpHour: number;
}

/** The limits in the order a refusal names them (see send-flow.ts). */
export type SendLimitName =
  | 'cooldown'
  | 'guessing'
  | 'email_hour'
  | 'email_day'
  | 'ip_hour'
  | 'domain_hour'
  | 'global_minute';

export interface LimitStanding {
  limit: SendLimitName;
  /** What counts against it now (sends, wrong codes, mails to the domain). */
  used: number;
  max: number;
  windowMs: number;
  /** 0 when a send is allowed by this limit now; else how long until it is. */
  retryAfterMs: number;
}

export type VerificationTarget = { verificationId: string } | { email: string; purpose: Purpose };

/** Why a send is refused by what the database and the counters hold (send-flow.ts, sendRefusal). */
export type SendRefusal =
  | { kind: 'limited'; retryAfterMs: number; limit: SendLimitName }
  /** The address bounced hard: nothing is sent to it until the suppression ends. */
  | { kind: 'suppressed'; reason: string; enhancedStatus: string | null; until: number };

export type SendOutcome = { kind: 'queued'; verification: Verification; joined: boolean } | SendRefusal;

/**
 * Where an address stands for a client's sends, for support: the send's own answer now —
 * refused by the domain policy, a suppression or the first limit it would hit, in the
 * order a send checks them, or none — and each limit's count and reset.
 */
export interface SendStanding {
  verdict: SendRefusal | { kind: 'domain_not_allowed'; reason: string } | undefined;
  limits: LimitStanding[];
}

export type AttemptOutcome =
  | { kind: 'verified'; verification: Verification }
  | { kind: 'invalid'; attemptsRemaining: number; verification: Verification }
  | { kind: 'not_found' | 'expired' | 'canceled' | 'already_verified' | 'locked'; verification?: Verification };

/** A continue link's outcome: like an attempt's, and refused without a trace when the browser is not the one that asked. */
export type LinkOutcome =
  /** sameBrowser: the binding matched (a client that allows any browser may verify without). */
  | { kind: 'verified'; verification: Verification; sameBrowser: boolean }
  | { kind: 'different_browser'; verification: Verification }
  | { kind: 'unknown' }
  /** Too many unknown or used tokens from this IP for this client: answered without a look. */
  | { kind: 'limited'; retryAfterMs: number }
  | { kind: 'expired' | 'canceled' | 'already_verified' | 'locked'; verification: Verification };

export type CancelOutcome = 'canceled' | 'not_found' | 'already_verified' | 'unchanged';

/**
 * Why a verification takes no code and no link now, if it does not: in the order a person
 * is told (used, canceled, locked, expired). One rule for codes and links.
 */
export function closedBecause(
  v: Pick<Verification, 'status' | 'attempts' | 'maxAttempts' | 'expiresAt'>,
  now: number,
): 'already_verified' | 'canceled' | 'locked' | 'expired' | undefined {
  if (v.status === 'verified') return 'already_verified';
  if (v.status === 'canceled') return 'canceled';
  if (v.status === 'locked' || v.attempts >= v.maxAttempts) return 'locked';
  if (v.status === 'expired' || now >= v.expiresAt) return 'expired';
  return undefined;
}

/** What a portal sees: a pending verification past its expiry is "expired". */
export type VerificationState = 'pending' | 'verified' | 'expired' | 'locked' | 'canceled';

export function publicStatus(v: Pick<Verification, 'status' | 'expiresAt'>, now: number): VerificationState {
  return v.status === 'pending' && now >= v.expiresAt ? 'expired' : v.status;
}

/** A verification the portal asked for (not a recovery's code), as the portal's routes show it. */
export const isPortalVerification = (v: Verification): v is Verification & { purpose: Purpose } =>
  v.purpose !== 'recovery';
