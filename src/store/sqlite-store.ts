// The Store on SQLite. better-sqlite3 is synchronous, so each unit of work is one
// BEGIN IMMEDIATE transaction: it takes the write lock up front, which serializes every
// send and every attempt (across processes too) and makes check-then-write race-free.
import { and, asc, desc, eq, gt, gte, inArray, isNull, lt, lte, notInArray, sql } from 'drizzle-orm';
import { clients, limitCounters, outbox, sendEvents, signingKeys, verificationCodes, verifications } from '../../db/schema.js';
import {
  bucketStart,
  dayMs,
  hourMs,
  retryAfterCooldown,
  retryAfterInBuckets,
  retryAfterInWindow,
  windowStart,
  type BucketedWindow,
} from '../verification/limits.js';
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
  SendLimits,
  SendRequest,
  SigningKeyRow,
  Store,
  Verification,
} from './types.js';

type ClientRow = typeof clients.$inferSelect;
type VerificationRow = typeof verifications.$inferSelect;

function toClient(row: ClientRow): Client {
  const { apiKeyHash: _hash, allowedDomains, ...rest } = row;
  return { ...rest, allowedDomains: JSON.parse(allowedDomains) as string[] };
}

const toVerification = (row: VerificationRow) => row as Verification;

/** The statements of the hot paths, prepared once. */
function prepareStatements(db: SqliteDb) {
  return {
    clientByKeyHash: db.select().from(clients).where(eq(clients.apiKeyHash, sql.placeholder('hash'))).prepare(),
    verificationById: db.select().from(verifications).where(eq(verifications.id, sql.placeholder('id'))).prepare(),
    latestForAddress: db
      .select()
      .from(verifications)
      .where(
        and(
          eq(verifications.clientId, sql.placeholder('clientId')),
          eq(verifications.email, sql.placeholder('email')),
          eq(verifications.purpose, sql.placeholder('purpose')),
        ),
      )
      .orderBy(desc(verifications.createdAt))
      .limit(1)
      .prepare(),
    codeHashes: db
      .select({ codeHash: verificationCodes.codeHash })
      .from(verificationCodes)
      .where(eq(verificationCodes.verificationId, sql.placeholder('id')))
      .prepare(),
    sendsToEmailSince: db
      .select({ createdAt: sendEvents.createdAt })
      .from(sendEvents)
      .where(and(eq(sendEvents.email, sql.placeholder('email')), gt(sendEvents.createdAt, sql.placeholder('since'))))
      .orderBy(desc(sendEvents.createdAt))
      .limit(sql.placeholder('limit'))
      .prepare(),
    sendsFromIpSince: db
      .select({ createdAt: sendEvents.createdAt })
      .from(sendEvents)
      .where(and(eq(sendEvents.endUserIp, sql.placeholder('ip')), gt(sendEvents.createdAt, sql.placeholder('since'))))
      .orderBy(desc(sendEvents.createdAt))
      .limit(sql.placeholder('limit'))
      .prepare(),
    bucketsSince: db
      .select({ bucket: limitCounters.bucket, count: limitCounters.count })
      .from(limitCounters)
      .where(and(eq(limitCounters.key, sql.placeholder('key')), gte(limitCounters.bucket, sql.placeholder('since'))))
      .prepare(),
    countInBucket: db
      .insert(limitCounters)
      .values({ key: sql.placeholder('key'), bucket: sql.placeholder('bucket'), count: 1 })
      .onConflictDoUpdate({ target: [limitCounters.key, limitCounters.bucket], set: { count: sql`${limitCounters.count} + 1` } })
      .prepare(),
  };
}

/** The bucketed windows of the send limits, from the configured numbers. */
function bucketedWindows(limits: SendLimits) {
  return {
    domain: { windowMs: hourMs, limit: limits.perDomainHour },
    global: { windowMs: 60_000, limit: limits.globalPerMinute },
    guessing: { windowMs: hourMs, limit: limits.wrongCodesPerEmailHour },
  } satisfies Record<string, BucketedWindow>;
}

export class SqliteStore implements Store {
  private readonly statements: ReturnType<typeof prepareStatements>;

  constructor(private readonly db: SqliteDb) {
    this.statements = prepareStatements(db);
  }

  createClient(client: NewClient): Client {
    const row = this.db
      .insert(clients)
      .values({ ...client, allowedDomains: JSON.stringify(client.allowedDomains) })
      .returning()
      .get();
    return toClient(row);
  }

  updateClient(id: string, changes: Partial<ClientSettings>): Client | undefined {
    const { allowedDomains, ...rest } = changes;
    const row = this.db
      .update(clients)
      .set({ ...rest, ...(allowedDomains ? { allowedDomains: JSON.stringify(allowedDomains) } : {}) })
      .where(eq(clients.id, id))
      .returning()
      .get();
    return row ? toClient(row) : undefined;
  }

