// The webhook worker: hands new events on to the endpoints that hear them (fan-out), then
// delivers what is due, signed per Standard Webhooks, several at once but a subject's
// events one after the other; retries with backoff for a day, then gives up, and disables
// an endpoint that has failed for that long.
import type { Logger } from 'pino';
import { Webhook } from 'standardwebhooks';
import { event } from '../events/model.js';
import { unsealWithAny } from '../shared/secrets.js';
import { horizon } from './fan-out.js';
import {
  deliveryWindowMs,
  disableAfterFailingMs,
  retryDelayMs,
  webhookPayload,
  type WebhookDelivery,
} from './model.js';
import type { DeliveredWebhook, WebhooksPort } from './ports.js';
import type { PostResult } from './sender.js';
import type { BackgroundJob } from '../shared/background.js';

export interface WebhookWorkerOptions {
  webhooks: WebhooksPort;
  post(url: string, headers: Record<string, string>, body: string): Promise<PostResult>;
  /** Newest first: the keys the endpoints' secrets are sealed with. */
  secretKeys: Buffer[];
  logger: Logger;
  now: () => number;
  pollMs?: number;
  leaseMs?: number;
  concurrency?: number;
  onDelivered?: (seconds: number) => void;
  onFailed?: () => void;
  onRetry?: () => void;
}

/** A background job (shared/background.ts): each pass fans out new events and delivers a round. */
export class WebhookWorker implements BackgroundJob {
  readonly name = 'webhooks';

  constructor(private readonly options: WebhookWorkerOptions) {}

  get idleMs(): number {
    return this.options.pollMs ?? 500;
  }

  /** A pass that handled deliveries is followed by another at once: more may be due. */
  async pass(): Promise<boolean> {
    return (await this.runOnce()) > 0;
  }

  /** One fan-out and one round of deliveries; how many deliveries were handled (tests call it). */
  async runOnce(): Promise<number> {
    const { webhooks, now } = this.options;
    await webhooks.fanOut({ now: now(), limit: 500, horizon, payload: webhookPayload });
    const due = await webhooks.claimDue(now(), this.options.leaseMs ?? 30_000, this.options.concurrency ?? 128);
    // An endpoint's secret is unsealed once per pass, not once per delivery.
    const signers = new Map<string, Webhook>();
    const signerOf = (d: WebhookDelivery) =>
      signers.get(d.endpointId) ??
      signers
        .set(d.endpointId, new Webhook(unsealWithAny(this.options.secretKeys, d.secretSealed).plaintext))
        .get(d.endpointId)!;
    const outcomes = await Promise.all(due.map((d) => this.deliver(d, signerOf(d))));
    // The pass's successes in one write: a write per delivery was what capped the rate. A
    // crash before it sends them again, with the same webhook-ids (at least once).
    const delivered = outcomes.filter((o): o is DeliveredWebhook => o !== undefined);
    if (delivered.length > 0) await webhooks.markDelivered(delivered, now());
    return due.length;
  }

  /** Posts one delivery; what to mark when it was accepted (failures are marked here). */
  private async deliver(
    delivery: WebhookDelivery & { failingSince: number | null },
    signer: Webhook,
  ): Promise<DeliveredWebhook | undefined> {
    const { webhooks, logger, now } = this.options;
    const sentAt = now();
    const headers = {
      'webhook-id': delivery.eventId,
      'webhook-timestamp': String(Math.floor(sentAt / 1000)),
      'webhook-signature': signer.sign(delivery.eventId, new Date(sentAt), delivery.payload),
    };
    const result = await this.options.post(delivery.url, headers, delivery.payload);
    const at = now();
    const fields = { endpointId: delivery.endpointId, eventId: delivery.eventId, attempts: delivery.attempts + 1 };
    if (result.ok) {
      this.options.onDelivered?.(Math.max(0, at - delivery.createdAt) / 1000);
      return { id: delivery.id, status: result.status ?? 200 };
    }
    const error = result.error ?? 'failed';
    const nextAttemptAt = at + retryDelayMs(delivery.attempts + 1);
    if (nextAttemptAt - delivery.createdAt < deliveryWindowMs) {
      await webhooks.markRetry(delivery.id, at, nextAttemptAt, error);
      this.options.onRetry?.();
      logger.warn(
        { ...fields, error, retryAt: new Date(nextAttemptAt).toISOString() },
        'webhook delivery failed; will retry',
      );
      return;
    }
    await webhooks.markFailed(delivery.id, at, error);
    this.options.onFailed?.();
    logger.warn({ ...fields, error }, 'webhook delivery failed for good');
    const failingSince = delivery.failingSince ?? delivery.createdAt;
    if (at - failingSince >= disableAfterFailingMs) {
      const reason = `every delivery failed for ${Math.round((at - failingSince) / 3_600_000)} h; last: ${error}`;
      const disabled = event(
        'webhook.disabled',
        at,
        { clientId: delivery.clientId, subject: delivery.endpointId },
        { actor: 'mailcode', requestId: null },
        { url: delivery.url, reason },
      );
      if (await webhooks.disable(delivery.endpointId, at, reason, [disabled]))
        logger.warn({ endpointId: delivery.endpointId, reason }, 'webhook endpoint disabled');
    }
  }
}
