// mailcode's tables in the PostgreSQL dialect: the same tables, columns and indexes as
// schema.ts (SQLite), so rows read the same through either store. Times stay integer
// milliseconds (bigint, read as JS numbers: safe until the year 287,396).
import { sql } from 'drizzle-orm';
import { bigint, bigserial, boolean, index, integer, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';

const millis = (name: string) => bigint(name, { mode: 'number' });

/** A portal backend that may call the API. Only a SHA-256 hash of its API key is kept. */
export const clients = pgTable(
  'clients',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    apiKeyHash: text('api_key_hash').notNull(),
    /** JSON array of lower-case punycode domains; empty means "any company domain". */
    allowedDomains: text('allowed_domains').notNull().default('[]'),
    mailFrom: text('mail_from'),
    defaultLocale: text('default_locale').notNull().default('en'),
    replyTo: text('reply_to'),
    support: text('support'),
    logoUrl: text('logo_url'),
    accentColor: text('accent_color'),
    codeInSubject: boolean('code_in_subject').notNull().default(true),
    /** The portal page a code mail's continue link opens (the token follows in its fragment); null: no link. */
    continueUrl: text('continue_url'),
    /** The link works in any browser, not only the one that asked for the code (weaker). */
    continueAnyBrowser: boolean('continue_any_browser').notNull().default(false),
    /** optional | required: whether the portal should require an authenticator app. */
    secondFactor: text('second_factor').$type<'optional' | 'required'>().notNull().default('optional'),
    /** How long an address stays suppressed after a hard bounce (hours). */
    suppressionHours: integer('suppression_hours').notNull().default(24),
    /** JSON array of notice kinds this client does not mail (people/notices.ts); empty: every notice goes out. */
    noticesOff: text('notices_off').notNull().default('[]'),
    /** How long a recovery by email waits before it removes the authenticator (hours; 0 is weaker: see SECURITY.md). */
    recoveryWaitHours: integer('recovery_wait_hours').notNull().default(24),
    /** How long a browser the person trusted skips the second factor (days, at most 90). */
    trustedBrowserDays: integer('trusted_browser_days').notNull().default(30),
    /** A trusted browser never stands in for a person whose last email proof is older than this (days). */
    membershipDays: integer('membership_days').notNull().default(30),
    createdAt: millis('created_at').notNull(),
    revokedAt: millis('revoked_at'),
  },
  (t) => [uniqueIndex('clients_api_key_hash').on(t.apiKeyHash)],
);

export const verifications = pgTable(
  'verifications',
  {
    id: text('id').primaryKey(),
    clientId: text('client_id')
      .notNull()
      .references(() => clients.id),
    email: text('email').notNull(),
    purpose: text('purpose').notNull(),
    locale: text('locale').notNull(),
    status: text('status').notNull(),
    attempts: integer('attempts').notNull().default(0),
    maxAttempts: integer('max_attempts').notNull(),
    sendCount: integer('send_count').notNull().default(1),
    createdAt: millis('created_at').notNull(),
    lastSentAt: millis('last_sent_at').notNull(),
    expiresAt: millis('expires_at').notNull(),
    verifiedAt: millis('verified_at'),
    verifiedWith: text('verified_with'),
    /** The portal's reference of the person the address is proven for, when the send named one. */
    userRef: text('user_ref'),
  },
  (t) => [
    index('verifications_lookup').on(t.clientId, t.email, t.purpose, t.createdAt),
    // Retention's purge, and the expiry sweep's look at what expired since its last pass.
    index('verifications_expires').on(t.expiresAt),
  ],
);

export const verificationCodes = pgTable(
  'verification_codes',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    verificationId: text('verification_id')
      .notNull()
      .references(() => verifications.id, { onDelete: 'cascade' }),
    codeHash: text('code_hash').notNull(),
    createdAt: millis('created_at').notNull(),
  },
  (t) => [index('verification_codes_verification').on(t.verificationId)],
);


/**
 * Keyed hashes of the continue links mailed for a verification, one per mail, with the
 * keyed hash of the browser binding the portal gave for that send. Kept after the
 * verification is used or canceled (its status answers a second click), gone with it.
 */
