// What the service needs from persistence. Each method is one atomic unit of work, so an
// implementation makes it one transaction (SQLite or PostgreSQL) and the rules stay in
// plain functions both call (limits.ts, and the send and attempt flows in flows.ts).
// Every method is async: PostgreSQL answers over a socket, SQLite at once.

export type Purpose = 'signup' | 'login';
export type VerificationStatus = 'pending' | 'verified' | 'locked' | 'canceled';
export type DeliveryStatus = 'queued' | 'sent' | 'failed';

/** What a client may change about itself: its name and how its mail looks. */
export interface ClientSettings {
  name: string;
  allowedDomains: string[];
  mailFrom: string | null;
  defaultLocale: string;
  replyTo: string | null;
  support: string | null;
  logoUrl: string | null;
  accentColor: string | null;
  codeInSubject: boolean;
}

export interface Client extends ClientSettings {
  id: string;
  createdAt: number;
  revokedAt: number | null;
}

export interface Verification {
  id: string;
  clientId: string;
  email: string;
  purpose: Purpose;
  locale: string;
  status: VerificationStatus;
  attempts: number;
  maxAttempts: number;
  sendCount: number;
  createdAt: number;
  lastSentAt: number;
  expiresAt: number;
  verifiedAt: number | null;
}

export interface Delivery {
  status: DeliveryStatus;
  attempts: number;
  lastError: string | null;
  sentAt: number | null;
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
  /** How many of the newest codes of one verification stay valid. */
  codesKept: number;
}

export interface SendRequest {
  clientId: string;
  email: string;
  /** The address's domain (punycode), for the per-domain limit. */
  domain: string;
  purpose: Purpose;
  locale: string;
  /** The end-user IP key (an IPv4 address or an IPv6 /64), when the portal gave one. */
  endUserIp: string | null;
  now: number;
  limits: SendLimits;
  newVerificationId: string;
  /** Called inside the transaction once the verification id is known. */
  codeHashFor(verificationId: string): string;
  /** The encrypted outbox payload for the mail of this send. */
  payloadFor(verification: Verification): string;
}

export type SendLimitName = 'cooldown' | 'email_hour' | 'email_day' | 'ip_hour' | 'domain_hour' | 'global_minute' | 'guessing';

export type SendOutcome =
  | { kind: 'queued'; verification: Verification; joined: boolean }
  | { kind: 'limited'; retryAfterMs: number; limit: SendLimitName };

export type VerificationTarget = { verificationId: string } | { email: string; purpose: Purpose };

export interface AttemptRequest {
  clientId: string;
  target: VerificationTarget;
  now: number;
  /** Compares the submitted code with the stored hashes (constant time). */
  matches(verificationId: string, storedHashes: readonly string[]): boolean;
}

export type AttemptOutcome =
  | { kind: 'verified'; verification: Verification }
  | { kind: 'invalid'; attemptsRemaining: number; verification: Verification }
  | { kind: 'not_found' | 'expired' | 'canceled' | 'already_verified' | 'locked'; verification?: Verification };

export interface OutboxMail {
  id: number;
  verificationId: string;
  payload: string;
  attempts: number;
  createdAt: number;
  expiresAt: number;
}

export interface SigningKeyRow {
  kid: string;
  publicJwk: string;
  privateJwkEncrypted: string;
  createdAt: number;
  retiredAt: number | null;
}

export interface NewClient extends Partial<ClientSettings> {
  id: string;
  name: string;
  apiKeyHash: string;
  allowedDomains: string[];
  createdAt: number;
}

export interface PurgeResult {
  verifications: number;
  sendEvents: number;
  signingKeys: number;
}

export interface Store {
  readonly totp: TotpStore;
  createClient(client: NewClient): Promise<Client>;
  listClients(): Promise<Client[]>;
  findClientByKeyHash(apiKeyHash: string): Promise<(Client & { apiKeyHash: string }) | undefined>;
  updateClient(id: string, changes: Partial<ClientSettings>): Promise<Client | undefined>;
  getClient(id: string): Promise<Client | undefined>;
  revokeClient(id: string, now: number): Promise<boolean>;

