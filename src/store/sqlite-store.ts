// The Store on SQLite. better-sqlite3 is synchronous, so each unit of work runs whole,
// inside a BEGIN IMMEDIATE transaction that takes the write lock up front: every send and
// every attempt is serialized (across processes too) and check-then-write is race-free.
// Sends, attempts and delivery updates go through group commit (see group-commit.ts).
import { and, asc, desc, eq, gt, inArray, isNull, lt, sql } from 'drizzle-orm';
import { clients, outbox, signingKeys, verificationCodes, verifications } from '../../db/schema.js';
import { attemptFlow, runSync, sendFlow, type Ops } from './flows.js';
import { GroupCommit } from './group-commit.js';
import { toClient } from './rows.js';
import { SqliteTotpStore } from './sqlite-totp.js';
import { prepareStatements, type Statements } from './sqlite-statements.js';
import type { SqliteDb } from './sqlite.js';
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

type VerificationRow = typeof verifications.$inferSelect;

const toVerification = (row: VerificationRow) => row as Verification;

/**
 * The flows' operations as prepared statements. Every send already runs in a BEGIN
 * IMMEDIATE transaction, which holds the one write lock there is: lockSend has nothing to add.
 */
function sqliteOps(st: Statements): Ops {
  return {
    lockSend: () => {},
    latestForAddress: (p) => st.latestForAddress.get(p) as Verification | undefined,
    verificationById: (p) => st.verificationById.get(p) as Verification | undefined,
    sendsToEmailSince: (p) => st.sendsToEmailSince.all(p),
    sendsFromIpSince: (p) => st.sendsFromIpSince.all(p),
    bucketsSince: (p) => st.bucketsSince.all(p),
    countInBucket: (p) => void st.countInBucket.run(p),
    insertVerification: (p) => st.insertVerification.get(p) as Verification,
    joinVerification: (p) => st.joinVerification.get(p) as Verification,
    insertCode: (p) => void st.insertCode.run(p),
    keepNewestCodes: (p) => void st.keepNewestCodes.run(p),
    insertSendEvent: (p) => void st.insertSendEvent.run(p),
    insertOutbox: (p) => void st.insertOutbox.run(p),
    countAttempt: (p) => st.countAttempt.get(p),
    codeHashes: (p) => st.codeHashes.all(p),
    markVerified: (p) => st.markVerified.get(p) as Verification | undefined,
    deleteCodes: (p) => void st.deleteCodes.run(p),
    lockIfExhausted: (p) => void st.lockIfExhausted.run(p),
  };
}

export class SqliteStore implements Store {
  private readonly statements: Statements;
  private readonly group: GroupCommit;
  private readonly ops: Ops;
  readonly totp: SqliteTotpStore;
  private readonly clientCache = new Map<string, Client & { apiKeyHash: string }>();
  private clientCacheVersion: unknown;

  constructor(private readonly db: SqliteDb) {
    this.totp = new SqliteTotpStore(db);
    this.statements = prepareStatements(db);
    this.group = new GroupCommit(db.$client);
    this.ops = sqliteOps(this.statements);
  }

  async createClient(client: NewClient): Promise<Client> {
    this.clientCache.clear();
    const row = this.db
      .insert(clients)
      .values({ ...client, allowedDomains: JSON.stringify(client.allowedDomains) })
      .returning()
      .get();
    return toClient(row);
  }

  async updateClient(id: string, changes: Partial<ClientSettings>): Promise<Client | undefined> {
    this.clientCache.clear();
    const { allowedDomains, ...rest } = changes;
    const row = this.db
      .update(clients)
      .set({ ...rest, ...(allowedDomains ? { allowedDomains: JSON.stringify(allowedDomains) } : {}) })
      .where(eq(clients.id, id))
      .returning()
      .get();
    return row ? toClient(row) : undefined;
  }

  async getClient(id: string): Promise<Client | undefined> {
    const row = this.db.select().from(clients).where(eq(clients.id, id)).get();
    return row ? toClient(row) : undefined;
  }

  async listClients(): Promise<Client[]> {
    return this.db.select().from(clients).orderBy(asc(clients.createdAt)).all().map(toClient);
  }

  /**
   * Every request looks its client up, so found clients are kept in memory. A change made
   * by another connection (the CLI revoking a key) bumps SQLite's data_version, which
   * empties the cache before the next lookup; this connection's own changes empty it
   * where they are made. So a revocation still holds from the next request on.
   */
  async findClientByKeyHash(apiKeyHash: string) {
    const version = this.statements.dataVersion.get();
    if (version !== this.clientCacheVersion) {
      this.clientCache.clear();
      this.clientCacheVersion = version;
    }
    const cached = this.clientCache.get(apiKeyHash);
    if (cached) return cached;
    const row = this.statements.clientByKeyHash.get({ hash: apiKeyHash });
    if (!row) return undefined;
    const client = { ...toClient(row), apiKeyHash: row.apiKeyHash };
    this.clientCache.set(apiKeyHash, client);
    return client;
  }

  async revokeClient(id: string, now: number): Promise<boolean> {
    this.clientCache.clear();
    const result = this.db
      .update(clients)
      .set({ revokedAt: now })
      .where(and(eq(clients.id, id), isNull(clients.revokedAt)))
      .run();
    return result.changes > 0;
  }

  recordSend(request: SendRequest): Promise<SendOutcome> {
    return this.group.run(() => runSync(sendFlow(request), this.ops));
  }

  attemptCode(request: AttemptRequest): Promise<AttemptOutcome> {
    return this.group.run(() => runSync(attemptFlow(request), this.ops));
  }