  getClient(id: string): Client | undefined {
    const row = this.db.select().from(clients).where(eq(clients.id, id)).get();
    return row ? toClient(row) : undefined;
  }

  listClients(): Client[] {
    return this.db.select().from(clients).orderBy(asc(clients.createdAt)).all().map(toClient);
  }

  findClientByKeyHash(apiKeyHash: string) {
    const row = this.statements.clientByKeyHash.get({ hash: apiKeyHash });
    return row ? { ...toClient(row), apiKeyHash: row.apiKeyHash } : undefined;
  }

  revokeClient(id: string, now: number): boolean {
    const result = this.db
      .update(clients)
      .set({ revokedAt: now })
      .where(and(eq(clients.id, id), isNull(clients.revokedAt)))
      .run();
    return result.changes > 0;
  }

  recordSend(request: SendRequest): SendOutcome {
    const { limits, now } = request;
    return this.db.transaction(
      (tx): SendOutcome => {
        const latest = this.statements.latestForAddress.get({ clientId: request.clientId, email: request.email, purpose: request.purpose });
        const pending = latest && latest.status === 'pending' && latest.expiresAt > now ? latest : undefined;
        if (pending) {
          const wait = retryAfterCooldown(pending.lastSentAt, limits.cooldownMs, now);
          if (wait > 0) return { kind: 'limited', retryAfterMs: wait, limit: 'cooldown' };
        }
        const limited = this.sendLimitHit(request);
        if (limited) return limited;

        let verification: Verification;
        if (pending) {
          // Resend joins the pending verification: a new code, a fresh lifetime, the earlier
          // codes kept (the newest few), and the attempts already spent still counted.
          verification = toVerification(
            tx
              .update(verifications)
              .set({ lastSentAt: now, expiresAt: now + limits.codeTtlMs, sendCount: sql`${verifications.sendCount} + 1` })
              .where(eq(verifications.id, pending.id))
              .returning()
              .get(),
          );
        } else {
          verification = toVerification(
            tx
              .insert(verifications)
              .values({
                id: request.newVerificationId,
                clientId: request.clientId,
                email: request.email,
                purpose: request.purpose,
                locale: request.locale,
                status: 'pending',
                attempts: 0,
                maxAttempts: limits.maxAttempts,
                sendCount: 1,
                createdAt: now,
                lastSentAt: now,
                expiresAt: now + limits.codeTtlMs,
              })
              .returning()
              .get(),
          );
        }
        tx.insert(verificationCodes)
          .values({ verificationId: verification.id, codeHash: request.codeHashFor(verification.id), createdAt: now })
          .run();
        if (pending) this.keepNewestCodes(verification.id, limits.codesKept);
        tx.insert(sendEvents)
          .values({ clientId: request.clientId, email: request.email, endUserIp: request.endUserIp, createdAt: now })
          .run();
        const windows = bucketedWindows(limits);
        this.countEvent(`domain:${request.domain}`, windows.domain, now);
        this.countEvent('global', windows.global, now);
        tx.insert(outbox)
          .values({
            verificationId: verification.id,
            status: 'queued',
            payload: request.payloadFor(verification),
            nextAttemptAt: now,
            createdAt: now,
            expiresAt: verification.expiresAt,
          })
          .run();
        return { kind: 'queued', verification, joined: pending !== undefined };
      },
      { behavior: 'immediate' },
    );
  }

  private bucketWait(key: string, window: BucketedWindow, now: number): number {
    return retryAfterInBuckets(this.statements.bucketsSince.all({ key, since: windowStart(window, now) }), window, now);
  }

  private countEvent(key: string, window: BucketedWindow, now: number): void {
    this.statements.countInBucket.run({ key, bucket: bucketStart(window, now) });
  }

