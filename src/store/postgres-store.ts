// The Store on PostgreSQL, for several mailcode processes on one database.
//
// Isolation is READ COMMITTED (PostgreSQL's default) throughout, made safe where it must be:
// - sends take transaction-scoped advisory locks on the address and the end-user IP first
//   (lockSend), so the limit checks of two sends to one address, from any process, run one
//   after the other and each sees the other's committed rows;
// - single use and attempt counting are conditional UPDATEs (status = 'pending',
//   attempts < max): a second UPDATE of the same row waits for the first to commit and then
//   re-checks its WHERE clause on the new row, so exactly one attempt wins;
// - the outbox is claimed with FOR UPDATE SKIP LOCKED plus a lease, so replicas never take
//   the same mail and a dead replica's mail comes back when its lease runs out.
// SERIALIZABLE would also be correct but would make busy addresses retry instead of wait.
import { and, asc, desc, eq, gt, gte, inArray, isNull, lt, lte, sql, type SQL } from 'drizzle-orm';
import { clients, limitCounters, outbox, sendEvents, signingKeys, verificationCodes, verifications } from '../../db/schema.pg.js';
import { attemptFlow, runAsync, sendFlow, unknownIdCounter, type AsyncOps } from './flows.js';
import type { PgDb } from './postgres.js';
import { toClient } from './rows.js';
import { PostgresTotpStore } from './postgres-totp.js';
import type {
  AttemptOutcome,
  AttemptRequest,
  Client,
  ClientSettings,
  Delivery,
  NewClient,
  OutboxMail,
  PurgeResult,
  SendOutcome,
  SendRequest,
  SigningKeyRow,
  Store,
  Verification,
} from './types.js';

type Tx = Parameters<Parameters<PgDb['transaction']>[0]>[0];
type Counters = Pick<AsyncOps, 'bucketsSince' | 'countInBucket'>;

const asVerification = (row: typeof verifications.$inferSelect | undefined) => row as Verification | undefined;

/** An advisory lock key from a string, for pg_advisory_xact_lock. */
const lockKey = (text: string) => sql`hashtextextended(${text}, 0)`;

/** The bucketed counters in the limit_counters table (used when there is no Redis). */
function tableCounters(tx: Tx): Counters {
  return {
    bucketsSince: (p) =>
      tx
        .select({ bucket: limitCounters.bucket, count: limitCounters.count })
        .from(limitCounters)
        .where(and(eq(limitCounters.key, p.key), gte(limitCounters.bucket, p.since))),
    countInBucket: async (p) => {
      await tx
        .insert(limitCounters)
        .values({ key: p.key, bucket: p.bucket, count: 1 })
        .onConflictDoUpdate({ target: [limitCounters.key, limitCounters.bucket], set: { count: sql`${limitCounters.count} + 1` } });
    },
  };
}

/**
 * Runs a query as a named prepared statement: each pooled connection parses and plans it
 * once, then only binds values (measured: the PostgreSQL side of a send is mostly parsing).
 */
function named<T>(query: { prepare(name: string): { execute(): Promise<T> } }, name: string): Promise<T> {
  return query.prepare(name).execute();
}

/** The newest send times matching `who` (an address or an end-user IP), newest first. */
function sendsSince(tx: Tx, who: SQL, p: { since: number; limit: number }, name: string) {
  const query = tx
    .select({ createdAt: sendEvents.createdAt })
    .from(sendEvents)
    .where(and(who, gt(sendEvents.createdAt, p.since)))
    .orderBy(desc(sendEvents.createdAt))
    .limit(p.limit);
  return named(query, name);
}

/**
 * Redis's counters when there are any — but a probe of an unknown verification id is
 * counted in the table even then: every attempt on a known id writes (and so flushes) the
 * WAL at commit, and without a write of its own the unknown id would answer measurably
 * faster, telling which ids exist.
 */
function countersFor(tx: Tx, counters: Counters | undefined): Counters {
  const table = tableCounters(tx);
  if (!counters) return table;
  return {
    bucketsSince: counters.bucketsSince,
    countInBucket: (p) => (p.key.startsWith(unknownIdCounter) ? table.countInBucket(p) : counters.countInBucket(p)),
  };
}

