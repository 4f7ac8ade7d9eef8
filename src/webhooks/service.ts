// Managing a client's webhook endpoints: add (with its signing secret, shown once), list,
// remove, rotate the secret, send a test event, replay from an event — each change an
// event in the client's trail, written with it.
import { randomBytes } from 'node:crypto';
import { event, eventTypes, type EventType, type NewEvent, type RequestContext } from '../events/model.js';
import { newId } from '../shared/ids.js';
import { refuse } from './refusals.js';
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

  /** An event about the endpoint, in its client's trail: where it points, never its secret (nor the URL's query). */
  private event(
    type: EventType,
    endpoint: Pick<WebhookEndpoint, 'id' | 'clientId' | 'url'>,
    context: RequestContext,
    data: Record<string, unknown> = {},
  ): NewEvent {
    const url = new URL(endpoint.url);
    return event(type, this.options.now(), { clientId: endpoint.clientId, subject: endpoint.id }, context, {
      url: `${url.origin}${url.pathname}`,
      ...data,
    });
  }

  async add(
    clientId: string,
    url: string,
    types: string[],
    context: RequestContext,
  ): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    const verdict = checkWebhookUrl(url, this.options.policy);
    if (!verdict.ok) throw refuse({ kind: 'invalid_request', detail: `webhook URL refused: ${verdict.reason}` });
    const unknown = types.find((t) => !(eventTypes as readonly string[]).includes(t));
    if (unknown !== undefined)
      throw refuse({
        kind: 'invalid_request',
        detail: `"${unknown}" is not an event type (one of: ${eventTypes.join(', ')})`,
      });
    const secret = newSecret();
    const id = newId('wh', 12);
    const endpoint = await this.webhooks.create(
      {
        id,
        clientId,
        url,
        eventTypes: types as EventType[],
        createdAt: this.options.now(),
        secretSealed: seal(this.options.secretKeys[0]!, secret),
      },
      [this.event('webhook.created', { id, clientId, url }, context, { eventTypes: types })],
    );
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

  async remove(id: string, context: RequestContext): Promise<void> {
    const endpoint = await this.existing(id);
    if (!(await this.webhooks.remove(id, [this.event('webhook.removed', endpoint, context)])))
      throw refuse({ kind: 'webhook_not_found', detail: `no webhook ${id}` });
  }

  async rotateSecret(id: string, context: RequestContext): Promise<string> {
    const endpoint = await this.existing(id);
    const secret = newSecret();
    if (
      !(await this.webhooks.rotateSecret(id, seal(this.options.secretKeys[0]!, secret), [
        this.event('webhook.secret_rotated', endpoint, context),
      ]))
    ) {
      throw refuse({ kind: 'webhook_not_found', detail: `no webhook ${id}` });
    }
    return secret;
  }

  /**
   * A `webhook.test` delivery to check an endpoint and its secret. The delivery is not an
   * event of the trail (no other endpoint hears it); that one was sent is (webhook.test_sent).
   */
  async sendTest(id: string, context: RequestContext): Promise<string> {
    const endpoint = await this.existing(id);
    const eventId = newId('ev');
    const now = this.options.now();
    const payload = JSON.stringify({
      type: 'webhook.test',
      timestamp: new Date(now).toISOString(),
      data: { id: eventId, subject: endpoint.id, endpoint: endpoint.id },
    });
    await this.webhooks.enqueue(id, eventId, endpoint.id, payload, now, [
      this.event('webhook.test_sent', endpoint, context, { testEventId: eventId }),
    ]);
    return eventId;
  }

  private async existing(id: string): Promise<WebhookEndpoint> {
    const endpoint = await this.webhooks.get(id);
    if (!endpoint) throw refuse({ kind: 'webhook_not_found', detail: `no webhook ${id}` });
    return endpoint;
  }

  async replayFrom(id: string, eventId: string): Promise<void> {
    if (!(await this.webhooks.replayFrom(id, eventId)))
      throw refuse({ kind: 'webhook_not_found', detail: `no webhook ${id}, or no event ${eventId} of its client` });
  }
}
