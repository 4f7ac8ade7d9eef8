// The portal's side of mailcode's webhooks: check that a request really comes from
// mailcode (Standard Webhooks signature, with a 5-minute tolerance against replays) and
// read the event. Any Standard Webhooks library verifies them too.
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import type { Event } from '../http/schemas/events.js';

export { WebhookVerificationError };

/** What a webhook request carries: Standard Webhooks' {type, timestamp, data}. */
export interface WebhookMessage {
  type: Event['type'] | 'webhook.test';
  timestamp: string;
  data: {
    id: string;
    subject: string;
    email?: string | null;
    requestId?: string | null;
    actor?: Event['actor'];
  } & Record<string, unknown>;
}

export class WebhookVerifier {
  private readonly webhook: Webhook;

  /** @param secret the endpoint's signing secret (whsec_…), from `mailcode webhooks add`. */
  constructor(secret: string) {
    this.webhook = new Webhook(secret);
  }

  /**
   * The message, once its signature and timestamp check out; throws WebhookVerificationError
   * otherwise. Pass the body exactly as received (before any JSON parsing) and the headers
   * (webhook-id, webhook-timestamp, webhook-signature). The same webhook-id may arrive more
   * than once (at-least-once delivery): skip an id already handled.
   */
  verify(rawBody: string | Buffer, headers: Record<string, string | string[] | undefined>): WebhookMessage {
    const pick = (name: string) => {
      const value = headers[name] ?? headers[name.toLowerCase()];
      return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
    };
    const required = {
      'webhook-id': pick('webhook-id'),
      'webhook-timestamp': pick('webhook-timestamp'),
      'webhook-signature': pick('webhook-signature'),
    };
    return this.webhook.verify(rawBody, required) as WebhookMessage;
  }
}
