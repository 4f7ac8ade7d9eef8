// Recoveries by email on SQLite: each change one IMMEDIATE transaction with its events and
// notice; completing one removes the person's authenticators in the same transaction.
import { and, asc, desc, eq, inArray, lt, lte, sql } from 'drizzle-orm';
import { outbox, passkeys, recoveries, totpFactors } from '../../../db/schema.js';
import type { NewEvent } from '../../events/model.js';
import type { QueuedNotice } from '../../people/notices.js';
import type { Recovery } from '../../recovery/model.js';
import type { RecoveriesPort, RecoveryEnd } from '../../recovery/ports.js';
import { noticeRow } from '../notice-row.js';
import { toRecovery } from '../recovery-row.js';
import { writeEvents } from './events.js';
import type { SqliteDb } from './open.js';
import type { Statements } from './statements.js';

export class SqliteRecoveries implements RecoveriesPort {
  constructor(
    private readonly db: SqliteDb,
    private readonly statements: Statements,
  ) {}

  /** `work` and, when it changed something, its events and notice, in one IMMEDIATE transaction. */
  private change(work: () => boolean, events: NewEvent[], notice?: QueuedNotice): boolean {
    return this.db.$client
      .transaction(() => {
        if (!work()) return false;
        if (notice) this.db.insert(outbox).values(noticeRow(notice)).run();
        writeEvents(this.statements, events);
        return true;
      })
      .immediate();
  }

  async create(recovery: Recovery, now: number, events: NewEvent[]): Promise<boolean> {
    return this.change(() => {
      this.db
        .update(recoveries)
        .set({ status: 'expired' })
        .where(
          and(
            eq(recoveries.clientId, recovery.clientId),
            eq(recoveries.userRef, recovery.userRef),
            eq(recoveries.status, 'code_sent'),
            lte(recoveries.codeExpiresAt, now),
          ),
        )
        .run();
      return this.db.insert(recoveries).values(recovery).onConflictDoNothing().run().changes > 0;
    }, events);
  }

  async get(clientId: string, userRef: string, id: string) {
    const row = this.db
      .select()
      .from(recoveries)
      .where(and(eq(recoveries.id, id), eq(recoveries.clientId, clientId), eq(recoveries.userRef, userRef)))
      .get();
    return row && toRecovery(row);
  }

  async list(clientId: string, userRef: string, limit: number) {
    return this.db
      .select()
      .from(recoveries)
      .where(and(eq(recoveries.clientId, clientId), eq(recoveries.userRef, userRef)))
      .orderBy(desc(recoveries.createdAt), desc(recoveries.id))
      .limit(limit)
      .all()
      .map(toRecovery);
  }

  async countDecoyAttempt(id: string, max: number) {
    const row = this.db
      .update(recoveries)
      .set({ attempts: sql`${recoveries.attempts} + 1` })
      .where(and(eq(recoveries.id, id), lt(recoveries.attempts, max)))
      .returning({ attempts: recoveries.attempts })
      .get();
    return row?.attempts;
  }

  async start(id: string, startedAt: number, completesAt: number, events: NewEvent[], notice?: QueuedNotice) {
    return this.change(
      () =>
        this.db
          .update(recoveries)
          .set({ status: 'waiting', startedAt, completesAt })
          .where(and(eq(recoveries.id, id), eq(recoveries.status, 'code_sent')))
          .run().changes > 0,
      events,
      notice,
    );
  }

  async cancel(id: string, end: RecoveryEnd, events: NewEvent[], notice?: QueuedNotice) {
    return this.change(
      () =>
        this.db
          .update(recoveries)
          .set({ status: 'canceled', endedAt: end.at, endedBy: end.by, reason: end.reason })
          .where(and(eq(recoveries.id, id), inArray(recoveries.status, ['code_sent', 'waiting'])))
          .run().changes > 0,
      events,
      notice,
    );
  }

  async complete(id: string, end: RecoveryEnd, events: NewEvent[], notice?: QueuedNotice) {
    return this.change(
      () => {
        const done = this.db
          .update(recoveries)
          .set({ status: 'completed', endedAt: end.at, endedBy: end.by, reason: end.reason })
          .where(and(eq(recoveries.id, id), eq(recoveries.status, 'waiting')))
          .returning({ clientId: recoveries.clientId, userRef: recoveries.userRef })
          .get();
        if (!done) return false;
        // The recovery codes go with their factor (ON DELETE CASCADE).
        this.db
          .delete(totpFactors)
          .where(and(eq(totpFactors.clientId, done.clientId), eq(totpFactors.userRef, done.userRef)))
          .run();
        // And every passkey: the recovery resets the person's second factors.
        this.db
          .delete(passkeys)
          .where(and(eq(passkeys.clientId, done.clientId), eq(passkeys.userRef, done.userRef)))
          .run();
        return true;
      },
      events,
      notice,
    );
  }

  async due(now: number, limit: number) {
    return this.db
      .select()
      .from(recoveries)
      .where(and(eq(recoveries.status, 'waiting'), lte(recoveries.completesAt, now)))
      .orderBy(asc(recoveries.completesAt))
      .limit(limit)
      .all()
      .map(toRecovery);
  }
}
