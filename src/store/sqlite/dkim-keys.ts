// Clients' own DKIM keys on SQLite.
import { and, asc, eq, isNull } from 'drizzle-orm';
import { dkimKeys } from '../../../db/schema.js';
import type { DkimKey, NewDkimKey } from '../../clients/dkim.js';
import type { DkimKeysPort } from '../../clients/ports.js';
import type { NewEvent } from '../../events/model.js';
import { writeEvents } from './events.js';
import type { SqliteDb } from './open.js';
import type { Statements } from './statements.js';

const withoutSecret = ({ privateKeySealed: _sealed, ...key }: typeof dkimKeys.$inferSelect): DkimKey => key;

export class SqliteDkimKeys implements DkimKeysPort {
  constructor(
    private readonly db: SqliteDb,
    private readonly statements: Statements,
  ) {}

  async create(key: NewDkimKey, events: NewEvent[]): Promise<boolean> {
    return this.db.transaction((tx) => {
      const created = tx.insert(dkimKeys).values(key).onConflictDoNothing().run().changes > 0;
      if (created) writeEvents(this.statements, events);
      return created;
    });
  }

  async list(clientId?: string): Promise<DkimKey[]> {
    const query = this.db.select().from(dkimKeys).orderBy(asc(dkimKeys.createdAt), asc(dkimKeys.id));
    return (clientId === undefined ? query.all() : query.where(eq(dkimKeys.clientId, clientId)).all()).map(
      withoutSecret,
    );
  }

  async signingKeys(clientId: string) {
    return this.db
      .select()
      .from(dkimKeys)
      .where(and(eq(dkimKeys.clientId, clientId), isNull(dkimKeys.retiredAt)))
      .all();
  }

  async retire(clientId: string, id: string, now: number, events: NewEvent[]): Promise<boolean> {
    return this.db.transaction((tx) => {
      const retired =
        tx
          .update(dkimKeys)
          .set({ retiredAt: now })
          .where(and(eq(dkimKeys.id, id), eq(dkimKeys.clientId, clientId), isNull(dkimKeys.retiredAt)))
          .run().changes > 0;
      if (retired) writeEvents(this.statements, events);
      return retired;
    });
  }

  async remove(clientId: string, id: string, events: NewEvent[]): Promise<boolean> {
    return this.db.transaction((tx) => {
      const removed =
        tx
          .delete(dkimKeys)
          .where(and(eq(dkimKeys.id, id), eq(dkimKeys.clientId, clientId)))
          .run().changes > 0;
      if (removed) writeEvents(this.statements, events);
      return removed;
    });
  }
}
