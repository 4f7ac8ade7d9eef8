// The audit trail on SQLite. Other adapters write their events with `writeEvents`, inside
// the transaction of their change; this port reads the trail.
import { and, asc, desc, eq, gt, inArray, lt, max, sql, type SQL } from 'drizzle-orm';
import { events } from '../../../db/schema.js';
import type { NewEvent } from '../../events/model.js';
import type { EventQuery, EventSearch, EventsPort } from '../../events/ports.js';
import { searchConditions } from '../events-search.js';
import { eventRows, toEvent } from '../rows.js';
import type { SqliteDb } from './open.js';
import type { Statements } from './statements.js';

/** Inserts these events (call it inside the change's transaction). */
export function writeEvents(st: Pick<Statements, 'insertEvent'>, list: NewEvent[]): void {
  for (const row of eventRows(list)) st.insertEvent.run(row);
}

export class SqliteEvents implements EventsPort {
  constructor(
    private readonly db: SqliteDb,
    private readonly statements: Statements,
  ) {}

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
    return this.db
      .select()
      .from(events)
      .where(and(...where))
      .orderBy(desc(events.seq))
      .limit(q.limit)
      .all()
      .map(toEvent);
  }

  async search(q: EventSearch) {
    const where = searchConditions(
      events,
      q,
      (id) => sql`${this.db.select({ seq: events.seq }).from(events).where(eq(events.id, id))}`,
    );
    return this.db.select().from(events).where(where).orderBy(desc(events.seq)).limit(q.limit).all().map(toEvent);
  }

  async after(afterSeq: number, limit: number) {
    return this.db
      .select()
      .from(events)
      .where(gt(events.seq, afterSeq))
      .orderBy(asc(events.seq))
      .limit(limit)
      .all()
      .map(toEvent);
  }

  async lastSeq() {
    return (
      this.db
        .select({ seq: max(events.seq) })
        .from(events)
        .get()?.seq ?? 0
    );
  }

  async append(list: NewEvent[]) {
    writeEvents(this.statements, list);
  }
}
