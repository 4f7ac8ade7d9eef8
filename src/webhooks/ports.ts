// What webhooks need of storage. The events table is the durable source: a fan-out moves
// each active endpoint's cursor over its client's new events and queues one delivery per
// event it hears, in one transaction, so nothing is lost or queued twice.
import type { AuditEvent, NewEvent } from '../events/model.js';
import type { NewWebhookEndpoint, RecentDelivery, WebhookDelivery, WebhookEndpoint } from './model.js';

export interface FanOutRequest {
  now: number;
  /** Events per endpoint per pass. */
  limit: number;
  /** How far events may be handed on, from their positions after `from` (see fan-out.ts). */
  horizon(positions: { seq: number; at: number }[], from: number, now: number): number;
  /** The body of an event's delivery. */
  payload(event: AuditEvent): string;
}

export interface WebhooksPort {
  /** Each change writes its events in the same transaction (a new endpoint does not hear its own). */
  create(endpoint: NewWebhookEndpoint, events?: NewEvent[]): Promise<WebhookEndpoint>;
  /** A client's endpoints, or every client's (operators). */
  list(clientId?: string): Promise<WebhookEndpoint[]>;
  get(id: string): Promise<WebhookEndpoint | undefined>;
  /** The endpoint's newest deliveries, newest first (the console's webhook page). */
  recentDeliveries(endpointId: string, limit: number): Promise<RecentDelivery[]>;
  /** False (and no event written) when there is no such endpoint. */
  remove(id: string, events?: NewEvent[]): Promise<boolean>;
  rotateSecret(id: string, secretSealed: string, events?: NewEvent[]): Promise<boolean>;
  /** Hands every active endpoint's new events on; returns how many deliveries were queued. */
  fanOut(request: FanOutRequest): Promise<number>;
  /** Hands the endpoint the client's events again from this one on (their webhook-ids unchanged). */
  replayFrom(endpointId: string, eventId: string): Promise<boolean>;
  /** Queues one delivery outside the trail (a test event). */
  enqueue(
    endpointId: string,
    eventId: string,
    subject: string,
    payload: string,
    now: number,
    events?: NewEvent[],
  ): Promise<void>;
  /**
   * Leases due deliveries: each the oldest undelivered one of its endpoint and subject, so a
   * subject's events arrive in order.
   */
  claimDue(now: number, leaseMs: number, limit: number): Promise<(WebhookDelivery & { failingSince: number | null })[]>;
  /** Records a pass's successful deliveries at once (the HTTP status each got). */
  markDelivered(delivered: DeliveredWebhook[], now: number): Promise<void>;
  markRetry(id: number, now: number, nextAttemptAt: number, error: string): Promise<void>;
  markFailed(id: number, now: number, error: string): Promise<void>;
  /** Disables the endpoint with its events (webhook.disabled); false when it was not active. */
  disable(id: string, now: number, reason: string, events: NewEvent[]): Promise<boolean>;
  countPending(): Promise<number>;
}

export interface DeliveredWebhook {
  id: number;
  status: number;
}