  /**
   * The limits in the order a person would want them explained: the address first (the
   * usual case), then the end-user IP, then the limits that protect everyone else.
   */
  private sendLimitHit({ email, domain, endUserIp, limits, now }: SendRequest): SendOutcome | undefined {
    const windows = bucketedWindows(limits);
    const guessingWait = this.bucketWait(`wrong:${email}`, windows.guessing, now);
    if (guessingWait > 0) return { kind: 'limited', retryAfterMs: guessingWait, limit: 'guessing' };
    const hourly = this.statements.sendsToEmailSince.all({ email, since: now - hourMs, limit: limits.perEmailHour });
    const hourWait = retryAfterInWindow(hourly.map((r) => r.createdAt), limits.perEmailHour, hourMs, now);
    if (hourWait > 0) return { kind: 'limited', retryAfterMs: hourWait, limit: 'email_hour' };
    const daily = this.statements.sendsToEmailSince.all({ email, since: now - dayMs, limit: limits.perEmailDay });
    const dayWait = retryAfterInWindow(daily.map((r) => r.createdAt), limits.perEmailDay, dayMs, now);
    if (dayWait > 0) return { kind: 'limited', retryAfterMs: dayWait, limit: 'email_day' };
    if (endUserIp) {
      const fromIp = this.statements.sendsFromIpSince.all({ ip: endUserIp, since: now - hourMs, limit: limits.perIpHour });
      const ipWait = retryAfterInWindow(fromIp.map((r) => r.createdAt), limits.perIpHour, hourMs, now);
      if (ipWait > 0) return { kind: 'limited', retryAfterMs: ipWait, limit: 'ip_hour' };
    }
    const domainWait = this.bucketWait(`domain:${domain}`, windows.domain, now);
    if (domainWait > 0) return { kind: 'limited', retryAfterMs: domainWait, limit: 'domain_hour' };
    const globalWait = this.bucketWait('global', windows.global, now);
    if (globalWait > 0) return { kind: 'limited', retryAfterMs: globalWait, limit: 'global_minute' };
    return undefined;
  }

  private keepNewestCodes(verificationId: string, keep: number): void {
    const newest = this.db
      .select({ id: verificationCodes.id })
      .from(verificationCodes)
      .where(eq(verificationCodes.verificationId, verificationId))
      .orderBy(desc(verificationCodes.id))
      .limit(keep)
      .all()
      .map((r) => r.id);
    this.db
      .delete(verificationCodes)
      .where(and(eq(verificationCodes.verificationId, verificationId), notInArray(verificationCodes.id, newest)))
      .run();
  }

  private findTarget(request: AttemptRequest): VerificationRow | undefined {
    if ('verificationId' in request.target) {
      const row = this.statements.verificationById.get({ id: request.target.verificationId });
      return row && row.clientId === request.clientId ? row : undefined;
    }
    return this.statements.latestForAddress.get({ clientId: request.clientId, ...request.target });
  }

  attemptCode(request: AttemptRequest): AttemptOutcome {
    const { now } = request;
    return this.db.transaction(
      (tx): AttemptOutcome => {
        const row = this.findTarget(request);
        if (!row) return { kind: 'not_found' };
        const verification = toVerification(row);
        if (row.status === 'verified') return { kind: 'already_verified', verification };
        if (row.status === 'locked') return { kind: 'locked', verification };
        if (row.status === 'canceled') return { kind: 'canceled', verification };
        if (now >= row.expiresAt) return { kind: 'expired', verification };

        // The attempt is counted before the compare, so no answer is ever free.
        const counted = tx
          .update(verifications)
          .set({ attempts: sql`${verifications.attempts} + 1` })
          .where(and(eq(verifications.id, row.id), eq(verifications.status, 'pending'), lt(verifications.attempts, verifications.maxAttempts)))
          .returning({ attempts: verifications.attempts })
          .get();
        if (!counted) return { kind: 'locked', verification };

        const hashes = this.statements.codeHashes.all({ id: row.id }).map((r) => r.codeHash);
        const matched = request.matches(row.id, hashes);
        // Both branches end in one conditional UPDATE, so right and wrong codes cost the same.
        if (matched) {
          const used = tx
            .update(verifications)
            .set({ status: 'verified', verifiedAt: now })
            .where(and(eq(verifications.id, row.id), eq(verifications.status, 'pending')))
            .returning()
            .get();
          if (!used) return { kind: 'already_verified' };
          tx.delete(verificationCodes).where(eq(verificationCodes.verificationId, row.id)).run();
          return { kind: 'verified', verification: toVerification(used) };
        }
        tx.update(verifications)
          .set({ status: sql`CASE WHEN ${verifications.attempts} >= ${verifications.maxAttempts} THEN 'locked' ELSE ${verifications.status} END` })
          .where(eq(verifications.id, row.id))
          .run();
        // Wrong codes also count per address across verifications: a guesser who starts
        // verification after verification still runs out (sends pause; see recordSend).
        this.countEvent(`wrong:${row.email}`, { windowMs: request.wrongCodesWindowMs, limit: 0 }, now);
        return { kind: 'invalid', attemptsRemaining: Math.max(0, row.maxAttempts - counted.attempts), verification };
      },
      { behavior: 'immediate' },
    );
  }

  getVerification(id: string, clientId: string) {
    const row = this.statements.verificationById.get({ id });
    if (!row || row.clientId !== clientId) return undefined;
    const mail = this.db
      .select({ status: outbox.status, attempts: outbox.attempts, lastError: outbox.lastError, sentAt: outbox.sentAt })
      .from(outbox)
      .where(eq(outbox.verificationId, id))
      .orderBy(desc(outbox.id))
      .limit(1)
      .get();
    return { verification: toVerification(row), delivery: (mail as Delivery | undefined) ?? null };
  }

