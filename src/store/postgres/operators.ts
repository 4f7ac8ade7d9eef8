// Operators on PostgreSQL.
import { and, asc, eq, isNull } from 'drizzle-orm';
import { operators } from '../../../db/schema.pg.js';
import type { NewEvent } from '../../events/model.js';
import type { Operator } from '../../operators/model.js';
import type { OperatorsPort } from '../../operators/ports.js';
import { writeEvents } from './events.js';
import type { PgDb } from './open.js';

export class PostgresOperators implements OperatorsPort {
  constructor(private readonly db: PgDb) {}

  create(operator: Operator, events: NewEvent[]): Promise<Operator | undefined> {
    return this.db.transaction(async (tx) => {
      // One operator per address: a second is not written (the unique index decides).
      const [row] = await tx
        .insert(operators)
        .values(operator)
        .onConflictDoNothing({ target: operators.email })
        .returning();
      if (row) await writeEvents(tx, events);
      return row;
    });
  }

  list(): Promise<Operator[]> {
    return this.db.select().from(operators).orderBy(asc(operators.createdAt), asc(operators.id));
  }

  async get(id: string): Promise<Operator | undefined> {
    const [row] = await this.db.select().from(operators).where(eq(operators.id, id));
    return row;
  }

  async findByEmail(email: string): Promise<Operator | undefined> {
    const [row] = await this.db.select().from(operators).where(eq(operators.email, email));
    return row;
  }

  disable(id: string, at: number, events: NewEvent[]): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const disabled = await tx
        .update(operators)
        .set({ disabledAt: at })
        .where(and(eq(operators.id, id), isNull(operators.disabledAt)))
        .returning({ id: operators.id });
      if (disabled.length > 0) await writeEvents(tx, events);
      return disabled.length > 0;
    });
  }

  remove(id: string, events: NewEvent[]): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const removed = await tx.delete(operators).where(eq(operators.id, id)).returning({ id: operators.id });
      if (removed.length > 0) await writeEvents(tx, events);
      return removed.length > 0;
    });
  }
}
