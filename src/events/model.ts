// The audit trail's words: what can happen, who made it happen, and what an event says.
// An event is written in the same transaction as the change it records, so the trail and
// the data never disagree; webhooks and `GET /events` read it.
import type { Logger } from 'pino';

/** Every kind of event, in the order a verification lives through them (then the others). */
export const eventTypes = [
  'verification.created',
  'verification.code_resent',
  'mail.sent',
  'mail.deferred',
  'mail.bounced',
  'mail.failed',
  'mail.suppressed',
  'verification.verified',
  'verification.link_refused',
  'verification.locked',
  'verification.expired',
  'verification.canceled',
  'address.suppressed',
  'address.lifted',
  'authenticator.enabled',
  'authenticator.used',
  'authenticator.locked',
  'authenticator.reset',
  'recovery_codes.regenerated',
  'recovery_codes.used',
  'recovery.requested',
  'recovery.started',
  'recovery.canceled',
  'recovery.completed',
  'notice.queued',
  'person.address_gone',
  'trusted_browser.added',
  'trusted_browser.used',
  'trusted_browser.ended',
  'passkey.added',
  'passkey.used',
  'passkey.counter_went_back',
  'passkey.renamed',
  'passkey.removed',
  'client.created',
  'client.updated',
  'client.key_rotated',
  'client.revoked',
  'client.relay_set',
  'client.relay_removed',
  'dkim.key_created',
  'dkim.key_rotated',
  'dkim.key_retired',
  'dkim.key_removed',
  'webhook.created',
  'webhook.secret_rotated',
  'webhook.test_sent',
  'webhook.removed',
  'webhook.disabled',
] as const;

/** What concerns mailcode itself (its operators): in the service-wide trail, never a client's (see operators/model.ts). */
export const serviceEventTypes = [
  'operator.created',
  'operator.disabled',
  'operator.removed',
  'operator.signed_in',
  'operator.sign_in_failed',
  'operator.signed_out',
] as const;

/** What a client's trail, `GET /events` and its webhooks can carry. */
export type ClientEventType = (typeof eventTypes)[number];
export type EventType = ClientEventType | (typeof serviceEventTypes)[number];

/** Who caused it: the portal through the API, an operator's CLI command, or mailcode itself (the mail worker, expiry). */
export const actors = ['portal', 'cli', 'operator', 'mailcode'] as const;
export type Actor = (typeof actors)[number];

/**
 * Who asked and from where: an API request, an operator's command, or mailcode itself.
 * Carried from the edge to the service, which logs with it, and to the write that records
 * its events (with the actor and the request id; never the IPs).
 */
export interface RequestContext {
  actor: Actor;
  /** The API request's id (x-request-id or Fastify's own), when there was a request. */
  requestId: string | null;
  /** Where the request came from: the portal's server, for API requests. */
  ip?: string;
  /** The person's own IP, when the portal passes it (for the per-IP send limit and the log). */
  endUserIp?: string;
  /** The request's logger, so the service's log lines carry the request id. */
  log?: Pick<Logger, 'info' | 'warn'>;
  /** The console's operator who asked (actor `operator`): recorded with every event of the change. */
  operatorId?: string;
  /** Why, in the operator's words: the console asks for one with every action on a person, and records it. */
  reason?: string;
}

/** An event as the domain builds it; the store gives it its id and position. */
export interface NewEvent {
  type: EventType;
  clientId: string;
  /** The verification id, the user reference, the address or the client id it is about. */
  subject: string;
  /** Masked (j***@acme.example), never whole: events leave mailcode through webhooks. */
  maskedEmail: string | null;
  requestId: string | null;
  actor: Actor;
  /** The operator (op_…) when the actor is one. */
  actorId?: string | null;
  /** The event's own facts; never a code, a secret or an API key. */
  data: Record<string, unknown>;
  at: number;
}

export interface AuditEvent extends NewEvent {
  actorId: string | null;
  /** Public and stable (ev_…): the webhook-id of every delivery of this event. */
  id: string;
  /** Its place in the trail: later events have larger ones. */
  seq: number;
}

/** An event of `context`, about `subject`, at `at`. */
export function event(
  type: EventType,
  at: number,
  subject: { clientId: string; subject: string; maskedEmail?: string | null },
  context: RequestContext,
  data: Record<string, unknown> = {},
): NewEvent {
  const facts = context.reason === undefined ? data : { ...data, reason: context.reason };
  const operator = context.operatorId === undefined ? {} : { actorId: context.operatorId };
  return {
    type,
    clientId: subject.clientId,
    subject: subject.subject,
    maskedEmail: subject.maskedEmail ?? null,
    requestId: context.requestId,
    actor: context.actor,
    ...operator,
    data: facts,
    at,
  };
}

/** What an operator changes with a `mailcode …` command is recorded as the command line's doing. */
export const byCommandLine: RequestContext = { actor: 'cli', requestId: null };

/** What mailcode does on its own (deliveries, expiry) is recorded as its own. */
export const byMailcode: RequestContext = { actor: 'mailcode', requestId: null };