function pgOps(tx: Tx, counters: Counters | undefined): AsyncOps {
  const byId = (id: string) => eq(verifications.id, id);
  return {
    lockSend: async ({ email, ip }) => {
      // Always the address first, then the IP: one order for everyone, so no deadlock.
      await tx.execute(sql`select pg_advisory_xact_lock(${lockKey(`send:email:${email}`)})`);
      if (ip) await tx.execute(sql`select pg_advisory_xact_lock(${lockKey(`send:ip:${ip}`)})`);
    },
    latestForAddress: async (p) => {
      const query = tx
        .select()
        .from(verifications)
        .where(and(eq(verifications.clientId, p.clientId), eq(verifications.email, p.email), eq(verifications.purpose, p.purpose)))
        .orderBy(desc(verifications.createdAt))
        .limit(1);
      return asVerification((await named(query, 'mc_latest_for_address'))[0]);
    },
    verificationById: async (p) => asVerification((await named(tx.select().from(verifications).where(byId(p.id)), 'mc_verification_by_id'))[0]),
    sendsToEmailSince: (p) => sendsSince(tx, eq(sendEvents.email, p.email), p, 'mc_sends_to_email_since'),
    sendsFromIpSince: (p) => sendsSince(tx, eq(sendEvents.endUserIp, p.ip), p, 'mc_sends_from_ip_since'),
    ...countersFor(tx, counters),
    insertVerification: async (p) => {
      const query = tx
        .insert(verifications)
        .values({
          id: p.id,
          clientId: p.clientId,
          email: p.email,
          purpose: p.purpose,
          locale: p.locale,
          status: 'pending',
          attempts: 0,
          maxAttempts: p.maxAttempts,
          sendCount: 1,
          createdAt: p.now,
          lastSentAt: p.now,
          expiresAt: p.expiresAt,
        })
        .returning();
      return asVerification((await named(query, 'mc_insert_verification'))[0])!;
    },
    joinVerification: async (p) => {
      const query = tx
        .update(verifications)
        .set({ lastSentAt: p.now, expiresAt: p.expiresAt, sendCount: sql`${verifications.sendCount} + 1` })
        .where(byId(p.id))
        .returning();
      return asVerification((await named(query, 'mc_join_verification'))[0])!;
    },
    insertCode: async (p) => {
      await named(tx.insert(verificationCodes).values({ verificationId: p.verificationId, codeHash: p.codeHash, createdAt: p.now }), 'mc_insert_code');
    },
    keepNewestCodes: async (p) => {
      const newest = tx
        .select({ id: verificationCodes.id })
        .from(verificationCodes)
        .where(eq(verificationCodes.verificationId, p.verificationId))
        .orderBy(desc(verificationCodes.id))
        .limit(p.keep);
      await tx
        .delete(verificationCodes)
        .where(and(eq(verificationCodes.verificationId, p.verificationId), sql`${verificationCodes.id} not in ${newest}`));
    },
    insertSendEvent: async (p) => {
      await named(tx.insert(sendEvents).values({ clientId: p.clientId, email: p.email, endUserIp: p.ip, createdAt: p.now }), 'mc_insert_send_event');
    },
    insertOutbox: async (p) => {
      const query = tx
        .insert(outbox)
        .values({ verificationId: p.verificationId, status: 'queued', payload: p.payload, nextAttemptAt: p.now, createdAt: p.now, expiresAt: p.expiresAt });
      await named(query, 'mc_insert_outbox');
    },
    countAttempt: async (p) => {
      const query = tx
        .update(verifications)
        .set({ attempts: sql`${verifications.attempts} + 1` })
        .where(and(byId(p.id), eq(verifications.status, 'pending'), sql`${verifications.attempts} < ${verifications.maxAttempts}`))
        .returning({ attempts: verifications.attempts });
      return (await named(query, 'mc_count_attempt'))[0];
    },
    codeHashes: (p) =>
      named(tx.select({ codeHash: verificationCodes.codeHash }).from(verificationCodes).where(eq(verificationCodes.verificationId, p.id)), 'mc_code_hashes'),
    markVerified: async (p) => {
      const query = tx
        .update(verifications)
        .set({ status: 'verified', verifiedAt: p.now })
        .where(and(byId(p.id), eq(verifications.status, 'pending')))
        .returning();
      return asVerification((await named(query, 'mc_mark_verified'))[0]);
    },
    deleteCodes: async (p) => {
      await named(tx.delete(verificationCodes).where(eq(verificationCodes.verificationId, p.id)), 'mc_delete_codes');
    },
    lockIfExhausted: async (p) => {
      const query = tx
        .update(verifications)
        .set({ status: sql`CASE WHEN ${verifications.attempts} >= ${verifications.maxAttempts} THEN 'locked' ELSE ${verifications.status} END` })
        .where(byId(p.id));
      await named(query, 'mc_lock_if_exhausted');
    },
  };
}

export class PostgresStore implements Store {
  readonly totp: PostgresTotpStore;

  /**
   * @param counters where the bucketed counters live when not in the database (Redis):
   *   the counters every send updates stop being rows that all replicas wait on.
   */
  constructor(
    private readonly db: PgDb,
    private readonly counters?: Counters,
  ) {
    this.totp = new PostgresTotpStore(db);
  }

