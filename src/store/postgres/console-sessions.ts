// The support console's sessions on PostgreSQL.
import { eq, lte, or } from 'drizzle-orm';
import { consoleSessions } from '../../../db/schema.pg.js';
import type { ConsoleSession, ConsoleSessionsPort, SessionCutoffs, SessionStage } from '../../operators/sessions.js';
import type { PgDb } from './open.js';

export class PostgresConsoleSessions implements ConsoleSessionsPort {
  constructor(private readonly db: PgDb) {}

  async create(session: ConsoleSession): Promise<void> {
    await this.db.insert(consoleSessions).values(session);
  }

  async get(idHash: string): Promise<ConsoleSession | undefined> {
    const [row] = await this.db.select().from(consoleSessions).where(eq(consoleSessions.idHash, idHash));
    return row;
  }

  async advance(idHash: string, next: { idHash: string; stage: SessionStage; at: number }): Promise<boolean> {
    const moved = await this.db
      .update(consoleSessions)
      .set({ idHash: next.idHash, stage: next.stage, lastSeenAt: next.at })
      .where(eq(consoleSessions.idHash, idHash))
      .returning({ idHash: consoleSessions.idHash });
    return moved.length > 0;
  }

  async touch(idHash: string, at: number): Promise<void> {
    await this.db.update(consoleSessions).set({ lastSeenAt: at }).where(eq(consoleSessions.idHash, idHash));
  }

  async remove(idHash: string): Promise<void> {
    await this.db.delete(consoleSessions).where(eq(consoleSessions.idHash, idHash));
  }

  async removeAllOf(operatorId: string): Promise<number> {
    return (
      await this.db
        .delete(consoleSessions)
        .where(eq(consoleSessions.operatorId, operatorId))
        .returning({ idHash: consoleSessions.idHash })
    ).length;
  }

  async removeEnded(cutoffs: SessionCutoffs): Promise<number> {
    const removed = await this.db
      .delete(consoleSessions)
      .where(or(lte(consoleSessions.lastSeenAt, cutoffs.seenBy), lte(consoleSessions.createdAt, cutoffs.begunBy)))
      .returning({ idHash: consoleSessions.idHash });
    return removed.length;
  }
}
