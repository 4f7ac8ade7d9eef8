// Clients' own DKIM keys on PostgreSQL.
import { and, asc, eq, isNull } from 'drizzle-orm';
import { dkimKeys } from '../../../db/schema.pg.js';
import type { DkimKey, NewDkimKey } from '../../clients/dkim.js';
import type { DkimKeysPort } from '../../clients/ports.js';
import type { NewEvent } from '../../events/model.js';
import { writeEvents } from './events.js';
import type { PgDb } from './open.js';

const withoutSecret = ({ privateKeySealed: _sealed, ...key }: typeof dkimKeys.$inferSelect): DkimKey => key;

export class PostgresDkimKeys implements DkimKeysPort {
  constructor(private readonly db: PgDb) {}

  create(key: NewDkimKey, events: NewEvent[]): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const created = await tx.insert(dkimKeys).values(key).onConflictDoNothing().returning({ id: dkimKeys.id });
      if (created.length > 0) await writeEvents(tx, events);
      return created.length > 0;
    });
  }

  async list(clientId?: string): Promise<DkimKey[]> {
    const query = this.db.select().from(dkimKeys).orderBy(asc(dkimKeys.createdAt), asc(dkimKeys.id));
    return (clientId === undefined ? await query : await query.where(eq(dkimKeys.clientId, clientId))).map(
      withoutSecret,
    );
  }

  signingKeys(clientId: string) {
    return this.db
      .select()
      .from(dkimKeys)
      .where(and(eq(dkimKeys.clientId, clientId), isNull(dkimKeys.retiredAt)));
  }

  retire(clientId: string, id: string, now: number, events: NewEvent[]): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const retired = await tx
        .update(dkimKeys)
        .set({ retiredAt: now })
        .where(and(eq(dkimKeys.id, id), eq(dkimKeys.clientId, clientId), isNull(dkimKeys.retiredAt)))
        .returning({ id: dkimKeys.id });
      if (retired.length > 0) await writeEvents(tx, events);
      return retired.length > 0;
    });
  }

  remove(clientId: string, id: string, events: NewEvent[]): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const removed = await tx
        .delete(dkimKeys)
        .where(and(eq(dkimKeys.id, id), eq(dkimKeys.clientId, clientId)))
        .returning({ id: dkimKeys.id });
      if (removed.length > 0) await writeEvents(tx, events);
      return removed.length > 0;
    });
  }
}