  async createClient(client: NewClient): Promise<Client> {
    const [row] = await this.db
      .insert(clients)
      .values({ ...client, allowedDomains: JSON.stringify(client.allowedDomains) })
      .returning();
    return toClient(row!);
  }

  async updateClient(id: string, changes: Partial<ClientSettings>): Promise<Client | undefined> {
    const { allowedDomains, ...rest } = changes;
    const [row] = await this.db
      .update(clients)
      .set({ ...rest, ...(allowedDomains ? { allowedDomains: JSON.stringify(allowedDomains) } : {}) })
      .where(eq(clients.id, id))
      .returning();
    return row ? toClient(row) : undefined;
  }

  async getClient(id: string): Promise<Client | undefined> {
    const [row] = await this.db.select().from(clients).where(eq(clients.id, id));
    return row ? toClient(row) : undefined;
  }

  async listClients(): Promise<Client[]> {
    return (await this.db.select().from(clients).orderBy(asc(clients.createdAt))).map(toClient);
  }

  async findClientByKeyHash(apiKeyHash: string) {
    const [row] = await this.db.select().from(clients).where(eq(clients.apiKeyHash, apiKeyHash));
    return row ? { ...toClient(row), apiKeyHash: row.apiKeyHash } : undefined;
  }

  async revokeClient(id: string, now: number): Promise<boolean> {
    const rows = await this.db
      .update(clients)
      .set({ revokedAt: now })
      .where(and(eq(clients.id, id), isNull(clients.revokedAt)))
      .returning({ id: clients.id });
    return rows.length > 0;
  }

  recordSend(request: SendRequest): Promise<SendOutcome> {
    return this.db.transaction((tx) => runAsync(sendFlow(request), pgOps(tx, this.counters)));
  }

  attemptCode(request: AttemptRequest): Promise<AttemptOutcome> {
    return this.db.transaction((tx) => runAsync(attemptFlow(request), pgOps(tx, this.counters)));
  }

  async getVerification(id: string, clientId: string) {
    const [row] = await this.db.select().from(verifications).where(eq(verifications.id, id));
    if (!row || row.clientId !== clientId) return undefined;
    const [mail] = await this.db
      .select({ status: outbox.status, attempts: outbox.attempts, lastError: outbox.lastError, sentAt: outbox.sentAt })
      .from(outbox)
      .where(eq(outbox.verificationId, id))
      .orderBy(desc(outbox.id))
      .limit(1);
    return { verification: row as Verification, delivery: (mail as Delivery | undefined) ?? null };
  }

  cancelVerification(id: string, clientId: string, now: number) {
    return this.db.transaction(async (tx) => {
      // FOR UPDATE: a concurrent right code either commits first (and we answer
      // already_verified) or waits for the cancel and then finds nothing pending.
      const [row] = await tx.select().from(verifications).where(eq(verifications.id, id)).for('update');
      if (!row || row.clientId !== clientId) return 'not_found' as const;
      if (row.status === 'verified') return 'already_verified' as const;
      if (row.status !== 'pending' || now >= row.expiresAt) return 'unchanged' as const;
      await tx.update(verifications).set({ status: 'canceled' }).where(eq(verifications.id, id));
      await tx.delete(verificationCodes).where(eq(verificationCodes.verificationId, id));
      await tx
        .update(outbox)
        .set({ status: 'failed', payload: null, lastError: 'verification canceled' })
        .where(and(eq(outbox.verificationId, id), eq(outbox.status, 'queued')));
      return 'canceled' as const;
    });
  }

  /**
   * One statement picks the due mail and leases it. SKIP LOCKED lets replicas claim side by
   * side: each takes rows no other transaction is claiming at that moment, never the same one.
   */
  async claimDueMail(now: number, leaseMs: number, limit: number): Promise<OutboxMail[]> {
    const due = this.db
      .select({ id: outbox.id })
      .from(outbox)
      .where(and(eq(outbox.status, 'queued'), lte(outbox.nextAttemptAt, now), lte(outbox.leaseUntil, now), gt(outbox.expiresAt, now)))
      .orderBy(asc(outbox.nextAttemptAt))
      .limit(limit)
      .for('update', { skipLocked: true });
    const rows = await this.db
      .update(outbox)
      .set({ leaseUntil: now + leaseMs })
      .where(inArray(outbox.id, due))
      .returning({ id: outbox.id, verificationId: outbox.verificationId, payload: outbox.payload, attempts: outbox.attempts, createdAt: outbox.createdAt, expiresAt: outbox.expiresAt });
    return rows.filter((m): m is OutboxMail => m.payload !== null);
  }

