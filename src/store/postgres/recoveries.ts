// Recoveries by email on PostgreSQL: each change one transaction with its events and notice;
// the conditional UPDATEs keep two requests from moving one recovery twice, and the partial
// unique index keeps a person to one open recovery.
import { and, asc, desc, eq, inArray, lt, lte, sql } from 'drizzle-orm';
import { outbox, passkeys, recoveries, totpFactors } from '../../../db/schema.pg.js';
import type { NewEvent } from '../../events/model.js';
import type { QueuedNotice } from '../../people/notices.js';
import type { Recovery } from '../../recovery/model.js';
import type { RecoveriesPort, RecoveryEnd } from '../../recovery/ports.js';
import { noticeRow } from '../notice-row.js';
import { toRecovery } from '../recovery-row.js';
import { writeEvents } from './events.js';
import type { PgDb } from './open.js';

type Tx = Parameters<Parameters<PgDb['transaction']>[0]>[0];

export class PostgresRecoveries implements RecoveriesPort {
  constructor(private readonly db: PgDb) {}

  /** `work` and, when it changed something, its events and notice, in one transaction. */
  private change(work: (tx: Tx) => Promise<boolean>, events: NewEvent[], notice?: QueuedNotice): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      if (!(await work(tx))) return false;
      if (notice) await tx.insert(outbox).values(noticeRow(notice));
      await writeEvents(tx, events);
      return true;
    });
  }

  async create(recovery: Recovery, now: number, events: NewEvent[]): Promise<boolean> {
    return this.change(async (tx) => {
      await tx
        .update(recoveries)
        .set({ status: 'expired' })
        .where(
          and(
            eq(recoveries.clientId, recovery.clientId),
            eq(recoveries.userRef, recovery.userRef),
            eq(recoveries.status, 'code_sent'),
            lte(recoveries.codeExpiresAt, now),
          ),
        );
      const inserted = await tx
        .insert(recoveries)
        .values(recovery)
        .onConflictDoNothing()
        .returning({ id: recoveries.id });
      return inserted.length > 0;
    }, events);
  }

  async get(clientId: string, userRef: string, id: string) {
    const [row] = await this.db
      .select()
      .from(recoveries)
      .where(and(eq(recoveries.id, id), eq(recoveries.clientId, clientId), eq(recoveries.userRef, userRef)));
    return row && toRecovery(row);
  }

  async list(clientId: string, userRef: string, limit: number) {
    const rows = await this.db
      .select()
      .from(recoveries)
      .where(and(eq(recoveries.clientId, clientId), eq(recoveries.userRef, userRef)))
      .orderBy(desc(recoveries.createdAt), desc(recoveries.id))
      .limit(limit);
    return rows.map(toRecovery);
  }

  async countDecoyAttempt(id: string, max: number) {
    const [row] = await this.db
      .update(recoveries)
      .set({ attempts: sql`${recoveries.attempts} + 1` })
      .where(and(eq(recoveries.id, id), lt(recoveries.attempts, max)))
      .returning({ attempts: recoveries.attempts });
    return row?.attempts;
  }

  async start(id: string, startedAt: number, completesAt: number, events: NewEvent[], notice?: QueuedNotice) {
    return this.change(
      async (tx) =>
        (
          await tx
            .update(recoveries)
            .set({ status: 'waiting', startedAt, completesAt })
            .where(and(eq(recoveries.id, id), eq(recoveries.status, 'code_sent')))
            .returning({ id: recoveries.id })
        ).length > 0,
      events,
      notice,
    );
  }

  async cancel(id: string, end: RecoveryEnd, events: NewEvent[], notice?: QueuedNotice) {
    return this.change(
      async (tx) =>
        (
          await tx
            .update(recoveries)
            .set({ status: 'canceled', endedAt: end.at, endedBy: end.by, reason: end.reason })
            .where(and(eq(recoveries.id, id), inArray(recoveries.status, ['code_sent', 'waiting'])))
            .returning({ id: recoveries.id })
        ).length > 0,
      events,
      notice,
    );
  }

  async complete(id: string, end: RecoveryEnd, events: NewEvent[], notice?: QueuedNotice) {
    return this.change(
      async (tx) => {
        const [done] = await tx
          .update(recoveries)
          .set({ status: 'completed', endedAt: end.at, endedBy: end.by, reason: end.reason })
          .where(and(eq(recoveries.id, id), eq(recoveries.status, 'waiting')))
          .returning({ clientId: recoveries.clientId, userRef: recoveries.userRef });
        if (!done) return false;
        // The recovery codes go with their factor (ON DELETE CASCADE).
        await tx
          .delete(totpFactors)
          .where(and(eq(totpFactors.clientId, done.clientId), eq(totpFactors.userRef, done.userRef)));
        // And every passkey: the recovery resets the person's second factors.
        await tx.delete(passkeys).where(and(eq(passkeys.clientId, done.clientId), eq(passkeys.userRef, done.userRef)));
        return true;
      },
      events,
      notice,
    );
  }

  async due(now: number, limit: number) {
    const rows = await this.db
      .select()
      .from(recoveries)
      .where(and(eq(recoveries.status, 'waiting'), lte(recoveries.completesAt, now)))
      .orderBy(asc(recoveries.completesAt))
      .limit(limit);
    return rows.map(toRecovery);
  }
}
