// Suppressed addresses on SQLite (written by a bounce: see outbox.ts).
import { and, desc, eq, gt } from 'drizzle-orm';
import { suppressions } from '../../../db/schema.js';
import type { NewEvent } from '../../events/model.js';
import type { SuppressionsPort } from '../../suppression/ports.js';
import { writeEvents } from './events.js';
import type { GroupCommit } from './group-commit.js';
import type { SqliteDb } from './open.js';
import type { Statements } from './statements.js';

export class SqliteSuppressions implements SuppressionsPort {
  constructor(
    private readonly db: SqliteDb,
    private readonly statements: Statements,
    private readonly group: GroupCommit,
  ) {}

  async list(clientId: string, now = 0) {
    return this.db
      .select()
      .from(suppressions)
      .where(and(eq(suppressions.clientId, clientId), gt(suppressions.until, now)))
      .orderBy(desc(suppressions.createdAt))
      .all();
  }

  async findByEmail(email: string, now: number) {
    return this.db
      .select()
      .from(suppressions)
      .where(and(eq(suppressions.email, email), gt(suppressions.until, now)))
      .orderBy(desc(suppressions.createdAt))
      .all();
  }

  lift(clientId: string, email: string, events: NewEvent[]) {
    return this.group.run(() => {
      const lifted =
        this.db
          .delete(suppressions)
          .where(and(eq(suppressions.clientId, clientId), eq(suppressions.email, email)))
          .run().changes > 0;
      if (lifted) writeEvents(this.statements, events);
      return lifted;
    });
  }
}