  async renewMailLeases(ids: number[], leaseUntil: number): Promise<void> {
    await this.db.update(outbox).set({ leaseUntil }).where(and(inArray(outbox.id, ids), eq(outbox.status, 'queued')));
  }

  /** Other replicas may be alive and delivering: their leases are left to run out. */
  async releaseAbandonedMail(): Promise<number> {
    return 0;
  }

  async markMailSent(id: number, now: number): Promise<void> {
    await this.db
      .update(outbox)
      .set({ status: 'sent', payload: null, sentAt: now, leaseUntil: 0, lastError: null, attempts: sql`${outbox.attempts} + 1` })
      .where(eq(outbox.id, id));
  }

  async markMailRetry(id: number, nextAttemptAt: number, error: string): Promise<void> {
    await this.db.update(outbox).set({ nextAttemptAt, leaseUntil: 0, lastError: error, attempts: sql`${outbox.attempts} + 1` }).where(eq(outbox.id, id));
  }

  async markMailFailed(id: number, error: string): Promise<void> {
    await this.db
      .update(outbox)
      .set({ status: 'failed', payload: null, leaseUntil: 0, lastError: error, attempts: sql`${outbox.attempts} + 1` })
      .where(eq(outbox.id, id));
  }

  async failExpiredMail(now: number): Promise<number> {
    const rows = await this.db
      .update(outbox)
      .set({ status: 'failed', payload: null, lastError: sql`coalesce(${outbox.lastError}, 'code expired before delivery')` })
      .where(and(eq(outbox.status, 'queued'), lte(outbox.expiresAt, now)))
      .returning({ id: outbox.id });
    return rows.length;
  }

  async countQueuedMail(): Promise<number> {
    const [row] = await this.db.select({ n: sql<number>`count(*)::int` }).from(outbox).where(eq(outbox.status, 'queued'));
    return row?.n ?? 0;
  }

  listSigningKeys(): Promise<SigningKeyRow[]> {
    return this.db.select().from(signingKeys).orderBy(desc(signingKeys.createdAt));
  }

  async addSigningKey(key: SigningKeyRow): Promise<void> {
    await this.db.transaction(async (tx) => {
      // Replicas starting together on an empty database must not both make a first key:
      // the lock orders them, and the second finds the first's key (see KeyRing.init).
      await tx.execute(sql`select pg_advisory_xact_lock(${lockKey('signing-keys')})`);
      await tx.update(signingKeys).set({ retiredAt: key.createdAt }).where(isNull(signingKeys.retiredAt));
      await tx.insert(signingKeys).values(key);
    });
  }

  async resealSigningKey(kid: string, privateJwkEncrypted: string): Promise<void> {
    await this.db.update(signingKeys).set({ privateJwkEncrypted }).where(eq(signingKeys.kid, kid));
  }

  /** Deletes in batches, each its own short transaction, so live traffic never waits long. */
  async purge(now: number, keepVerificationsUntil: number, keepSendEventsUntil: number, keepKeysUntil: number): Promise<PurgeResult> {
    const batch = 1_000;
    const deleteBatches = async (deleteOne: () => Promise<{ rowCount: number | null }>) => {
      let total = 0;
      for (;;) {
        const deleted = (await deleteOne()).rowCount ?? 0;
        total += deleted;
        if (deleted < batch) return total;
      }
    };
    await this.failExpiredMail(now);
    // Codes and outbox rows go with their verification (ON DELETE CASCADE).
    const old = await deleteBatches(() =>
      this.db.execute(sql`delete from verifications where id in (select id from verifications where expires_at < ${keepVerificationsUntil} limit ${batch})`),
    );
    const events = await deleteBatches(() =>
      this.db.execute(sql`delete from send_events where id in (select id from send_events where created_at < ${keepSendEventsUntil} limit ${batch})`),
    );
    await deleteBatches(() =>
      this.db.execute(sql`delete from limit_counters where ctid in (select ctid from limit_counters where bucket < ${keepSendEventsUntil} limit ${batch})`),
    );
    const keys = await this.db
      .delete(signingKeys)
      .where(and(sql`${signingKeys.retiredAt} IS NOT NULL`, lt(signingKeys.retiredAt, keepKeysUntil)))
      .returning({ kid: signingKeys.kid });
    return { verifications: old, sendEvents: events, signingKeys: keys.length };
  }

  async ping(): Promise<boolean> {
    const result = await this.db.execute<{ ok: number }>(sql`select 1 as ok`);
    return result.rows[0]?.ok === 1;
  }

  async close(): Promise<void> {
    await this.db.$client.end();
  }
}
