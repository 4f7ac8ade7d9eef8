// The webhook worker: hands new events on to the endpoints that hear them (fan-out), then
// delivers what is due, signed per Standard Webhooks, several at once but a subject's
// events one after the other; retries with backoff for a day, then gives up, and disables
// an endpoint that has failed for that long.
import type { Logger } from 'pino';
import { Webhook } from 'standardwebhooks';
import { event } from '../events/model.js';
import { unsealWithAny } from '../shared/secrets.js';
import { horizon } from './fan-out.js';
import { deliveryWindowMs, disableAfterFailingMs, retryDelayMs, webhookPayload, type WebhookDelivery } from './model.js';
import type { DeliveredWebhook, WebhooksPort } from './ports.js';
import type { PostResult } from './sender.js';

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

export class WebhookWorker {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private pass: Promise<void> | undefined;
  private again = false;

  constructor(private readonly options: WebhookWorkerOptions) {}

  start(): void {
    this.running = true;
    this.schedule(0);
  }

  /** Called after a change wrote events, so they leave at once instead of at the next poll. */
  nudge(): void {
    if (this.running) this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.run(), delayMs);
    this.timer.unref();
  }

  private run(): void {
    if (!this.running) return;
    if (this.pass) {
      this.again = true;
      return;
    }
    this.pass = this.runOnce()
      .then((handled) => this.schedule(handled > 0 || this.again ? 0 : (this.options.pollMs ?? 500)))
      .catch((error: unknown) => {
        this.options.logger.error({ err: error }, 'webhook pass failed');
        this.schedule(this.options.pollMs ?? 500);
      })
      .finally(() => {
        this.pass = undefined;
        this.again = false;
      });
  }

  /** One fan-out and one round of deliveries; how many deliveries were handled (tests call it). */
  async runOnce(): Promise<number> {
    const { webhooks, now } = this.options;
    await webhooks.fanOut({ now: now(), limit: 500, horizon, payload: webhookPayload });
    const due = await webhooks.claimDue(now(), this.options.leaseMs ?? 30_000, this.options.concurrency ?? 128);
    // An endpoint's secret is unsealed once per pass, not once per delivery.
    const signers = new Map<string, Webhook>();
    const signerOf = (d: WebhookDelivery) => signers.get(d.endpointId) ?? signers.set(d.endpointId, new Webhook(unsealWithAny(this.options.secretKeys, d.secretSealed).plaintext)).get(d.endpointId)!;
    const outcomes = await Promise.all(due.map((d) => this.deliver(d, signerOf(d))));
    // The pass's successes in one write: a write per delivery was what capped the rate. A
    // crash before it sends them again, with the same webhook-ids (at least once).
    const delivered = outcomes.filter((o): o is DeliveredWebhook => o !== undefined);
    if (delivered.length > 0) await webhooks.markDelivered(delivered, now());
    return due.length;
  }

  /** Posts one delivery; what to mark when it was accepted (failures are marked here). */
  private async deliver(delivery: WebhookDelivery & { failingSince: number | null }, signer: Webhook): Promise<DeliveredWebhook | undefined> {
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
      logger.warn({ ...fields, error, retryAt: new Date(nextAttemptAt).toISOString() }, 'webhook delivery failed; will retry');
      return;
    }
    await webhooks.markFailed(delivery.id, at, error);
    this.options.onFailed?.();
    logger.warn({ ...fields, error }, 'webhook delivery failed for good');
    const failingSince = delivery.failingSince ?? delivery.createdAt;
    if (at - failingSince >= disableAfterFailingMs) {
      const reason = `every delivery failed for ${Math.round((at - failingSince) / 3_600_000)} h; last: ${error}`;
      const disabled = event('webhook.disabled', at, { clientId: delivery.clientId, subject: delivery.endpointId }, { actor: 'mailcode', requestId: null }, { url: delivery.url, reason });
      if (await webhooks.disable(delivery.endpointId, at, reason, [disabled])) logger.warn({ endpointId: delivery.endpointId, reason }, 'webhook endpoint disabled');
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    await this.pass;
  }
}
