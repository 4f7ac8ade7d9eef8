// The operators' search of the trail (EventsPort.search), one set of conditions for both
// databases: drizzle's operators take either dialect's columns.
import { and, eq, gte, inArray, lt, ne, or, sql, type Column, type SQL } from 'drizzle-orm';
import type { EventSearch } from '../events/ports.js';

interface EventColumns {
  seq: Column;
  id: Column;
  clientId: Column;
  type: Column;
  subject: Column;
  maskedEmail: Column;
  actorId: Column;
  createdAt: Column;
}

/** The WHERE of a search; `cursorSeq` is the dialect's sub-select of the `before` event's position. */
export function searchConditions(
  events: EventColumns,
  q: EventSearch,
  cursorSeq: (id: string) => SQL,
): SQL | undefined {
  const where: (SQL | undefined)[] = [];
  if (q.clientId !== undefined) where.push(eq(events.clientId, q.clientId));
  if (q.exceptClientId !== undefined) where.push(ne(events.clientId, q.exceptClientId));
  if (q.actorId !== undefined) where.push(eq(events.actorId, q.actorId));
  if (q.types?.length) where.push(inArray(events.type, q.types));
  if (q.since !== undefined) where.push(gte(events.createdAt, q.since));
  if (q.person) {
    const bySubject = q.person.subjects.length ? inArray(events.subject, q.person.subjects) : undefined;
    const byAddress = q.person.maskedEmail !== null ? eq(events.maskedEmail, q.person.maskedEmail) : undefined;
    where.push(or(bySubject, byAddress) ?? sql`false`);
  }
  if (q.before !== undefined) where.push(lt(events.seq, sql`coalesce((${cursorSeq(q.before)}), -1)`));
  return and(...where);
}
