// The operator's actions on clients — create, update, revoke, rotate a key — and the
// API-key check every request makes. Each change is recorded as an event in the same
// transaction; the CLI, the tests and the console all come through here.
import { timingSafeEqual } from 'node:crypto';
import { byMailcode, event, type RequestContext, type EventType } from '../events/model.js';
import { refuse } from './refusals.js';
import { newId } from '../shared/ids.js';
import { hashApiKey, newApiKey } from '../shared/secrets.js';
import { serviceClientId, type Client, type ClientSettings } from './model.js';
import { checkContinueUrl, clientDomains } from './continue-url.js';
import { checkSettings } from './settings.js';
import type { ClientsPort } from './ports.js';

/** What a new client needs: a name and (optionally) its domains and branding. */
export type NewClientSettings = Partial<ClientSettings> & Pick<ClientSettings, 'name'>;

const reserved = (id: string) => id.startsWith('~');
/** Not a SHA-256 in base64url (43 characters): no presented API key hashes to it. */
const noApiKey = 'none';

export class ClientsService {
  constructor(
    private readonly clients: ClientsPort,
    private readonly now: () => number,
    /**
     * In production a continue link must be https (see continue-url.ts); `locales`, the
     * languages the mail is written in, bound a client's default language.
     */
    private readonly options: { production?: boolean; locales?: readonly string[] } = {},
  ) {}

  /** The settings as they are kept, or the refusal that names what is wrong (settings.ts). */
  private checked<T extends Partial<ClientSettings>>(settings: T): T {
    const verdict = checkSettings(settings, this.options.locales ?? [settings.defaultLocale ?? 'en'], {
      production: this.options.production ?? false,
    });
    if (!verdict.ok) throw refuse({ kind: 'invalid_request', detail: `${verdict.reason}` });
    return verdict.value as T;
  }

  /** The continue link must stay on the client's domains, whichever of the two changes. */
  private checkedContinueUrl(
    settings: Pick<ClientSettings, 'allowedDomains' | 'mailFrom'> & { continueUrl?: string | null },
  ): Partial<ClientSettings> {
    if (settings.continueUrl === undefined || settings.continueUrl === null) return {};
    const verdict = checkContinueUrl(settings.continueUrl, clientDomains(settings), this.options.production ?? false);
    if (!verdict.ok) throw refuse({ kind: 'invalid_request', detail: `continue URL refused: ${verdict.reason}.` });
    return { continueUrl: verdict.url };
  }

  /** A new client and its API key — shown once: only its hash is kept. */
  async create(given: NewClientSettings, context: RequestContext): Promise<{ client: Client; apiKey: string }> {
    const settings = this.checked(given);
    const apiKey = newApiKey();
    const id = newId('cl', 9);
    const at = this.now();
    const allowedDomains = settings.allowedDomains ?? [];
    const continueUrl = this.checkedContinueUrl({
      allowedDomains,
      mailFrom: settings.mailFrom ?? null,
      continueUrl: settings.continueUrl,
    });
    const created = this.event('client.created', id, at, context, { name: settings.name, allowedDomains });
    const client = await this.clients.create(
      { ...settings, ...continueUrl, allowedDomains, id, apiKeyHash: hashApiKey(apiKey), createdAt: at },
      [created],
    );
    return { client, apiKey };
  }

  /** Changes what is given; the event names the settings that changed, not their values. */
  async update(id: string, given: Partial<ClientSettings>, context: RequestContext): Promise<Client> {
    if (reserved(id)) throw refuse({ kind: 'client_not_found', detail: `no client ${id}` });
    if (Object.keys(given).length === 0) throw refuse({ kind: 'invalid_request', detail: 'nothing to change.' });
    const changes = this.checked(given);
    if (changes.continueUrl || changes.allowedDomains || changes.mailFrom) {
      const current = await this.get(id);
      Object.assign(changes, this.checkedContinueUrl({ ...current, ...changes }));
    }
    const updated = this.event('client.updated', id, this.now(), context, { changed: Object.keys(changes).sort() });
    const client = await this.clients.update(id, changes, [updated]);
    if (!client) throw refuse({ kind: 'client_not_found', detail: `no client ${id}` });
    return client;
  }

  /** Its API key stops working at once; its data stays (the trail, for the retention period). */
  async revoke(id: string, context: RequestContext): Promise<void> {
    const at = this.now();
    if (reserved(id)) throw refuse({ kind: 'client_not_found', detail: `no active client ${id}` });
    if (!(await this.clients.revoke(id, at, [this.event('client.revoked', id, at, context)])))
      throw refuse({ kind: 'client_not_found', detail: `no active client ${id}` });
  }

  /** A new API key for an active client; the old one stops working at once. */
  async rotateKey(id: string, context: RequestContext): Promise<string> {
    if (reserved(id)) throw refuse({ kind: 'client_not_found', detail: `no active client ${id}` });
    const apiKey = newApiKey();
    const rotated = this.event('client.key_rotated', id, this.now(), context);
    if (!(await this.clients.rotateKey(id, hashApiKey(apiKey), [rotated])))
      throw refuse({ kind: 'client_not_found', detail: `no active client ${id}` });
    return apiKey;
  }

  async list(): Promise<Client[]> {
    return (await this.clients.list()).filter((c) => !reserved(c.id));
  }

  async get(id: string): Promise<Client> {
    const client = reserved(id) ? undefined : await this.clients.get(id);
    if (!client) throw refuse({ kind: 'client_not_found', detail: `no client ${id}` });
    return client;
  }

  /** mailcode's own client (see serviceClientId), made the first time it is needed. */
  async serviceClient(): Promise<Client> {
    const found = await this.clients.get(serviceClientId);
    if (found) return found;
    const at = this.now();
    const created = this.event('client.created', serviceClientId, at, byMailcode, { name: 'mailcode' });
    try {
      return await this.clients.create(
        {
          id: serviceClientId,
          name: 'mailcode',
          apiKeyHash: noApiKey,
          allowedDomains: [],
          secondFactor: 'required',
          createdAt: at,
        },
        [created],
      );
    } catch (error) {
      // Another process made it first.
      const made = await this.clients.get(serviceClientId);
      if (made) return made;
      throw error;
    }
  }

  /**
   * The active client whose API key has this SHA-256, or undefined. The stored hash is
   * compared in constant time; a revoked key stops working on the next request.
   */
  async authenticate(apiKeyHash: string): Promise<Client | undefined> {
    const found = await this.clients.findByKeyHash(apiKeyHash);
    if (!found || found.revokedAt !== null || !timingSafeEqual(Buffer.from(found.apiKeyHash), Buffer.from(apiKeyHash)))
      return undefined;
    return found;
  }

  private event(
    type: EventType,
    clientId: string,
    at: number,
    context: RequestContext,
    data: Record<string, unknown> = {},
  ) {
    return event(type, at, { clientId, subject: clientId }, context, data);
  }
}
