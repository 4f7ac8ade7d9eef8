// The one source of truth for mailcode's tables (SQLite dialect).
// Times are stored as integer milliseconds since the epoch: cheap to compare and index,
// and free of time-zone parsing.
import { sql } from 'drizzle-orm';
import { sqliteTable, text, integer, index, primaryKey, uniqueIndex } from 'drizzle-orm/sqlite-core';

/** A portal backend that may call the API. Only a SHA-256 hash of its API key is kept. */
export const clients = sqliteTable(
  'clients',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    apiKeyHash: text('api_key_hash').notNull(),
    /** JSON array of lower-case punycode domains; empty means "any company domain". */
    allowedDomains: text('allowed_domains').notNull().default('[]'),
    mailFrom: text('mail_from'),
    defaultLocale: text('default_locale').notNull().default('en'),
    // Branding of the code mail (see `mailcode clients update --help`).
    replyTo: text('reply_to'),
    support: text('support'),
    logoUrl: text('logo_url'),
    accentColor: text('accent_color'),
    codeInSubject: integer('code_in_subject', { mode: 'boolean' }).notNull().default(true),
    /** The portal page a code mail's continue link opens (the token follows in its fragment); null: no link. */
    continueUrl: text('continue_url'),
    /** The link works in any browser, not only the one that asked for the code (weaker). */
    continueAnyBrowser: integer('continue_any_browser', { mode: 'boolean' }).notNull().default(false),
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
    createdAt: integer('created_at').notNull(),
    revokedAt: integer('revoked_at'),
  },
  (t) => [uniqueIndex('clients_api_key_hash').on(t.apiKeyHash)],
);