export const verificationLinks = pgTable(
  'verification_links',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    verificationId: text('verification_id')
      .notNull()
      .references(() => verifications.id, { onDelete: 'cascade' }),
    linkHash: text('link_hash').notNull(),
    bindingHash: text('binding_hash'),
    createdAt: millis('created_at').notNull(),
  },
  (t) => [uniqueIndex('verification_links_hash').on(t.linkHash), index('verification_links_verification').on(t.verificationId)],
);
export const outbox = pgTable(
  'outbox',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** The code's verification; none for a mail of another kind (a notice). */
    verificationId: text('verification_id').references(() => verifications.id, { onDelete: 'cascade' }),
    /** What kind of mail (mail/kinds/): code, authenticator_removed. */
    kind: text('kind').notNull().default('code'),
    /** A notice's client and recipient (a code's are its verification's). */
    clientId: text('client_id').references(() => clients.id),
    email: text('email'),
    /** The person a notice is about (the portal's user reference): its events' subject. */
    userRef: text('user_ref'),
    status: text('status').notNull(),
    payload: text('payload'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: millis('next_attempt_at').notNull(),
    /** The process holding the row until this time; a crashed process's rows come back after it. */
    leaseUntil: millis('lease_until').notNull().default(0),
    lastError: text('last_error'),
    /** The receiving server's last reply (the 250 of a delivery, the 4xx/5xx of a refusal). */
    lastReply: text('last_reply'),
    /** The RFC 3463 enhanced status code of the last refusal, e.g. 5.1.1. */
    enhancedStatus: text('enhanced_status'),
    /** The queue id the receiving server gave in its 250 reply, when it gave one. */
    queueId: text('queue_id'),
    createdAt: millis('created_at').notNull(),
    expiresAt: millis('expires_at').notNull(),
    sentAt: millis('sent_at'),
  },
  (t) => [index('outbox_due').on(t.status, t.nextAttemptAt), index('outbox_verification').on(t.verificationId)],
);

export const sendEvents = pgTable(
  'send_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    clientId: text('client_id').notNull(),
    email: text('email').notNull(),
    endUserIp: text('end_user_ip'),
    createdAt: millis('created_at').notNull(),
  },
  (t) => [
    index('send_events_email').on(t.email, t.createdAt),
    index('send_events_ip').on(t.endUserIp, t.createdAt),
    index('send_events_created').on(t.createdAt),
  ],
);

/** Bucketed counters (see schema.ts); with REDIS_URL they live in Redis instead. */
export const limitCounters = pgTable(
  'limit_counters',
  {
    key: text('key').notNull(),
    bucket: millis('bucket').notNull(),
    count: integer('count').notNull(),
  },
  (t) => [primaryKey({ columns: [t.key, t.bucket] }), index('limit_counters_bucket').on(t.bucket)],
);

/**
 * One row per address and per end-user IP that was sent to: every send bumps its version,
 * so a send that read the limits' state can write only if no other send came in between.
 */
export const sendGuards = pgTable(
  'send_guards',
  {
    key: text('key').primaryKey(),
    version: bigint('version', { mode: 'number' }).notNull(),
    updatedAt: millis('updated_at').notNull(),
  },
  (t) => [index('send_guards_updated').on(t.updatedAt)],
);

/** Ed25519 keys that sign assertions, shared by every process through the database. */
export const signingKeys = pgTable('signing_keys', {
  kid: text('kid').primaryKey(),
  publicJwk: text('public_jwk').notNull(),
  privateJwkEncrypted: text('private_jwk_encrypted').notNull(),
  createdAt: millis('created_at').notNull(),
  retiredAt: millis('retired_at'),
});

