// A client's own SMTP relay (their Microsoft 365, their SES): set, removed, and opened for
// the mail worker. The URL is sealed at rest, credentials and all, and never shown again:
// what is shown (and recorded in the events) is the URL without its user and password.
import { event, type RequestContext } from '../events/model.js';
import { refuse } from './refusals.js';
import { seal, unsealWithAny } from '../shared/secrets.js';
import type { Client } from './model.js';
import type { ClientRelaysPort } from './ports.js';

/** smtp://host[:port] or smtps://host[:port], with user and password if the relay wants them; nothing else. */
export function checkRelayUrl(input: string): { ok: true; shown: string } | { ok: false; reason: string } {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return { ok: false, reason: 'not a URL (smtps://user:password@relay.example:465)' };
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:')
    return { ok: false, reason: `${url.protocol} is not smtp: or smtps:` };
  if (!url.hostname) return { ok: false, reason: 'no host' };
  if ((url.pathname && url.pathname !== '/') || url.hash)
    return { ok: false, reason: 'a relay URL has no path or fragment' };
  if (/[\r\n]/.test(input)) return { ok: false, reason: 'control characters' };
  return { ok: true, shown: `${url.protocol}//${url.host}` };
}

export class RelayService {
  constructor(
    private readonly relays: ClientRelaysPort,
    private readonly clients: { get(id: string): Promise<Client | undefined> },
    private readonly options: { sealKeys: Buffer[]; now: () => number },
  ) {}

  /** The client's mail leaves through this relay from the next mail on; returns what may be shown of it. */
  async set(clientId: string, smtpUrl: string, context: RequestContext): Promise<string> {
    const checked = checkRelayUrl(smtpUrl);
    if (!checked.ok) throw refuse({ kind: 'invalid_request', detail: `SMTP URL refused: ${checked.reason}` });
    await this.client(clientId);
    const at = this.options.now();
    const recorded = event('client.relay_set', at, { clientId, subject: clientId }, context, { relay: checked.shown });
    await this.relays.set(
      clientId,
      { smtpUrlSealed: seal(this.options.sealKeys[0]!, smtpUrl), shown: checked.shown, updatedAt: at },
      [recorded],
    );
    return checked.shown;
  }

  /** Back to the server's SMTP_URL. */
  async clear(clientId: string, context: RequestContext): Promise<void> {
    await this.client(clientId);
    const recorded = event('client.relay_removed', this.options.now(), { clientId, subject: clientId }, context);
    if (!(await this.relays.clear(clientId, [recorded])))
      throw refuse({ kind: 'invalid_request', detail: `${clientId} has no relay of its own` });
  }

  /** The relay as it may be shown (no credentials), or undefined: the server's. */
  async shown(clientId: string): Promise<string | undefined> {
    return (await this.relays.get(clientId))?.shown;
  }

  /** The whole URL, for the mail worker only. */
  async smtpUrl(clientId: string): Promise<string | undefined> {
    const relay = await this.relays.get(clientId);
    return relay && unsealWithAny(this.options.sealKeys, relay.smtpUrlSealed).plaintext;
  }

  private async client(id: string): Promise<Client> {
    const client = await this.clients.get(id);
    if (!client) throw refuse({ kind: 'client_not_found', detail: `no client ${id}` });
    return client;
  }
}
