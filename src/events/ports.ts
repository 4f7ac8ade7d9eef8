// What the audit trail needs of storage. Changes write their events themselves, in their
// own transaction (every port that changes something takes the events to write with it);
// this port reads the trail, and appends events that record no other change.
import type { AuditEvent, EventType, NewEvent } from './model.js';

export interface EventQuery {
  clientId: string;
  types?: EventType[];
  subject?: string;
  /** Only events older than this one (the previous page's last id): newest first, page by page. */
  before?: string;
  limit: number;
}

export interface EventsPort {
  /** A client's own events, newest first. A `before` id of another client or unknown gives nothing. */
  list(query: EventQuery): Promise<AuditEvent[]>;
  /** Every client's events after position `afterSeq`, oldest first (operators' tail). */
  after(afterSeq: number, limit: number): Promise<AuditEvent[]>;
  /** The newest position (where a tail that wants only new events starts). */
  lastSeq(): Promise<number>;
  append(events: NewEvent[]): Promise<void>;
}
