// The outbox on PostgreSQL: claimed with FOR UPDATE SKIP LOCKED plus a lease, so replicas
// never take the same mail and a dead replica's mail comes back when its lease runs out.
import { and, asc, eq, gt, inArray, lte, sql } from 'drizzle-orm';
import { outbox } from '../../../db/schema.pg.js';
import type { OutboxMail, OutboxPort } from '../../mail/outbox.js';
import type { PgDb } from './open.js';

const p = sql.placeholder;
/** A placeholder where drizzle's types want an SQL value (in .set()). */
const v = (name: string) => sql`${sql.placeholder(name)}`;

/** The worker's statements, built once and named: each delivery runs one of them. */
function prepare(db: PgDb) {
  return {
    markSent: db
      .update(outbox)
      .set({ status: 'sent', payload: null, sentAt: v('now'), leaseUntil: 0, lastError: null, attempts: sql`${outbox.attempts} + 1` })
      .where(eq(outbox.id, p('id')))
      .prepare('mc_outbox_sent'),
    markRetry: db
      .update(outbox)
      .set({ nextAttemptAt: v('next'), leaseUntil: 0, lastError: v('error'), attempts: sql`${outbox.attempts} + 1` })
      .where(eq(outbox.id, p('id')))
      .prepare('mc_outbox_retry'),
    markFailed: db
      .update(outbox)
      .set({ status: 'failed', payload: null, leaseUntil: 0, lastError: v('error'), attempts: sql`${outbox.attempts} + 1` })
      .where(eq(outbox.id, p('id')))
      .prepare('mc_outbox_failed'),
  };
}

export class PostgresOutbox implements OutboxPort {
  private readonly statements: ReturnType<typeof prepare>;

  constructor(private readonly db: PgDb) {
    this.statements = prepare(db);
  }

  /**
   * One statement picks the due mail and leases it. SKIP LOCKED lets replicas claim side by
   * side: each takes rows no other transaction is claiming at that moment, never the same one.
   */
  async claimDue(now: number, leaseMs: number, limit: number): Promise<OutboxMail[]> {
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

  async renewLeases(ids: number[], leaseUntil: number): Promise<void> {
    await this.db.update(outbox).set({ leaseUntil }).where(and(inArray(outbox.id, ids), eq(outbox.status, 'queued')));
  }

  /** Other replicas may be alive and delivering: their leases are left to run out. */
  async releaseAbandoned(): Promise<number> {
    return 0;
  }

  async markSent(id: number, now: number): Promise<void> {
    await this.statements.markSent.execute({ id, now });
  }

  async markRetry(id: number, nextAttemptAt: number, error: string): Promise<void> {
    await this.statements.markRetry.execute({ id, next: nextAttemptAt, error });
  }

  async markFailed(id: number, error: string): Promise<void> {
    await this.statements.markFailed.execute({ id, error });
  }

  async failExpired(now: number): Promise<number> {
    const rows = await this.db
      .update(outbox)
      .set({ status: 'failed', payload: null, lastError: sql`coalesce(${outbox.lastError}, 'code expired before delivery')` })
      .where(and(eq(outbox.status, 'queued'), lte(outbox.expiresAt, now)))
      .returning({ id: outbox.id });
    return rows.length;
  }

  async countQueued(): Promise<number> {
    const [row] = await this.db.select({ n: sql<number>`count(*)::int` }).from(outbox).where(eq(outbox.status, 'queued'));
    return row?.n ?? 0;
  }
}
