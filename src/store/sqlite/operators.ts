// Operators on SQLite.
import { and, asc, eq, isNull } from 'drizzle-orm';
import { operators } from '../../../db/schema.js';
import type { NewEvent } from '../../events/model.js';
import type { Operator } from '../../operators/model.js';
import type { OperatorsPort } from '../../operators/ports.js';
import { writeEvents } from './events.js';
import type { SqliteDb } from './open.js';
import type { Statements } from './statements.js';

export class SqliteOperators implements OperatorsPort {
  constructor(
    private readonly db: SqliteDb,
    private readonly statements: Statements,
  ) {}

  async create(operator: Operator, events: NewEvent[]): Promise<Operator | undefined> {
    return this.db.transaction((tx) => {
      // One operator per address: a second is not written (the unique index decides).
      const row = tx
        .insert(operators)
        .values(operator)
        .onConflictDoNothing({ target: operators.email })
        .returning()
        .get();
      if (row) writeEvents(this.statements, events);
      return row;
    });
  }

  async list(): Promise<Operator[]> {
    return this.db.select().from(operators).orderBy(asc(operators.createdAt), asc(operators.id)).all();
  }

  async get(id: string): Promise<Operator | undefined> {
    return this.db.select().from(operators).where(eq(operators.id, id)).get();
  }

  async findByEmail(email: string): Promise<Operator | undefined> {
    return this.db.select().from(operators).where(eq(operators.email, email)).get();
  }

  async disable(id: string, at: number, events: NewEvent[]): Promise<boolean> {
    return this.db.transaction((tx) => {
      const disabled =
        tx
          .update(operators)
          .set({ disabledAt: at })
          .where(and(eq(operators.id, id), isNull(operators.disabledAt)))
          .run().changes > 0;
      if (disabled) writeEvents(this.statements, events);
      return disabled;
    });
  }

  async remove(id: string, events: NewEvent[]): Promise<boolean> {
    return this.db.transaction((tx) => {
      const removed = tx.delete(operators).where(eq(operators.id, id)).run().changes > 0;
      if (removed) writeEvents(this.statements, events);
      return removed;
    });
  }
}
