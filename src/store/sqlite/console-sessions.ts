// The support console's sessions on SQLite.
import { eq, lte, or } from 'drizzle-orm';
import { consoleSessions } from '../../../db/schema.js';
import type { ConsoleSession, ConsoleSessionsPort, SessionCutoffs, SessionStage } from '../../operators/sessions.js';
import type { SqliteDb } from './open.js';

export class SqliteConsoleSessions implements ConsoleSessionsPort {
  constructor(private readonly db: SqliteDb) {}

  async create(session: ConsoleSession): Promise<void> {
    this.db.insert(consoleSessions).values(session).run();
  }

  async get(idHash: string): Promise<ConsoleSession | undefined> {
    return this.db.select().from(consoleSessions).where(eq(consoleSessions.idHash, idHash)).get();
  }

  async advance(idHash: string, next: { idHash: string; stage: SessionStage; at: number }): Promise<boolean> {
    return (
      this.db
        .update(consoleSessions)
        .set({ idHash: next.idHash, stage: next.stage, lastSeenAt: next.at })
        .where(eq(consoleSessions.idHash, idHash))
        .run().changes > 0
    );
  }

  async touch(idHash: string, at: number): Promise<void> {
    this.db.update(consoleSessions).set({ lastSeenAt: at }).where(eq(consoleSessions.idHash, idHash)).run();
  }

  async remove(idHash: string): Promise<void> {
    this.db.delete(consoleSessions).where(eq(consoleSessions.idHash, idHash)).run();
  }

  async removeAllOf(operatorId: string): Promise<number> {
    return this.db.delete(consoleSessions).where(eq(consoleSessions.operatorId, operatorId)).run().changes;
  }

  async removeEnded(cutoffs: SessionCutoffs): Promise<number> {
    return this.db
      .delete(consoleSessions)
      .where(or(lte(consoleSessions.lastSeenAt, cutoffs.seenBy), lte(consoleSessions.createdAt, cutoffs.begunBy)))
      .run().changes;
  }
}
