// Verifications on PostgreSQL, for several mailcode processes on one database. The flows
// run awaiting each operation, and each operation is one statement: a send or an attempt
// costs two round trips to the database (a send one more to Redis, for the hot counters),
// with no transaction held open across the decision. Correctness under concurrency comes
// from the write statements themselves:
// - a send's write is guarded by the versions of the address's and the IP's send guards it
//   read: a send that came in between makes the write a no-op, and the flow reads again;
// - an attempt's write is guarded by the attempt count it read (and pending, unexpired): a
//   second UPDATE of the row waits for the first to commit and re-checks its WHERE on the
//   new row (READ COMMITTED), so no two attempts share a count and a code is used once.
import { and, asc, desc, eq, gt, inArray, lte } from 'drizzle-orm';
import { clients, outbox, verificationCodes, verifications } from '../../../db/schema.pg.js';
import type { NewEvent } from '../../events/model.js';
import type { ExpiryWindow } from '../../verification/expiry.js';
import { type AsyncOperations, type Flow, runAsync } from '../../verification/flow.js';
import type { Delivery, Verification } from '../../verification/model.js';
import type {
  AttemptOps,
  BucketRow,
  CancelOps,
  CounterIncrement,
  CounterRead,
  LinkOps,
  SendOps,
  Suppressed,
  VerificationsPort,
} from '../../verification/ports.js';
import { sendGuardKeys } from '../send-guards.js';
import { eventsParameter, writeEvents } from './events.js';
import type { PgDb } from './open.js';
import type { SharedCounters } from './redis-counters.js';
import * as statements from './verification-sql.js';

const numbers = (values: (string | number)[]) => values.map(Number);
const increments = (list: CounterIncrement[]) => [list.map((e) => e.key), list.map((e) => e.bucket)];

export class PostgresVerifications implements VerificationsPort {
  private readonly sendOps: AsyncOperations<SendOps>;
  private readonly attemptOps: AsyncOperations<AttemptOps>;
  private readonly linkOps: AsyncOperations<LinkOps>;

  /**
   * @param counters where the hot counters live when not in the database (Redis): the
   *   counters every send updates stop being rows that all replicas wait on.
   */
  constructor(
    private readonly db: PgDb,
    private readonly counters?: SharedCounters,
  ) {
    this.sendOps = this.makeSendOps();
    this.attemptOps = this.makeAttemptOps();
    this.linkOps = this.makeLinkOps();
  }

  private query<R>(name: string, text: string, values: unknown[]) {
    return this.db.$client.query<R & Record<string, unknown>>({ name, text, values }).then((result) => result.rows);
  }

