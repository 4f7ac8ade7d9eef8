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

/** The operators' search across the whole trail (the console's audit view, its overview). */
export interface EventSearch {
  /** One client's trail, or the service-wide one (serviceScope); every trail when absent. */
  clientId?: string;
  /** Every trail but this one (the console's default leaves mailcode's own sign-ins out). */
  exceptClientId?: string;
  /** One operator's doings. */
  actorId?: string;
  types?: EventType[];
  /** One person: events about any of these subjects, or with this masked address. */
  person?: { subjects: string[]; maskedEmail: string | null };
  /** Only events at or after this time. */
  since?: number;
  /** Only events older than this one (the previous page's last id). */
  before?: string;
  limit: number;
}

export interface EventsPort {
  /** A client's own events, newest first. A `before` id of another client or unknown gives nothing. */
  list(query: EventQuery): Promise<AuditEvent[]>;
  /** Events across trails for an operator, newest first. */
  search(query: EventSearch): Promise<AuditEvent[]>;
  /** Every client's events after position `afterSeq`, oldest first (operators' tail). */
  after(afterSeq: number, limit: number): Promise<AuditEvent[]>;
  /** The newest position (where a tail that wants only new events starts). */
  lastSeq(): Promise<number>;
  append(events: NewEvent[]): Promise<void>;
}
