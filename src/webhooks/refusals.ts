// What an operator's changes to webhook endpoints refuse.
import { type InvalidRequest, invalidRequest, type RefusalTable, refuser } from '../shared/domain-error.js';

export type WebhookRefusal =
  | InvalidRequest
  /** No such webhook endpoint of the client (or no such event of it, for a replay). */
  | { kind: 'webhook_not_found'; detail: string };

export const webhookRefusals: RefusalTable<WebhookRefusal> = {
  invalid_request: invalidRequest,
  webhook_not_found: { status: 404, title: 'Webhook not found', means: 'no such webhook endpoint of the client' },
};

export const refuse = refuser(webhookRefusals);