  private makeSendOps(): AsyncOperations<SendOps> {
    const shared = this.counters;
    /** The counters this database keeps: all of them, or with Redis all but the hot ones. */
    const inTable = (reads: CounterRead[]) => {
      const kept = reads.filter((r) => !shared || !r.hot);
      return [kept.map((r) => r.key), kept.map((r) => r.since)];
    };
    return {
      loadSendState: async (q) => {
        const guards = sendGuardKeys(q.email, q.ip);
        const [row] = await this.query<{
          suppression: Suppressed | null;
          latest: Verification | null;
          email_sends: string[];
          ip_sends: string[];
          email_version: number | null;
          ip_version: number | null;
          buckets: [string, number, number][];
        }>('mc_load_send', statements.loadSendState, [
          q.clientId,
          q.email,
          q.purpose,
          q.emailSince,
          q.emailLimit,
          q.ip,
          q.ipSince,
          q.ipLimit,
          guards.email,
          guards.ip,
          ...inTable(q.counters),
          q.now,
        ]);
        const buckets: Record<string, BucketRow[]> = {};
        for (const [key, bucket, count] of row!.buckets) {
          buckets[key] ??= [];
          buckets[key].push({ bucket, count });
        }
        return {
          latest: row!.latest ?? undefined,
          sendsToEmail: numbers(row!.email_sends),
          sendsFromIp: numbers(row!.ip_sends),
          guard: { email: row!.email_version, ip: row!.ip_version },
          buckets,
          suppression: row!.suppression ?? undefined,
        };
      },
      countAndRead: async (q) => {
        if (!shared) return { buckets: q.state.buckets, counted: false };
        const hot = await shared.countAndRead(
          q.count,
          q.read.filter((r) => r.hot),
        );
        return { buckets: { ...q.state.buckets, ...hot }, counted: true };
      },
      uncount: async (list) => shared?.uncount(list),
      commitSend: async (w) => {
        const guards = sendGuardKeys(w.email, w.ip);
        const keys = [guards.email, ...(guards.ip === null ? [] : [guards.ip])];
        const versions = [w.guard.email, ...(guards.ip === null ? [] : [w.guard.ip])];
        const common = [
          keys,
          versions,
          w.now,
          w.clientId,
          w.email,
          w.ip,
          w.codeHash,
          w.payload,
          w.expiresAt,
          ...increments(w.count),
          eventsParameter(w.events),
        ];
        const link = [w.link?.linkHash ?? null, w.link?.bindingHash ?? null];
        const v = w.verification;
        const [row] =
          v.kind === 'new'
            ? await this.query<Verification>('mc_commit_new_send', statements.commitNewSend, [
                ...common,
                v.id,
                v.purpose,
                v.locale,
                v.maxAttempts,
                ...link,
                w.userRef,
              ])
            : await this.query<Verification>('mc_commit_join_send', statements.commitJoinSend, [
                ...common,
                v.id,
                v.keepCodes,
                ...link,
                w.userRef,
              ]);
        return row;
      },
    };
  }

  private makeLinkOps(): AsyncOperations<LinkOps> {
    return {
      loadLink: async ({ clientId, linkHashes, probes }) => {
        const [row] = await this.query<{
          verification: Verification | null;
          bindingHash: string | null;
          probes: [number, number][];
        }>('mc_load_link', statements.loadLink, [clientId, linkHashes, probes.key, probes.since]);
        const verification = row!.verification ?? undefined;
        return {
          verification,
          bindingHash: verification ? row!.bindingHash : null,
          probes: row!.probes.map(([bucket, count]) => ({ bucket, count })),
        };
      },
      commitAttempt: this.attemptOps.commitAttempt,
      recordLinkRefusal: async (w) => {
        await this.query('mc_link_refused', statements.recordLinkRefusal, [
          ...increments(w.count),
          eventsParameter(w.events),
        ]);
      },
    };
  }

  private makeAttemptOps(): AsyncOperations<AttemptOps> {
    return {
      loadAttempt: async ({ clientId, target, decoyId }) => {
        type Row = Verification & { id: string | null; hashes: string[] };
        const [row] =
          'verificationId' in target
            ? await this.query<Row>('mc_load_attempt_id', statements.loadAttemptById, [
                clientId,
                decoyId,
                target.verificationId,
              ])
            : await this.query<Row>('mc_load_attempt_address', statements.loadAttemptByAddress, [
                clientId,
                decoyId,
                target.email,
                target.purpose,
              ]);
        const { hashes, ...found } = row!;
        if (found.id === null) return { verification: undefined, codeHashes: hashes };
        if (found.id === decoyId)
          return { verification: undefined, decoy: { id: found.id, attempts: found.attempts }, codeHashes: hashes };
        return { verification: found as Verification, codeHashes: hashes };
      },
      // Wrong codes and probes of unknown ids count per address and per client, in the
      // same statement as the attempt — never a row every request waits on — and so every
      // attempt, right, wrong or on an unknown id, is one write of the same shape.
      commitAttempt: async (w) => {
        const values = [w.id, w.now, w.seenAttempts, ...increments(w.count), eventsParameter(w.events)];
        const [row] =
          w.outcome === 'verified'
            ? await this.query<Verification>('mc_commit_verified', statements.commitVerified, [
                ...values,
                w.verifiedWith,
                w.proven?.userRef ?? null,
              ])
            : await this.query<Verification>('mc_commit_wrong', statements.commitWrong, values);
        return row;
      },
    };
  }