  recordSend(request: SendRequest): Promise<SendOutcome>;
  attemptCode(request: AttemptRequest): Promise<AttemptOutcome>;
  getVerification(id: string, clientId: string): Promise<{ verification: Verification; delivery: Delivery | null } | undefined>;
  cancelVerification(id: string, clientId: string, now: number): Promise<'canceled' | 'not_found' | 'already_verified' | 'unchanged'>;

  claimDueMail(now: number, leaseMs: number, limit: number): Promise<OutboxMail[]>;
  /** Extends the leases of mail still being delivered, so no one else takes it meanwhile. */
  renewMailLeases(ids: number[], leaseUntil: number): Promise<void>;
  /**
   * Called once when a worker starts: gives back mail a dead process had claimed. SQLite has
   * one process, so every lease found at start is a dead one's; PostgreSQL's leases are
   * short and renewed, so a dead replica's mail comes back within one lease anyway.
   */
  releaseAbandonedMail(): Promise<number>;
  markMailSent(id: number, now: number): Promise<void>;
  markMailRetry(id: number, nextAttemptAt: number, error: string): Promise<void>;
  markMailFailed(id: number, error: string): Promise<void>;
  failExpiredMail(now: number): Promise<number>;
  countQueuedMail(): Promise<number>;

  listSigningKeys(): Promise<SigningKeyRow[]>;
  /** Inserts the new key and retires every older active key, atomically. */
  addSigningKey(key: SigningKeyRow): Promise<void>;

  /** Re-encrypts a signing key's private part (after CODE_SECRET rotation). */
  resealSigningKey(kid: string, privateJwkEncrypted: string): Promise<void>;

  purge(now: number, keepVerificationsUntil: number, keepSendEventsUntil: number, keepKeysUntil: number): Promise<PurgeResult>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export type TotpFactorStatus = 'pending' | 'active';

export interface TotpFactor {
  id: string;
  clientId: string;
  userRef: string;
  accountName: string;
  secretEncrypted: string;
  status: TotpFactorStatus;
  createdAt: number;
  expiresAt: number;
  confirmedAt: number | null;
  lastUsedStep: number | null;
  failedAttempts: number;
  lockedUntil: number | null;
}

export type NewTotpFactor = Pick<TotpFactor, 'id' | 'clientId' | 'userRef' | 'accountName' | 'secretEncrypted' | 'createdAt' | 'expiresAt'>;

/**
 * Authenticator-app factors. Each method is one statement or one transaction; the rules
 * (windows, replay, lockout) live in verification/totp.ts, where both databases share them.
 */
export interface TotpStore {
  createFactor(factor: NewTotpFactor): Promise<void>;
  getFactor(id: string, clientId: string): Promise<TotpFactor | undefined>;
  activeFactor(clientId: string, userRef: string): Promise<TotpFactor | undefined>;
  /**
   * pending → active unless the enrolment has expired; the user's other factors go and the
   * recovery codes are stored, in one transaction. False when nothing was activated.
   */
  activate(id: string, now: number, recoveryCodeHashes: string[]): Promise<boolean>;
  /**
   * Counts an attempt before the code is compared, unless the factor is locked (a lock that
   * has run out starts a fresh count). The count after this attempt, or undefined if locked.
   */
  countAttempt(id: string, now: number, maxAttempts: number): Promise<number | undefined>;
  lock(id: string, until: number): Promise<void>;
  /** Re-encrypts the secret under the newest key (after a CODE_SECRET rotation). */
  resealSecret(id: string, secretEncrypted: string): Promise<void>;
  /** Accepts a time step newer than the last accepted one and clears the wrong-code count. */
  acceptStep(id: string, step: number): Promise<boolean>;
  /** Marks an unused recovery code used and clears the wrong-code count. */
  useRecoveryCode(factorId: string, codeHash: string, now: number): Promise<boolean>;
  replaceRecoveryCodes(factorId: string, codeHashes: string[]): Promise<void>;
  recoveryCodesLeft(factorId: string): Promise<number>;
  /** Every factor of the user (active or pending), for a support reset. */
  removeFactors(clientId: string, userRef: string): Promise<number>;
}
