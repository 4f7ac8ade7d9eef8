// Suppressed addresses on PostgreSQL (written by a bounce: see outbox.ts).
import { and, desc, eq, gt } from 'drizzle-orm';
import { suppressions } from '../../../db/schema.pg.js';
import type { NewEvent } from '../../events/model.js';
import type { SuppressionsPort } from '../../suppression/ports.js';
import { writeEvents } from './events.js';
import type { PgDb } from './open.js';

export class PostgresSuppressions implements SuppressionsPort {
  constructor(private readonly db: PgDb) {}

  async list(clientId: string, now = 0) {
    return this.db
      .select()
      .from(suppressions)
      .where(and(eq(suppressions.clientId, clientId), gt(suppressions.until, now)))
      .orderBy(desc(suppressions.createdAt));
  }

  async findByEmail(email: string, now: number) {
    return this.db
      .select()
      .from(suppressions)
      .where(and(eq(suppressions.email, email), gt(suppressions.until, now)))
      .orderBy(desc(suppressions.createdAt));
  }

  lift(clientId: string, email: string, events: NewEvent[]) {
    return this.db.transaction(async (tx) => {
      const lifted = await tx
        .delete(suppressions)
        .where(and(eq(suppressions.clientId, clientId), eq(suppressions.email, email)))
        .returning({ email: suppressions.email });
      if (lifted.length > 0) await writeEvents(tx, events);
      return lifted.length > 0;
    });
  }
}