/** Authenticator-app factors (see schema.ts). */
export const totpFactors = pgTable(
  'totp_factors',
  {
    id: text('id').primaryKey(),
    clientId: text('client_id')
      .notNull()
      .references(() => clients.id),
    userRef: text('user_ref').notNull(),
    accountName: text('account_name').notNull(),
    secretEncrypted: text('secret_encrypted').notNull(),
    status: text('status').notNull(),
    createdAt: millis('created_at').notNull(),
    expiresAt: millis('expires_at').notNull(),
    confirmedAt: millis('confirmed_at'),
    lastUsedStep: bigint('last_used_step', { mode: 'number' }),
    failedAttempts: integer('failed_attempts').notNull().default(0),
    lockedUntil: millis('locked_until'),
  },
  (t) => [
    index('totp_factors_user').on(t.clientId, t.userRef),
    // The console looks a person up across clients, by user reference or address.
    index('totp_factors_user_ref').on(t.userRef),
    index('totp_factors_account').on(t.accountName),
    uniqueIndex('totp_factors_one_active').on(t.clientId, t.userRef).where(sql`status = 'active'`),
  ],
);

export const totpRecoveryCodes = pgTable(
  'totp_recovery_codes',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    factorId: text('factor_id')
      .notNull()
      .references(() => totpFactors.id, { onDelete: 'cascade' }),
    codeHash: text('code_hash').notNull(),
    usedAt: millis('used_at'),
  },
  (t) => [uniqueIndex('totp_recovery_codes_hash').on(t.factorId, t.codeHash)],
);

/** The audit trail (see schema.ts). */
export const events = pgTable(
  'events',
  {
    seq: bigserial('seq', { mode: 'number' }).primaryKey(),
    id: text('id').notNull(),
    clientId: text('client_id').notNull(),
    type: text('type').notNull(),
    subject: text('subject').notNull(),
    maskedEmail: text('masked_email'),
    requestId: text('request_id'),
    actor: text('actor').notNull(),
    /** The operator (op_…) when the actor is one. */
    actorId: text('actor_id'),
    data: text('data').notNull(),
    createdAt: millis('created_at').notNull(),
  },
  (t) => [
    uniqueIndex('events_id').on(t.id),
    index('events_client').on(t.clientId, t.seq),
    index('events_subject').on(t.clientId, t.subject, t.seq),
    // The console's audit view: one operator's doings. Partial: the events of the hot paths
    // (no operator) add no index entry.
    index('events_operator').on(t.actorId, t.seq).where(sql`actor_id is not null`),
  ],
);

/** Suppressed addresses (see schema.ts). */
export const suppressions = pgTable(
  'suppressions',
  {
    clientId: text('client_id').notNull(),
    email: text('email').notNull(),
    reason: text('reason').notNull(),
    enhancedStatus: text('enhanced_status'),
    verificationId: text('verification_id'),
    createdAt: millis('created_at').notNull(),
    until: millis('until').notNull(),
  },
  (t) => [primaryKey({ columns: [t.clientId, t.email] }), index('suppressions_until').on(t.until), index('suppressions_email').on(t.email)],
);

/** Webhook endpoints (see schema.ts). */
export const webhookEndpoints = pgTable(
  'webhook_endpoints',
  {
    id: text('id').primaryKey(),
    clientId: text('client_id').notNull(),
    url: text('url').notNull(),
    eventTypes: text('event_types').notNull().default('[]'),
    secretSealed: text('secret_sealed').notNull(),
    status: text('status').notNull(),
    cursorSeq: bigint('cursor_seq', { mode: 'number' }).notNull(),
    failingSince: millis('failing_since'),
    createdAt: millis('created_at').notNull(),
    disabledAt: millis('disabled_at'),
    disabledReason: text('disabled_reason'),
  },
  (t) => [index('webhook_endpoints_client').on(t.clientId)],
);

/** Webhook deliveries (see schema.ts). */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    endpointId: text('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
    eventId: text('event_id').notNull(),
    subject: text('subject').notNull(),
    payload: text('payload').notNull(),
    status: text('status').notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: millis('next_attempt_at').notNull(),
    leaseUntil: millis('lease_until').notNull().default(0),
    lastStatus: integer('last_status'),
    lastError: text('last_error'),
    createdAt: millis('created_at').notNull(),
    deliveredAt: millis('delivered_at'),
  },
  (t) => [
    index('webhook_deliveries_due').on(t.status, t.nextAttemptAt),
    index('webhook_deliveries_subject').on(t.endpointId, t.subject, t.status, t.id),
  ],
);

