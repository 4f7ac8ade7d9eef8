// The audit trail on PostgreSQL. The single-statement writes of the hot paths insert their
// events in a CTE (`insertEventsFrom`); other changes use `writeEvents` in their transaction.
import { and, asc, desc, eq, gt, inArray, lt, max, sql, type SQL } from 'drizzle-orm';
import { events } from '../../../db/schema.pg.js';
import type { NewEvent } from '../../events/model.js';
import type { EventQuery, EventSearch, EventsPort } from '../../events/ports.js';
import { searchConditions } from '../events-search.js';
import { eventRows, toEvent } from '../rows.js';
import type { PgDb } from './open.js';

/** A drizzle database or transaction. */
type PgWriter = Pick<PgDb, 'insert'>;

/** Inserts these events (pass the change's transaction). */
export async function writeEvents(db: PgWriter, list: NewEvent[]): Promise<void> {
  if (list.length === 0) return;
  await db.insert(events).values(eventRows(list));
}

/**
 * A CTE body inserting the events in JSON parameter `$n` (see eventsParameter), once per
 * row of `source` — so nothing is recorded when the guarded write it follows wrote nothing.
 */
export const insertEventsFrom = (source: string, n: number) => `
insert into events (id, client_id, type, subject, masked_email, request_id, actor, actor_id, data, created_at)
select e.id, e."clientId", e.type, e.subject, e."maskedEmail", e."requestId", e.actor, e."actorId", e.data, e."createdAt"
from ${source}, json_to_recordset($${n}::json)
  as e(id text, "clientId" text, type text, subject text, "maskedEmail" text, "requestId" text, actor text, "actorId" text, data text, "createdAt" bigint)`;

/** The value of an insertEventsFrom parameter. */
export const eventsParameter = (list: NewEvent[]) => JSON.stringify(eventRows(list));

export class PostgresEvents implements EventsPort {
  constructor(private readonly db: PgDb) {}

  async list(q: EventQuery) {
    const where: (SQL | undefined)[] = [eq(events.clientId, q.clientId)];
    if (q.types?.length) where.push(inArray(events.type, q.types));
    if (q.subject !== undefined) where.push(eq(events.subject, q.subject));
    if (q.before !== undefined) {
      const cursor = this.db
        .select({ seq: events.seq })
        .from(events)
        .where(and(eq(events.id, q.before), eq(events.clientId, q.clientId)));
      where.push(lt(events.seq, sql`coalesce((${cursor}), -1)`));
    }
    return (
      await this.db
        .select()
        .from(events)
        .where(and(...where))
        .orderBy(desc(events.seq))
        .limit(q.limit)
    ).map(toEvent);
  }

  async search(q: EventSearch) {
    const where = searchConditions(
      events,
      q,
      (id) => sql`${this.db.select({ seq: events.seq }).from(events).where(eq(events.id, id))}`,
    );
    return (await this.db.select().from(events).where(where).orderBy(desc(events.seq)).limit(q.limit)).map(toEvent);
  }

  async after(afterSeq: number, limit: number) {
    return (
      await this.db.select().from(events).where(gt(events.seq, afterSeq)).orderBy(asc(events.seq)).limit(limit)
    ).map(toEvent);
  }

  async lastSeq() {
    const [row] = await this.db.select({ seq: max(events.seq) }).from(events);
    return Number(row?.seq ?? 0);
  }

  async append(list: NewEvent[]) {
    await writeEvents(this.db, list);
  }
}