  runSend<T>(flow: Flow<SendOps, T>): Promise<T> {
    return runAsync(flow, this.sendOps);
  }

  runAttempt<T>(flow: Flow<AttemptOps, T>): Promise<T> {
    return runAsync(flow, this.attemptOps);
  }

  runLink<T>(flow: Flow<LinkOps, T>): Promise<T> {
    return runAsync(flow, this.linkOps);
  }

  runCancel<T>(flow: Flow<CancelOps, T>): Promise<T> {
    return runAsync(flow, this.cancelOps);
  }

  private readonly cancelOps: AsyncOperations<CancelOps> = {
    loadCancel: async ({ id, clientId }) => {
      const [row] = await this.db
        .select()
        .from(verifications)
        .where(and(eq(verifications.id, id), eq(verifications.clientId, clientId)));
      return row as Verification | undefined;
    },
    // The guarded update waits for a concurrent right code's write (READ COMMITTED) and
    // checks again on its row: exactly one of the two wins.
    commitCancel: ({ id, now, events }) =>
      this.db.transaction(async (tx) => {
        const canceled = await tx
          .update(verifications)
          .set({ status: 'canceled' })
          .where(and(eq(verifications.id, id), eq(verifications.status, 'pending'), gt(verifications.expiresAt, now)))
          .returning({ id: verifications.id });
        if (canceled.length === 0) return false;
        await tx.delete(verificationCodes).where(eq(verificationCodes.verificationId, id));
        await tx
          .update(outbox)
          .set({ status: 'failed', payload: null, lastError: 'verification canceled' })
          .where(and(eq(outbox.verificationId, id), eq(outbox.status, 'queued')));
        await writeEvents(tx, events);
        return true;
      }),
  };

  /** A pass skips what an attempt holds locked (below); the passes of the next 10 s look again. */
  readonly expiryLookbackMs = 10_000;

  expireDue(window: ExpiryWindow, limit: number, eventsFor: (v: Verification) => NewEvent[]): Promise<number> {
    return this.db.transaction(async (tx) => {
      // SKIP LOCKED: replicas sweeping at once take different rows, and an attempt holding
      // a row is not waited for (it is swept by a later pass, if still pending).
      const due = tx
        .select({ id: verifications.id })
        .from(verifications)
        .where(
          and(
            gt(verifications.expiresAt, window.after),
            lte(verifications.expiresAt, window.upTo),
            eq(verifications.status, 'pending'),
          ),
        )
        .orderBy(asc(verifications.expiresAt))
        .limit(limit)
        .for('update', { skipLocked: true });
      const expired = (await tx
        .update(verifications)
        .set({ status: 'expired' })
        .where(inArray(verifications.id, due))
        .returning()) as Verification[];
      await writeEvents(tx, expired.flatMap(eventsFor));
      return expired.length;
    });
  }

  async newestByEmail(email: string, limit: number) {
    // Through the (client, address) index, client by client: an index on the address alone
    // would cost every send a write for a lookup support makes now and then.
    const everyClient = this.db.select({ id: clients.id }).from(clients);
    return this.db
      .select({ id: verifications.id, clientId: verifications.clientId })
      .from(verifications)
      .where(and(inArray(verifications.clientId, everyClient), eq(verifications.email, email)))
      .orderBy(desc(verifications.createdAt))
      .limit(limit);
  }

  async get(id: string, clientId: string) {
    const [row] = await this.db
      .select()
      .from(verifications)
      .where(and(eq(verifications.id, id), eq(verifications.clientId, clientId)));
    if (!row) return undefined;
    const [mail] = await this.db
      .select({
        status: outbox.status,
        attempts: outbox.attempts,
        lastError: outbox.lastError,
        lastReply: outbox.lastReply,
        enhancedStatus: outbox.enhancedStatus,
        queueId: outbox.queueId,
        sentAt: outbox.sentAt,
      })
      .from(outbox)
      .where(eq(outbox.verificationId, id))
      .orderBy(desc(outbox.id))
      .limit(1);
    return { verification: row as Verification, delivery: (mail as Delivery | undefined) ?? null };
  }
}