/** A client's own DKIM key (see schema.ts). */
export const dkimKeys = pgTable(
  'dkim_keys',
  {
    id: text('id').primaryKey(),
    clientId: text('client_id')
      .notNull()
      .references(() => clients.id),
    domain: text('domain').notNull(),
    selector: text('selector').notNull(),
    publicKey: text('public_key').notNull(),
    privateKeySealed: text('private_key_sealed').notNull(),
    createdAt: millis('created_at').notNull(),
    signsFrom: millis('signs_from').notNull(),
    retiredAt: millis('retired_at'),
  },
  (t) => [uniqueIndex('dkim_keys_client_domain_selector').on(t.clientId, t.domain, t.selector)],
);

/** A client's own SMTP relay (see schema.ts). */
export const clientRelays = pgTable('client_relays', {
  clientId: text('client_id')
    .primaryKey()
    .references(() => clients.id),
  smtpUrlSealed: text('smtp_url_sealed').notNull(),
  shown: text('shown').notNull(),
  updatedAt: millis('updated_at').notNull(),
});

/** The people who run mailcode (the support console): an address to mail sign-in codes to, and a role. */
export const operators = pgTable(
  'operators',
  {
    id: text('id').primaryKey(),
    /** Normalized; one operator per address. */
    email: text('email').notNull(),
    /** admin | support */
    role: text('role').$type<'admin' | 'support'>().notNull(),
    createdAt: millis('created_at').notNull(),
    disabledAt: millis('disabled_at'),
  },
  (t) => [uniqueIndex('operators_email').on(t.email)],
);

/** The support console's sessions: only the SHA-256 of the cookie's id is kept. */
export const consoleSessions = pgTable(
  'console_sessions',
  {
    idHash: text('id_hash').primaryKey(),
    operatorId: text('operator_id')
      .notNull()
      .references(() => operators.id, { onDelete: 'cascade' }),
    /** code | second_factor | enrol | signed_in */
    stage: text('stage').$type<'code' | 'second_factor' | 'enrol' | 'signed_in'>().notNull(),
    createdAt: millis('created_at').notNull(),
    lastSeenAt: millis('last_seen_at').notNull(),
  },
  (t) => [index('console_sessions_operator').on(t.operatorId), index('console_sessions_seen').on(t.lastSeenAt)],
);

/** The company addresses a person of a client (the portal's user reference) has proven, with a code or a link. */
export const personAddresses = pgTable(
  'person_addresses',
  {
    clientId: text('client_id')
      .notNull()
      .references(() => clients.id),
    userRef: text('user_ref').notNull(),
    email: text('email').notNull(),
    /** What the last proof was for: signup | login. */
    purpose: text('purpose').notNull(),
    provenAt: millis('proven_at').notNull(),
    /** The verification that proved it last. */
    verificationId: text('verification_id').notNull(),
  },
  (t) => [primaryKey({ columns: [t.clientId, t.userRef, t.email] }), index('person_addresses_email').on(t.email)],
);

/**
 * A person's recovery of a lost authenticator by email (recovery/): a code mailed to the
 * address they proved, then a waiting period during which a sign-in with the authenticator,
 * the portal or support cancels it; at its end the authenticator is removed. At most one
 * is open (code_sent or waiting) per person. A recovery for nobody (no authenticator or no
 * proven address) is kept too, without a verification, so it reads like any other.
 */
export const recoveries = pgTable(
  'recoveries',
  {
    id: text('id').primaryKey(),
    clientId: text('client_id')
      .notNull()
      .references(() => clients.id),
    userRef: text('user_ref').notNull(),
    /** The verification whose code was mailed; null when nothing was (nobody to recover). */
    verificationId: text('verification_id'),
    /** code_sent | waiting | completed | canceled | expired */
    status: text('status').notNull(),
    /** Wrong codes typed for a recovery that mailed nothing (a real one counts on its verification). */
    attempts: integer('attempts').notNull().default(0),
    createdAt: millis('created_at').notNull(),
    codeExpiresAt: millis('code_expires_at').notNull(),
    startedAt: millis('started_at'),
    completesAt: millis('completes_at'),
    endedAt: millis('ended_at'),
    /** wait | support | sign_in | portal */
    endedBy: text('ended_by'),
    /** Support's words when support approved or canceled it. */
    reason: text('reason'),
  },
  (t) => [
    index('recoveries_person').on(t.clientId, t.userRef),
    index('recoveries_due').on(t.status, t.completesAt),
    uniqueIndex('recoveries_one_open').on(t.clientId, t.userRef).where(sql`status in ('code_sent', 'waiting')`),
  ],
);

