// Managing a client's webhook endpoints: add (with its signing secret, shown once), list,
// remove, rotate the secret, send a test event, replay from an event.
import { randomBytes } from 'node:crypto';
import { eventTypes, type EventType } from '../events/model.js';
import { newId } from '../shared/ids.js';
import { refuse } from '../shared/domain-error.js';
import { seal } from '../shared/secrets.js';
import type { RecentDelivery, WebhookEndpoint } from './model.js';
import type { WebhooksPort } from './ports.js';
import { checkWebhookUrl, type TargetPolicy } from './url-policy.js';

/** A Standard Webhooks secret: whsec_ and 32 random bytes, base64. */
const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

export class WebhookService {
  constructor(
    private readonly webhooks: WebhooksPort,
    private readonly options: { secretKeys: Buffer[]; policy: TargetPolicy; now: () => number },
  ) {}

  async add(clientId: string, url: string, types: string[] = []): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    const verdict = checkWebhookUrl(url, this.options.policy);
    if (!verdict.ok) throw refuse({ kind: 'invalid_input', detail: `webhook URL refused: ${verdict.reason}` });
    const unknown = types.find((t) => !(eventTypes as readonly string[]).includes(t));
    if (unknown !== undefined) throw refuse({ kind: 'invalid_input', detail: `"${unknown}" is not an event type (one of: ${eventTypes.join(', ')})` });
    const secret = newSecret();
    const endpoint = await this.webhooks.create({
      id: newId('wh', 12),
      clientId,
      url,
      eventTypes: types as EventType[],
      createdAt: this.options.now(),
      secretSealed: seal(this.options.secretKeys[0]!, secret),
    });
    return { endpoint, secret };
  }

  list(clientId?: string): Promise<WebhookEndpoint[]> {
    return this.webhooks.list(clientId);
  }

  get(id: string): Promise<WebhookEndpoint | undefined> {
    return this.webhooks.get(id);
  }

  /** The endpoint's newest deliveries and how each went. */
  recentDeliveries(id: string, limit = 10): Promise<RecentDelivery[]> {
    return this.webhooks.recentDeliveries(id, limit);
  }

  async remove(id: string): Promise<void> {
    if (!(await this.webhooks.remove(id))) throw refuse({ kind: 'webhook_not_found', detail: `no webhook ${id}` });
  }

  async rotateSecret(id: string): Promise<string> {
    const secret = newSecret();
    if (!(await this.webhooks.rotateSecret(id, seal(this.options.secretKeys[0]!, secret)))) throw refuse({ kind: 'webhook_not_found', detail: `no webhook ${id}` });
    return secret;
  }

  /** A `webhook.test` delivery, outside the trail, to check an endpoint and its secret. */
  async sendTest(id: string): Promise<string> {
    const endpoint = await this.webhooks.get(id);
    if (!endpoint) throw refuse({ kind: 'webhook_not_found', detail: `no webhook ${id}` });
    const eventId = newId('ev');
    const now = this.options.now();
    const payload = JSON.stringify({ type: 'webhook.test', timestamp: new Date(now).toISOString(), data: { id: eventId, subject: endpoint.id, endpoint: endpoint.id } });
    await this.webhooks.enqueue(id, eventId, endpoint.id, payload, now);
    return eventId;
  }

  async replayFrom(id: string, eventId: string): Promise<void> {
    if (!(await this.webhooks.replayFrom(id, eventId))) throw refuse({ kind: 'webhook_not_found', detail: `no webhook ${id}, or no event ${eventId} of its client` });
  }
}
