// The audit trail: a client's own, page by page, newest first; every client's, in order, for the operator.
import type { AuditEvent, EventType } from './model.js';
import type { EventSearch, EventsPort } from './ports.js';

export const defaultPageSize = 50;
export const maxPageSize = 200;

export interface EventPage {
  events: AuditEvent[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

export class EventsService {
  constructor(private readonly events: EventsPort) {}

  async list(
    client: { id: string },
    query: { types?: EventType[]; subject?: string; cursor?: string; limit?: number },
  ): Promise<EventPage> {
    const limit = Math.min(Math.max(1, query.limit ?? defaultPageSize), maxPageSize);
    // One more than asked tells whether another page follows, without a second query.
    const found = await this.events.list({
      clientId: client.id,
      types: query.types,
      subject: query.subject,
      before: query.cursor,
      limit: limit + 1,
    });
    const events = found.slice(0, limit);
    return { events, nextCursor: found.length > limit ? events[events.length - 1]!.id : null };
  }

  /** The operators' search across trails, newest first, page by page (the console's audit view). */
  async search(query: Omit<EventSearch, 'limit' | 'before'> & { cursor?: string; limit?: number }): Promise<EventPage> {
    const limit = Math.min(Math.max(1, query.limit ?? defaultPageSize), maxPageSize);
    const { cursor, ...rest } = query;
    const found = await this.events.search({ ...rest, before: cursor, limit: limit + 1 });
    const events = found.slice(0, limit);
    return { events, nextCursor: found.length > limit ? events[events.length - 1]!.id : null };
  }

  /** Up to `limit` events of these types since `since`, newest first (the console's overview counts them). */
  since(since: number, types: EventType[], limit: number): Promise<AuditEvent[]> {
    return this.events.search({ since, types, limit });
  }

  /** One subject's story, oldest first (a verification's timeline). */
  async timeline(clientId: string, subject: string, limit = 50): Promise<AuditEvent[]> {
    return (await this.events.list({ clientId, subject, limit })).reverse();
  }

  /** The operator's view (`mailcode events tail`): every client's events after `seq`, oldest first. */
  after(seq: number, limit: number): Promise<AuditEvent[]> {
    return this.events.after(seq, limit);
  }

  /** The position of the newest event (0 when there is none). */
  lastSeq(): Promise<number> {
    return this.events.lastSeq();
  }
}
