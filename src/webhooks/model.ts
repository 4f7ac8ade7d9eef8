// Webhooks: a client's endpoints hear its events as they happen, signed per the Standard
// Webhooks spec, at least once, in order per subject, retried with backoff for up to a day.
import type { EventType } from '../events/model.js';

export interface WebhookEndpoint {
  id: string;
  clientId: string;
  url: string;
  /** The event types it hears; empty: every type. */
  eventTypes: EventType[];
  status: 'active' | 'disabled';
  createdAt: number;
  disabledAt: number | null;
  disabledReason: string | null;
}

export interface NewWebhookEndpoint
  extends Pick<WebhookEndpoint, 'id' | 'clientId' | 'url' | 'eventTypes' | 'createdAt'> {
  /** The signing secret (whsec_…), sealed. */
  secretSealed: string;
}

/** A delivery as an operator sees it: which event, how it went. */
export interface RecentDelivery {
  eventId: string;
  /** The event's type, read from the body that was signed. */
  type: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  /** The endpoint's HTTP status at the last attempt. */
  lastStatus: number | null;
  lastError: string | null;
  createdAt: number;
  deliveredAt: number | null;
}

/** One event on its way to one endpoint. */
export interface WebhookDelivery {
  id: number;
  endpointId: string;
  clientId: string;
  url: string;
  secretSealed: string;
  eventId: string;
  /** What the event is about: deliveries of one subject to one endpoint go in order. */
  subject: string;
  /** The event's JSON body, as it is signed and sent. */
  payload: string;
  attempts: number;
  createdAt: number;
}

/** How long a delivery is retried; past it, it has failed. */
export const deliveryWindowMs = 24 * 60 * 60_000;

/** The wait before the next attempt after `attempts` failed ones: 5 s doubling, at most an hour, ±10% jitter. */
export function retryDelayMs(attempts: number, random = Math.random): number {
  const base = Math.min(5_000 * 2 ** Math.max(0, attempts - 1), 60 * 60_000);
  return Math.round(base * (0.9 + 0.2 * random()));
}

/**
 * An endpoint that has failed every delivery for this long (and failed a delivery for good)
 * is disabled: it is not coming back by itself, and its client hears of it in an event.
 */
export const disableAfterFailingMs = deliveryWindowMs;

/** The body an endpoint receives: Standard Webhooks' {type, timestamp, data}. */
export function webhookPayload(event: {
  id: string;
  type: string;
  at: number;
  subject: string;
  maskedEmail: string | null;
  requestId: string | null;
  actor: string;
  actorId?: string | null;
  data: Record<string, unknown>;
}): string {
  // The operator's id only on what an operator did in the console.
  const operator = event.actorId ? { actorId: event.actorId } : {};
  return JSON.stringify({
    type: event.type,
    timestamp: new Date(event.at).toISOString(),
    data: {
      id: event.id,
      subject: event.subject,
      email: event.maskedEmail,
      requestId: event.requestId,
      actor: event.actor,
      ...operator,
      ...event.data,
    },
  });
}