  cancelVerification(id: string, clientId: string, now: number) {
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

  claimDueMail(now: number, leaseMs: number, limit: number): OutboxMail[] {
    return this.db.transaction(
      (tx) => {
        const due = tx
          .select({ id: outbox.id, verificationId: outbox.verificationId, payload: outbox.payload, attempts: outbox.attempts, createdAt: outbox.createdAt, expiresAt: outbox.expiresAt })
          .from(outbox)
          .where(and(eq(outbox.status, 'queued'), lte(outbox.nextAttemptAt, now), lte(outbox.leaseUntil, now), gt(outbox.expiresAt, now)))
          .orderBy(asc(outbox.nextAttemptAt))
          .limit(limit)
          .all();
        if (due.length === 0) return [];
        tx.update(outbox)
          .set({ leaseUntil: now + leaseMs })
          .where(inArray(outbox.id, due.map((m) => m.id)))
          .run();
        return due.filter((m): m is OutboxMail => m.payload !== null);
      },
      { behavior: 'immediate' },
    );
  }

  markMailSent(id: number, now: number): void {
    this.db.update(outbox).set({ status: 'sent', payload: null, sentAt: now, leaseUntil: 0, lastError: null, attempts: sql`${outbox.attempts} + 1` }).where(eq(outbox.id, id)).run();
  }

  markMailRetry(id: number, nextAttemptAt: number, error: string): void {
    this.db
      .update(outbox)
      .set({ nextAttemptAt, leaseUntil: 0, lastError: error, attempts: sql`${outbox.attempts} + 1` })
      .where(eq(outbox.id, id))
      .run();
  }

  markMailFailed(id: number, error: string): void {
    this.db
      .update(outbox)
      .set({ status: 'failed', payload: null, leaseUntil: 0, lastError: error, attempts: sql`${outbox.attempts} + 1` })
      .where(eq(outbox.id, id))
      .run();
  }

  releaseMail(id: number): void {
    this.db.update(outbox).set({ leaseUntil: 0 }).where(eq(outbox.id, id)).run();
  }

  /** A code that has expired is useless: its mail is given up and its payload erased. */
  failExpiredMail(now: number): number {
    return this.db
      .update(outbox)
      .set({ status: 'failed', payload: null, lastError: sql`coalesce(${outbox.lastError}, 'code expired before delivery')` })
      .where(and(eq(outbox.status, 'queued'), lte(outbox.expiresAt, now)))
      .run().changes;
  }

  countQueuedMail(): number {
    return this.db.select({ n: sql<number>`count(*)` }).from(outbox).where(eq(outbox.status, 'queued')).get()?.n ?? 0;
  }

  listSigningKeys(): SigningKeyRow[] {
    return this.db.select().from(signingKeys).orderBy(desc(signingKeys.createdAt)).all();
  }

  addSigningKey(key: SigningKeyRow): void {
    this.db.transaction(
      (tx) => {
        tx.update(signingKeys).set({ retiredAt: key.createdAt }).where(isNull(signingKeys.retiredAt)).run();
        tx.insert(signingKeys).values(key).run();
      },
      { behavior: 'immediate' },
    );
  }

  resealSigningKey(kid: string, privateJwkEncrypted: string): void {
    this.db.update(signingKeys).set({ privateJwkEncrypted }).where(eq(signingKeys.kid, kid)).run();
  }

  purge(now: number, keepVerificationsUntil: number, keepSendEventsUntil: number, keepKeysUntil: number): PurgeResult {
    return this.db.transaction(
      (tx) => {
        this.failExpiredMail(now);
        const old = tx.delete(verifications).where(lt(verifications.expiresAt, keepVerificationsUntil)).run().changes;
        const events = tx.delete(sendEvents).where(lt(sendEvents.createdAt, keepSendEventsUntil)).run().changes;
        tx.delete(limitCounters).where(lt(limitCounters.bucket, keepSendEventsUntil)).run();
        const keys = tx
          .delete(signingKeys)
          .where(and(sql`${signingKeys.retiredAt} IS NOT NULL`, lt(signingKeys.retiredAt, keepKeysUntil)))
          .run().changes;
        return { verifications: old, sendEvents: events, signingKeys: keys };
      },
      { behavior: 'immediate' },
    );
  }

  ping(): boolean {
    return this.db.get<{ ok: number }>(sql`select 1 as ok`)?.ok === 1;
  }

  close(): void {
    this.db.$client.close();
  }
}