/**
 * Browsers a person trusted after a full sign-in (trusted-browsers/): a token only the
 * browser holds (kept as a keyed hash, bound to the browser's cookie binding), rotated at
 * every use; the one before is kept to recognise its replay, which ends the trust.
 */
export const trustedBrowsers = pgTable(
  'trusted_browsers',
  {
    id: text('id').primaryKey(),
    clientId: text('client_id')
      .notNull()
      .references(() => clients.id),
    userRef: text('user_ref').notNull(),
    label: text('label').notNull(),
    tokenHash: text('token_hash').notNull(),
    /** The token before the last rotation: presented again, it ends the trust. */
    previousTokenHash: text('previous_token_hash'),
    bindingHash: text('binding_hash').notNull(),
    createdAt: millis('created_at').notNull(),
    lastUsedAt: millis('last_used_at').notNull(),
    expiresAt: millis('expires_at').notNull(),
    endedAt: millis('ended_at'),
    /** revoked | replayed | factors_changed | address_gone */
    endedReason: text('ended_reason'),
  },
  (t) => [
    uniqueIndex('trusted_browsers_token').on(t.tokenHash),
    index('trusted_browsers_previous').on(t.previousTokenHash),
    index('trusted_browsers_person').on(t.clientId, t.userRef),
  ],
);

/** A client's relying party for passkeys (passkeys/): none, and passkeys are off for it. */
export const passkeySettings = pgTable('passkey_settings', {
  clientId: text('client_id')
    .primaryKey()
    .references(() => clients.id),
  rpId: text('rp_id').notNull(),
  /** JSON array of origins (https, or http://localhost outside production). */
  origins: text('origins').notNull(),
  alone: boolean('alone').notNull().default(false),
  required: boolean('required').notNull().default(false),
  counterStrict: boolean('counter_strict').notNull().default(false),
});

/** A ceremony's challenge: single use (taken by a DELETE … RETURNING), 5 minutes. Only its SHA-256 is kept. */
export const passkeyChallenges = pgTable(
  'passkey_challenges',
  {
    hash: text('hash').primaryKey(),
    clientId: text('client_id').notNull(),
    /** registration | authentication */
    kind: text('kind').notNull(),
    userRef: text('user_ref'),
    userHandle: text('user_handle'),
    createdAt: millis('created_at').notNull(),
    expiresAt: millis('expires_at').notNull(),
  },
  (t) => [index('passkey_challenges_expiry').on(t.expiresAt)],
);

/** A person's passkey: the public key and what the authenticator said of itself. */
export const passkeys = pgTable(
  'passkeys',
  {
    id: text('id').primaryKey(),
    clientId: text('client_id')
      .notNull()
      .references(() => clients.id),
    userRef: text('user_ref').notNull(),
    credentialId: text('credential_id').notNull(),
    userHandle: text('user_handle').notNull(),
    /** The COSE public key, base64url. */
    publicKey: text('public_key').notNull(),
    /** WebAuthn's counter is 32 bits unsigned: past a Postgres integer. */
    counter: bigint('counter', { mode: 'number' }).notNull(),
    /** JSON array of the transports the browser named (internal, hybrid, usb, nfc, ble). */
    transports: text('transports').notNull().default('[]'),
    aaguid: text('aaguid').notNull(),
    /** singleDevice | multiDevice */
    deviceType: text('device_type').notNull(),
    backedUp: boolean('backed_up').notNull(),
    name: text('name').notNull(),
    createdAt: millis('created_at').notNull(),
    lastUsedAt: millis('last_used_at'),
    counterWentBackAt: millis('counter_went_back_at'),
  },
  (t) => [
    uniqueIndex('passkeys_credential').on(t.clientId, t.credentialId),
    index('passkeys_person').on(t.clientId, t.userRef),
  ],
);
