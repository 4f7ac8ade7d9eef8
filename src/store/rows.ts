// Row ↔ domain conversions both databases share (their client rows have the same columns:
// see db/schema.ts and db/schema.pg.ts).
import type { Client, ClientSettings } from '../clients/model.js';
import type { Actor, AuditEvent, EventType, NewEvent } from '../events/model.js';
import { newTimeOrderedId } from '../shared/ids.js';
import type { RecentDelivery, WebhookEndpoint } from '../webhooks/model.js';

/** A `clients` row as either database returns it: allowed domains as a JSON array. */
type ClientRow = Omit<Client, 'allowedDomains' | 'noticesOff'> & {
  apiKeyHash: string;
  allowedDomains: string;
  noticesOff: string;
};

/** A client without its key hash. */
export function toClient(row: ClientRow): Client {
  const { apiKeyHash: _hash, allowedDomains, noticesOff, ...rest } = row;
  return {
    ...rest,
    allowedDomains: JSON.parse(allowedDomains) as string[],
    noticesOff: JSON.parse(noticesOff) as Client['noticesOff'],
  };
}

/** Client fields as columns: the allowed domains and the notices turned off as JSON text. */
export function clientColumns<T extends Partial<ClientSettings>>(
  client: T,
): Omit<T, 'allowedDomains' | 'noticesOff'> & { allowedDomains?: string; noticesOff?: string } {
  const { allowedDomains, noticesOff, ...rest } = client;
  return {
    ...rest,
    ...(allowedDomains ? { allowedDomains: JSON.stringify(allowedDomains) } : {}),
    ...(noticesOff ? { noticesOff: JSON.stringify(noticesOff) } : {}),
  };
}

/** An `events` row to insert, as both databases take it (and as PostgreSQL's json_to_recordset reads it). */
export interface EventRow {
  id: string;
  clientId: string;
  type: string;
  subject: string;
  maskedEmail: string | null;
  requestId: string | null;
  actor: string;
  actorId: string | null;
  data: string;
  createdAt: number;
}

/** The rows to insert for these events, each with a fresh public id. */
export function eventRows(list: NewEvent[]): EventRow[] {
  return list.map((e) => ({
    id: newTimeOrderedId('ev', e.at),
    clientId: e.clientId,
    type: e.type,
    subject: e.subject,
    maskedEmail: e.maskedEmail,
    requestId: e.requestId,
    actor: e.actor,
    actorId: e.actorId ?? null,
    data: JSON.stringify(e.data),
    createdAt: e.at,
  }));
}

/** A webhook delivery as the console lists it (the type read from the signed body). */
export function toRecentDelivery(row: {
  eventId: string;
  payload: string;
  status: string;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: number;
  deliveredAt: number | null;
}): RecentDelivery {
  const { payload, ...rest } = row;
  return {
    ...rest,
    type: String((JSON.parse(payload) as { type?: unknown }).type),
    status: rest.status as RecentDelivery['status'],
  };
}

/** An event as read back. */
export function toEvent(row: EventRow & { seq: number }): AuditEvent {
  const { createdAt, data, ...rest } = row;
  return {
    ...rest,
    seq: Number(rest.seq),
    type: rest.type as EventType,
    actor: rest.actor as Actor,
    at: createdAt,
    data: JSON.parse(data) as Record<string, unknown>,
  };
}

/** A webhook_endpoints row as the domain reads it (the secret and the cursor stay in the store). */
export function toEndpoint(row: {
  id: string;
  clientId: string;
  url: string;
  eventTypes: string;
  status: string;
  createdAt: number;
  disabledAt: number | null;
  disabledReason: string | null;
}): WebhookEndpoint {
  return {
    id: row.id,
    clientId: row.clientId,
    url: row.url,
    eventTypes: JSON.parse(row.eventTypes) as EventType[],
    status: row.status as WebhookEndpoint['status'],
    createdAt: row.createdAt,
    disabledAt: row.disabledAt,
    disabledReason: row.disabledReason,
  };
}