  async getVerification(id: string, clientId: string) {
    const row = this.statements.verificationById.get({ id });
    if (!row || row.clientId !== clientId) return undefined;
    const mail = this.statements.latestDelivery.get({ id });
    return { verification: toVerification(row), delivery: (mail as Delivery | undefined) ?? null };
  }

  async cancelVerification(id: string, clientId: string, now: number) {
    return this.db.transaction(
      (tx) => {
        const row = this.statements.verificationById.get({ id });
        if (!row || row.clientId !== clientId) return 'not_found' as const;
        if (row.status === 'verified') return 'already_verified' as const;
        if (row.status !== 'pending' || now >= row.expiresAt) return 'unchanged' as const;
        tx.update(verifications).set({ status: 'canceled' }).where(eq(verifications.id, id)).run();
        tx.delete(verificationCodes).where(eq(verificationCodes.verificationId, id)).run();
        tx.update(outbox)
          .set({ status: 'failed', payload: null, lastError: 'verification canceled' })
          .where(and(eq(outbox.verificationId, id), eq(outbox.status, 'queued')))
          .run();
        return 'canceled' as const;
      },
      { behavior: 'immediate' },
    );
  }

  async claimDueMail(now: number, leaseMs: number, limit: number): Promise<OutboxMail[]> {
    return this.statements.claimDue.all({ now, until: now + leaseMs, limit }).filter((m): m is OutboxMail => m.payload !== null);
  }

  renewMailLeases(ids: number[], leaseUntil: number): Promise<void> {
    return this.group.run(() => void this.db.update(outbox).set({ leaseUntil }).where(and(inArray(outbox.id, ids), eq(outbox.status, 'queued'))).run());
  }

  async releaseAbandonedMail(): Promise<number> {
    return this.db.update(outbox).set({ leaseUntil: 0 }).where(and(eq(outbox.status, 'queued'), gt(outbox.leaseUntil, 0))).run().changes;
  }

  markMailSent(id: number, now: number): Promise<void> {
    return this.group.run(() => void this.statements.markSent.run({ id, now }));
  }

  markMailRetry(id: number, nextAttemptAt: number, error: string): Promise<void> {
    return this.group.run(() => void this.statements.markRetry.run({ id, next: nextAttemptAt, error }));
  }

  markMailFailed(id: number, error: string): Promise<void> {
    return this.group.run(() => void this.statements.markFailed.run({ id, error }));
  }

  /** A code that has expired is useless: its mail is given up and its payload erased. */
  async failExpiredMail(now: number): Promise<number> {
    return this.statements.failExpired.run({ now }).changes;
  }

  async countQueuedMail(): Promise<number> {
    return this.db.select({ n: sql<number>`count(*)` }).from(outbox).where(eq(outbox.status, 'queued')).get()?.n ?? 0;
  }

  async listSigningKeys(): Promise<SigningKeyRow[]> {
    return this.db.select().from(signingKeys).orderBy(desc(signingKeys.createdAt)).all();
  }

  async addSigningKey(key: SigningKeyRow): Promise<void> {
    this.db.transaction(
      (tx) => {
        tx.update(signingKeys).set({ retiredAt: key.createdAt }).where(isNull(signingKeys.retiredAt)).run();
        tx.insert(signingKeys).values(key).run();
      },
      { behavior: 'immediate' },
    );
  }

  async resealSigningKey(kid: string, privateJwkEncrypted: string): Promise<void> {
    this.db.update(signingKeys).set({ privateJwkEncrypted }).where(eq(signingKeys.kid, kid)).run();
  }

  /**
   * Deletes in small batches, each its own short transaction, with a pause between them:
   * purging a million rows must not hold the write lock long enough to stall live sends.
   */
  async purge(now: number, keepVerificationsUntil: number, keepSendEventsUntil: number, keepKeysUntil: number): Promise<PurgeResult> {
    // 500 rows hold the lock for a few milliseconds; the pause after each batch is longer
    // than SQLite's first busy-retry sleeps, so a server waiting for the lock gets it next
    // instead of backing off for hundreds of milliseconds (measured with 2,000 and 2 ms:
    // send p99 went from 30 ms to 360 ms during a purge of a million rows).
    const batch = 500;
    const pauseMs = 20;
    const deleteBatches = async (statement: string, before: number) => {
      const run = this.db.$client.prepare(statement);
      let total = 0;
      for (;;) {
        const deleted = this.db.$client.transaction(() => run.run(before, batch).changes).immediate();
        total += deleted;
        if (deleted < batch) return total;
        await new Promise((resolve) => setTimeout(resolve, pauseMs));
      }
    };
    await this.failExpiredMail(now);
    // Codes and outbox rows go with their verification (ON DELETE CASCADE).
    const old = await deleteBatches('delete from verifications where id in (select id from verifications where expires_at < ? limit ?)', keepVerificationsUntil);
    const events = await deleteBatches('delete from send_events where id in (select id from send_events where created_at < ? limit ?)', keepSendEventsUntil);
    await deleteBatches('delete from limit_counters where rowid in (select rowid from limit_counters where bucket < ? limit ?)', keepSendEventsUntil);
    const keys = this.db
      .delete(signingKeys)
      .where(and(sql`${signingKeys.retiredAt} IS NOT NULL`, lt(signingKeys.retiredAt, keepKeysUntil)))
      .run().changes;
    return { verifications: old, sendEvents: events, signingKeys: keys };
  }

  async ping(): Promise<boolean> {
    return this.db.get<{ ok: number }>(sql`select 1 as ok`)?.ok === 1;
  }

  async close(): Promise<void> {
    this.db.$client.close();
  }
}