/** One attempt of a person to prove control of a mailbox, for one client and purpose. */
export const verifications = sqliteTable(
  'verifications',
  {
    id: text('id').primaryKey(),
    clientId: text('client_id')
      .notNull()
      .references(() => clients.id),
    email: text('email').notNull(),
    purpose: text('purpose').notNull(),
    locale: text('locale').notNull(),
    /** pending | verified | locked | canceled (expired is derived from expires_at). */
    status: text('status').notNull(),
    attempts: integer('attempts').notNull().default(0),
    maxAttempts: integer('max_attempts').notNull(),
    sendCount: integer('send_count').notNull().default(1),
    createdAt: integer('created_at').notNull(),
    lastSentAt: integer('last_sent_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
    verifiedAt: integer('verified_at'),
    /** code | link: what verified it. */
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

/** Keyed hashes of the codes mailed for a verification (the newest few stay valid). */
export const verificationCodes = sqliteTable(
  'verification_codes',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    verificationId: text('verification_id')
      .notNull()
      .references(() => verifications.id, { onDelete: 'cascade' }),
    codeHash: text('code_hash').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('verification_codes_verification').on(t.verificationId)],
);

/**
 * Keyed hashes of the continue links mailed for a verification, one per mail, with the
 * keyed hash of the browser binding the portal gave for that send. Kept after the
 * verification is used or canceled (its status answers a second click), gone with it.
 */
export const verificationLinks = sqliteTable(
  'verification_links',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    verificationId: text('verification_id')
      .notNull()
      .references(() => verifications.id, { onDelete: 'cascade' }),
    linkHash: text('link_hash').notNull(),
    bindingHash: text('binding_hash'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [uniqueIndex('verification_links_hash').on(t.linkHash), index('verification_links_verification').on(t.verificationId)],
);

/**
 * Mails waiting to be delivered. The payload (which holds the code) is encrypted and is
 * erased as soon as the mail is sent or can no longer be useful.
 */
export const outbox = sqliteTable(
  'outbox',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** The code's verification; none for a mail of another kind (a notice). */
    verificationId: text('verification_id').references(() => verifications.id, { onDelete: 'cascade' }),
    /** What kind of mail (mail/kinds/): code, authenticator_removed. */
    kind: text('kind').notNull().default('code'),
    /** A notice's client and recipient (a code's are its verification's). */
    clientId: text('client_id').references(() => clients.id),
    email: text('email'),
    /** The person a notice is about (the portal's user reference): its events' subject. */
    userRef: text('user_ref'),
    /** queued | sent | bounced | failed | suppressed (queued with attempts > 0 is "deferred") */
    status: text('status').notNull(),
    payload: text('payload'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: integer('next_attempt_at').notNull(),
    /** A worker holding the row until this time; lets a crashed worker's rows be retried. */
    leaseUntil: integer('lease_until').notNull().default(0),
    lastError: text('last_error'),
    /** The receiving server's last reply (the 250 of a delivery, the 4xx/5xx of a refusal). */
    lastReply: text('last_reply'),
    /** The RFC 3463 enhanced status code of the last refusal, e.g. 5.1.1. */
    enhancedStatus: text('enhanced_status'),
    /** The queue id the receiving server gave in its 250 reply, when it gave one. */
    queueId: text('queue_id'),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
    sentAt: integer('sent_at'),
  },
  (t) => [
    index('outbox_due').on(t.status, t.nextAttemptAt),
    index('outbox_verification').on(t.verificationId),
  ],
);

/** One row per mail sent, kept for the send limits (per address, per end-user IP). */
export const sendEvents = sqliteTable(
  'send_events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    clientId: text('client_id').notNull(),
    email: text('email').notNull(),
    /** The end-user IP, or its /64 for IPv6 (one subscriber's usual allocation). */
    endUserIp: text('end_user_ip'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    index('send_events_email').on(t.email, t.createdAt),
    index('send_events_ip').on(t.endUserIp, t.createdAt),
    index('send_events_created').on(t.createdAt),
  ],
);

/**
 * Counters in fixed time buckets (a sixtieth of their window), for limits where counting
 * individual events would be too costly: mails per recipient domain, outgoing mail
 * overall, wrong codes per address. Summing at most 60 rows keeps every check cheap.
 */
export const limitCounters = sqliteTable(
  'limit_counters',
  {
    key: text('key').notNull(),
    bucket: integer('bucket').notNull(),
    count: integer('count').notNull(),
  },
  (t) => [primaryKey({ columns: [t.key, t.bucket] })],
);

/**
 * One row per address and per end-user IP that was sent to: every send bumps its version,
 * so a send that read the limits' state can write only if no other send came in between.
 */
export const sendGuards = sqliteTable(
  'send_guards',
  {
    key: text('key').primaryKey(),
    version: integer('version').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [index('send_guards_updated').on(t.updatedAt)],
);

/** Ed25519 keys that sign assertions. The private JWK is stored encrypted. */
export const signingKeys = sqliteTable('signing_keys', {
  kid: text('kid').primaryKey(),
  publicJwk: text('public_jwk').notNull(),
  privateJwkEncrypted: text('private_jwk_encrypted').notNull(),
  createdAt: integer('created_at').notNull(),
  /** Set when a newer key takes over; the key stays published until its tokens expire. */
  retiredAt: integer('retired_at'),
});

/**
 * Authenticator-app factors (TOTP, RFC 6238). A factor starts `pending` (enrolment, shown
 * as a QR code) and becomes `active` when the user confirms it with a code; a user has at
 * most one active factor per client. The secret is stored encrypted (AES-256-GCM).
 */
export const totpFactors = sqliteTable(
  'totp_factors',
  {
    id: text('id').primaryKey(),
    clientId: text('client_id')
      .notNull()
      .references(() => clients.id),
    userRef: text('user_ref').notNull(),
    accountName: text('account_name').notNull(),
    secretEncrypted: text('secret_encrypted').notNull(),
    /** pending | active */
    status: text('status').notNull(),
    createdAt: integer('created_at').notNull(),
    /** A pending enrolment is dropped after this. */
    expiresAt: integer('expires_at').notNull(),
    confirmedAt: integer('confirmed_at'),
    /** The newest time step accepted: a code of this step or an older one is a replay. */
    lastUsedStep: integer('last_used_step'),
    /** Wrong codes since the last right one; at the limit the factor locks for a while. */
    failedAttempts: integer('failed_attempts').notNull().default(0),
    lockedUntil: integer('locked_until'),
  },
  (t) => [
    index('totp_factors_user').on(t.clientId, t.userRef),
    // The console looks a person up across clients, by user reference or address.
    index('totp_factors_user_ref').on(t.userRef),
    index('totp_factors_account').on(t.accountName),
    uniqueIndex('totp_factors_one_active').on(t.clientId, t.userRef).where(sql`status = 'active'`),
  ],
);

/** One-use recovery codes of an active factor, as keyed hashes. */
export const totpRecoveryCodes = sqliteTable(
  'totp_recovery_codes',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    factorId: text('factor_id')
      .notNull()
      .references(() => totpFactors.id, { onDelete: 'cascade' }),
    codeHash: text('code_hash').notNull(),
    usedAt: integer('used_at'),
  },
  (t) => [uniqueIndex('totp_recovery_codes_hash').on(t.factorId, t.codeHash)],
);

/**
 * The audit trail: what happened, to which verification or user, by whom — written in the
 * transaction of the change it records. `seq` orders it (cursors, webhook order); `id` is
 * the public, stable id (the webhook-id of its deliveries). Never a code, a secret, an API
 * key or a whole address: addresses are masked.
 */
export const events = sqliteTable(
  'events',
  {
    seq: integer('seq').primaryKey({ autoIncrement: true }),
    id: text('id').notNull(),
    clientId: text('client_id').notNull(),
    type: text('type').notNull(),
    /** The verification id, the user reference or the client id the event is about. */
    subject: text('subject').notNull(),
    maskedEmail: text('masked_email'),
    requestId: text('request_id'),
    /** portal | cli | operator | mailcode */
    actor: text('actor').notNull(),
    /** The operator (op_…) when the actor is one. */
    actorId: text('actor_id'),
    /** JSON object: the event's own facts. */
    data: text('data').notNull(),
    createdAt: integer('created_at').notNull(),
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

/** Addresses a client's mail bounced hard from: sends to them are refused until `until`. */
export const suppressions = sqliteTable(
  'suppressions',
  {
    clientId: text('client_id').notNull(),
    email: text('email').notNull(),
    /** The refusal that caused it, e.g. "550 5.1.1 mailbox unknown". */
    reason: text('reason').notNull(),
    enhancedStatus: text('enhanced_status'),
    verificationId: text('verification_id'),
    createdAt: integer('created_at').notNull(),
    until: integer('until').notNull(),
  },
  (t) => [primaryKey({ columns: [t.clientId, t.email] }), index('suppressions_until').on(t.until), index('suppressions_email').on(t.email)],
);

/** A client's webhook endpoint. `cursor_seq` is the last event of its client it has handed on. */
export const webhookEndpoints = sqliteTable(
  'webhook_endpoints',
  {
    id: text('id').primaryKey(),
    clientId: text('client_id').notNull(),
    url: text('url').notNull(),
    /** JSON array of event types; empty: every type. */
    eventTypes: text('event_types').notNull().default('[]'),
    secretSealed: text('secret_sealed').notNull(),
    /** active | disabled */
    status: text('status').notNull(),
    cursorSeq: integer('cursor_seq').notNull(),
    /** When the deliveries started failing without a success since (null: the last one succeeded). */
    failingSince: integer('failing_since'),
    createdAt: integer('created_at').notNull(),
    disabledAt: integer('disabled_at'),
    disabledReason: text('disabled_reason'),
  },
  (t) => [index('webhook_endpoints_client').on(t.clientId)],
);

/** One event on its way to one endpoint: pending until delivered or failed for good. */
export const webhookDeliveries = sqliteTable(
  'webhook_deliveries',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    endpointId: text('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
    eventId: text('event_id').notNull(),
    subject: text('subject').notNull(),
    payload: text('payload').notNull(),
    /** pending | delivered | failed */
    status: text('status').notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: integer('next_attempt_at').notNull(),
    leaseUntil: integer('lease_until').notNull().default(0),
    lastStatus: integer('last_status'),
    lastError: text('last_error'),
    createdAt: integer('created_at').notNull(),
    deliveredAt: integer('delivered_at'),
  },
  (t) => [
    index('webhook_deliveries_due').on(t.status, t.nextAttemptAt),
    index('webhook_deliveries_subject').on(t.endpointId, t.subject, t.status, t.id),
  ],
);

/** A client's own DKIM key for one sending domain; the private half sealed (see clients/dkim.ts). */
export const dkimKeys = sqliteTable(
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
    createdAt: integer('created_at').notNull(),
    signsFrom: integer('signs_from').notNull(),
    retiredAt: integer('retired_at'),
  },
  (t) => [uniqueIndex('dkim_keys_client_domain_selector').on(t.clientId, t.domain, t.selector)],
);

/** A client's own SMTP relay: its mail leaves through it (the URL sealed, credentials and all). */
export const clientRelays = sqliteTable('client_relays', {
  clientId: text('client_id')
    .primaryKey()
    .references(() => clients.id),
  smtpUrlSealed: text('smtp_url_sealed').notNull(),
  /** The URL without its credentials, to show. */
  shown: text('shown').notNull(),
  updatedAt: integer('updated_at').notNull(),
});

/** The people who run mailcode (the support console): an address to mail sign-in codes to, and a role. */
export const operators = sqliteTable(
  'operators',
  {
    id: text('id').primaryKey(),
    /** Normalized; one operator per address. */
    email: text('email').notNull(),
    /** admin | support */
    role: text('role').$type<'admin' | 'support'>().notNull(),
    createdAt: integer('created_at').notNull(),
    disabledAt: integer('disabled_at'),
  },
  (t) => [uniqueIndex('operators_email').on(t.email)],
);

/** The support console's sessions: only the SHA-256 of the cookie's id is kept. */
export const consoleSessions = sqliteTable(
  'console_sessions',
  {
    idHash: text('id_hash').primaryKey(),
    operatorId: text('operator_id')
      .notNull()
      .references(() => operators.id, { onDelete: 'cascade' }),
    /** code | second_factor | enrol | signed_in */
    stage: text('stage').$type<'code' | 'second_factor' | 'enrol' | 'signed_in'>().notNull(),
    createdAt: integer('created_at').notNull(),
    lastSeenAt: integer('last_seen_at').notNull(),
  },
  (t) => [index('console_sessions_operator').on(t.operatorId), index('console_sessions_seen').on(t.lastSeenAt)],
);

/** The company addresses a person of a client (the portal's user reference) has proven, with a code or a link. */
export const personAddresses = sqliteTable(
  'person_addresses',
  {
    clientId: text('client_id')
      .notNull()
      .references(() => clients.id),
    userRef: text('user_ref').notNull(),
    email: text('email').notNull(),
    /** What the last proof was for: signup | login. */
    purpose: text('purpose').notNull(),
    provenAt: integer('proven_at').notNull(),
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
export const recoveries = sqliteTable(
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
    createdAt: integer('created_at').notNull(),
    codeExpiresAt: integer('code_expires_at').notNull(),
    startedAt: integer('started_at'),
    completesAt: integer('completes_at'),
    endedAt: integer('ended_at'),
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
export const trustedBrowsers = sqliteTable(
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
    createdAt: integer('created_at').notNull(),
    lastUsedAt: integer('last_used_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
    endedAt: integer('ended_at'),
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
export const passkeySettings = sqliteTable('passkey_settings', {
  clientId: text('client_id')
    .primaryKey()
    .references(() => clients.id),
  rpId: text('rp_id').notNull(),
  /** JSON array of origins (https, or http://localhost outside production). */
  origins: text('origins').notNull(),
  alone: integer('alone', { mode: 'boolean' }).notNull().default(false),
  required: integer('required', { mode: 'boolean' }).notNull().default(false),
  counterStrict: integer('counter_strict', { mode: 'boolean' }).notNull().default(false),
});

/** A ceremony's challenge: single use (taken by a DELETE … RETURNING), 5 minutes. Only its SHA-256 is kept. */
export const passkeyChallenges = sqliteTable(
  'passkey_challenges',
  {
    hash: text('hash').primaryKey(),
    clientId: text('client_id').notNull(),
    /** registration | authentication */
    kind: text('kind').notNull(),
    userRef: text('user_ref'),
    userHandle: text('user_handle'),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [index('passkey_challenges_expiry').on(t.expiresAt)],
);

/** A person's passkey: the public key and what the authenticator said of itself. */
export const passkeys = sqliteTable(
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
    counter: integer('counter').notNull(),
    /** JSON array of the transports the browser named (internal, hybrid, usb, nfc, ble). */
    transports: text('transports').notNull().default('[]'),
    aaguid: text('aaguid').notNull(),
    /** singleDevice | multiDevice */
    deviceType: text('device_type').notNull(),
    backedUp: integer('backed_up', { mode: 'boolean' }).notNull(),
    name: text('name').notNull(),
    createdAt: integer('created_at').notNull(),
    lastUsedAt: integer('last_used_at'),
    counterWentBackAt: integer('counter_went_back_at'),
  },
  (t) => [
    uniqueIndex('passkeys_credential').on(t.clientId, t.credentialId),
    index('passkeys_person').on(t.clientId, t.userRef),
  ],
);
