// The outbox on SQLite: claims are one UPDATE … RETURNING, state changes go through group commit.
import { and, eq, gt, inArray, sql } from 'drizzle-orm';
import { outbox } from '../../../db/schema.js';
import type { OutboxMail, OutboxPort } from '../../mail/outbox.js';
import type { GroupCommit } from './group-commit.js';
import type { SqliteDb } from './open.js';
import type { Statements } from './statements.js';

export class SqliteOutbox implements OutboxPort {
  constructor(
    private readonly db: SqliteDb,
    private readonly statements: Statements,
    private readonly group: GroupCommit,
  ) {}

  async claimDue(now: number, leaseMs: number, limit: number): Promise<OutboxMail[]> {
    return this.statements.claimDue.all({ now, until: now + leaseMs, limit }).filter((m): m is OutboxMail => m.payload !== null);
  }

  renewLeases(ids: number[], leaseUntil: number): Promise<void> {
    return this.group.run(() => void this.db.update(outbox).set({ leaseUntil }).where(and(inArray(outbox.id, ids), eq(outbox.status, 'queued'))).run());
  }

  async releaseAbandoned(): Promise<number> {
    return this.db.update(outbox).set({ leaseUntil: 0 }).where(and(eq(outbox.status, 'queued'), gt(outbox.leaseUntil, 0))).run().changes;
  }

  markSent(id: number, now: number): Promise<void> {
    return this.group.run(() => void this.statements.markSent.run({ id, now }));
  }

  markRetry(id: number, nextAttemptAt: number, error: string): Promise<void> {
    return this.group.run(() => void this.statements.markRetry.run({ id, next: nextAttemptAt, error }));
  }

  markFailed(id: number, error: string): Promise<void> {
    return this.group.run(() => void this.statements.markFailed.run({ id, error }));
  }

  async failExpired(now: number): Promise<number> {
    return this.statements.failExpired.run({ now }).changes;
  }

  async countQueued(): Promise<number> {
    return this.db.select({ n: sql<number>`count(*)` }).from(outbox).where(eq(outbox.status, 'queued')).get()?.n ?? 0;
  }
}
