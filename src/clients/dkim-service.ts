// The operator's actions on a client's DKIM keys — create, rotate, retire, remove, each an
// event (never the key) — and the two readings of them: how a client's mail is signed now
// (list, show, dns, readiness), and the key that signs one mail (the mail worker).
import { generateKeyPairSync } from 'node:crypto';
import { domainToASCII } from 'node:url';
import { event, type RequestContext, type EventType } from '../events/model.js';
import { refuse } from './refusals.js';
import { newId } from '../shared/ids.js';
import { seal, unsealWithAny } from '../shared/secrets.js';
import {
  dkimRecordName,
  dkimRecordValue,
  domainOf,
  selectorPattern,
  signingKey,
  signingOf,
  type DkimKey,
  type Signing,
} from './dkim.js';
import type { Client } from './model.js';
import type { DkimKeysPort } from './ports.js';
import type { DnsRecord } from './dns.js';

/** What nodemailer signs one message with. */
export interface DkimSigner {
  domainName: string;
  keySelector: string;
  privateKey: string;
}

export interface DkimServiceOptions {
  /** Seal the private keys at rest (derived from CODE_SECRET), newest first. */
  sealKeys: Buffer[];
  now: () => number;
  /** The server-wide key (DKIM_DOMAIN, DKIM_SELECTOR): what signs a client's mail without a key of its own. */
  server?: { domain: string; selector: string };
  /** The sender of a client without one of its own (MAIL_FROM). */
  defaultFrom: string;
  /** The SPF mechanism of the sending host (MAIL_SPF), e.g. include:_spf.mail.example or ip4:203.0.113.5. */
  spf?: string;
  /** With BOUNCE_DOMAIN, the envelope sender is on it (VERP) and its MX points at `bounceHost`. */
  bounceDomain?: string;
  bounceHost: string;
}

const hourMs = 3_600_000;
const dnsName = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;

export class DkimService {
  constructor(
    private readonly keys: DkimKeysPort,
    private readonly clients: { get(id: string): Promise<Client | undefined> },
    private readonly options: DkimServiceOptions,
  ) {}

  /** A new key for the client's sending domain (its From's, unless named), signing at once; the TXT record to publish. */
  async create(
    clientId: string,
    choice: { domain?: string; selector?: string },
    context: RequestContext,
  ): Promise<{ key: DkimKey; record: DnsRecord }> {
    const client = await this.client(clientId);
    const domain = this.domainFor(client, choice.domain);
    const now = this.options.now();
    const key = await this.make(client, domain, choice.selector, now, 'dkim.key_created', context);
    return { key, record: recordOf(key, now) };
  }

  /**
   * A new key beside the one that signs now: both are published, the new one signs after
   * `afterHours` (time for its record to reach every resolver), then `retire` the old one.
   */
  async rotate(
    clientId: string,
    choice: { domain?: string; selector?: string; afterHours: number },
    context: RequestContext,
  ): Promise<{ key: DkimKey; record: DnsRecord; replaces: DkimKey }> {
    const client = await this.client(clientId);
    const domain = this.domainFor(client, choice.domain);
    const now = this.options.now();
    const current = signingKey(await this.keys.list(client.id), domain, now);
    if (!current)
      throw refuse({
        kind: 'dkim_key_not_found',
        detail: `${client.id} has no key signing for ${domain} to rotate; create one`,
      });
    const key = await this.make(
      client,
      domain,
      choice.selector,
      now + choice.afterHours * hourMs,
      'dkim.key_rotated',
      context,
      { replaces: current.selector },
    );
    return { key, record: recordOf(key, now), replaces: current };
  }

  /** The key stops signing for good (its record may be removed). Refused while a newer key of its domain still waits to sign. */
  async retire(
    clientId: string,
    selector: string,
    domain: string | undefined,
    context: RequestContext,
  ): Promise<DkimKey> {
    const keys = await this.keys.list(clientId);
    const key = keyOf(keys, clientId, selector, domain, (k) => k.retiredAt === null);
    const now = this.options.now();
    const waiting = keys.find(
      (k) => k.domain === key.domain && k.id !== key.id && k.retiredAt === null && k.signsFrom > now,
    );
    if (waiting && signingKey(keys, key.domain, now)?.id === key.id) {
      throw refuse({
        kind: 'invalid_request',
        detail: `${key.selector} still signs for ${key.domain}: ${waiting.selector} signs from ${new Date(waiting.signsFrom).toISOString()}; retire ${key.selector} after that`,
      });
    }
    const retired = this.event('dkim.key_retired', key, now, context);
    if (!(await this.keys.retire(clientId, key.id, now, [retired])))
      throw refuse({ kind: 'dkim_key_not_found', detail: `${clientId} has no key ${selector} to retire` });
    return { ...key, retiredAt: now };
  }

  /** Gone at once, published or not (a key made for the wrong domain, say). */
  async remove(
    clientId: string,
    selector: string,
    domain: string | undefined,
    context: RequestContext,
  ): Promise<DkimKey> {
    const key = keyOf(await this.keys.list(clientId), clientId, selector, domain, () => true);
    const removed = this.event('dkim.key_removed', key, this.options.now(), context);
    if (!(await this.keys.remove(clientId, key.id, [removed])))
      throw refuse({ kind: 'dkim_key_not_found', detail: `${clientId} has no key ${selector}` });
    return key;
  }

  list(clientId?: string): Promise<DkimKey[]> {
    return this.keys.list(clientId);
  }

  /** How the client's mail is signed now, and whether its From will pass DMARC by that signature. */
  async signing(client: Client): Promise<Signing> {
    return signingOf(
      domainOf(client.mailFrom ?? this.options.defaultFrom),
      await this.keys.list(client.id),
      this.options.server,
      this.options.now(),
    );
  }

  /**
   * The active clients with a sender of their own whose mail is not aligned with it, each as
   * one line (readiness, the metric). Clients on MAIL_FROM are the server-wide key's matter.
   */
  async unaligned(clients: Client[]): Promise<string[]> {
    const active = clients.filter((c) => c.revokedAt === null && c.mailFrom !== null);
    const signings = await Promise.all(active.map(async (c) => ({ c, signing: await this.signing(c) })));
    return signings
      .filter(({ signing }) => !signing.aligned)
      .map(
        ({ c, signing }) =>
          `${c.id}: mail from ${signing.fromDomain} is ${signing.domain ? `signed for ${signing.domain}` : 'not DKIM-signed'}, not aligned`,
      );
  }

  /**
   * Every record the client's mail needs: its keys' TXT records (retired ones no longer),
   * the SPF of the envelope domain (BOUNCE_DOMAIN's when set, else the From's), a DMARC
   * record to start from, and with BOUNCE_DOMAIN the MX that brings bounces back.
   */
  async dnsRecords(client: Client): Promise<DnsRecord[]> {
    const fromDomain = domainOf(client.mailFrom ?? this.options.defaultFrom);
    const envelopeDomain = this.options.bounceDomain ?? fromDomain;
    const { spf, bounceDomain, bounceHost } = this.options;
    const now = this.options.now();
    return [
      ...(await this.keys.list(client.id)).filter((k) => k.retiredAt === null).map((k) => recordOf(k, now)),
      ...(spf
        ? [
            {
              kind: 'spf' as const,
              type: 'TXT' as const,
              name: envelopeDomain,
              value: `v=spf1 ${spf} ~all`,
              why: 'SPF: the sending host may send for the envelope domain',
            },
          ]
        : []),
      {
        kind: 'dmarc',
        type: 'TXT',
        name: `_dmarc.${fromDomain}`,
        value: `v=DMARC1; p=none; rua=mailto:dmarc-reports@${fromDomain}`,
        why: 'DMARC: a policy to start from (tighten to quarantine or reject once reports show your mail passing)',
      },
      ...(bounceDomain
        ? [
            {
              kind: 'mx' as const,
              type: 'MX' as const,
              name: bounceDomain,
              value: `10 ${bounceHost}`,
              why: "bounces: reports reach mailcode's bounce listener",
            },
          ]
        : []),
    ];
  }

  /** The client's own key for this From domain, opened, or undefined: then the server-wide key (if any) signs. */
  async signerFor(clientId: string, from: string): Promise<DkimSigner | undefined> {
    const key = signingKey(await this.keys.signingKeys(clientId), domainOf(from), this.options.now());
    if (!key) return undefined;
    return {
      domainName: key.domain,
      keySelector: key.selector,
      privateKey: unsealWithAny(this.options.sealKeys, key.privateKeySealed).plaintext,
    };
  }

  private async make(
    client: Client,
    domain: string,
    selector: string | undefined,
    signsFrom: number,
    type: EventType,
    context: RequestContext,
    data: Record<string, unknown> = {},
  ): Promise<DkimKey> {
    const now = this.options.now();
    const chosen = selector ?? defaultSelector(signsFrom);
    if (!selectorPattern.test(chosen))
      throw refuse({
        kind: 'invalid_request',
        detail: `selector "${chosen}" is not a DNS label (a-z, 0-9 and inner hyphens, at most 63)`,
      });
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const key: DkimKey = {
      id: newId('dk', 9),
      clientId: client.id,
      domain,
      selector: chosen,
      publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
      createdAt: now,
      signsFrom,
      retiredAt: null,
    };
    const written = this.event(type, key, now, context, { signsFrom: new Date(signsFrom).toISOString(), ...data });
    const privateKeySealed = seal(
      this.options.sealKeys[0]!,
      privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    );
    if (!(await this.keys.create({ ...key, privateKeySealed }, [written]))) {
      throw refuse({
        kind: 'invalid_request',
        detail: `${client.id} already has the selector ${chosen} for ${domain}; name another with --selector`,
      });
    }
    return key;
  }

  private async client(id: string): Promise<Client> {
    const client = await this.clients.get(id);
    if (!client) throw refuse({ kind: 'client_not_found', detail: `no client ${id}` });
    return client;
  }

  /** The named domain (checked), else the domain of the client's own From. */
  private domainFor(client: Client, named: string | undefined): string {
    if (named === undefined) {
      if (!client.mailFrom)
        throw refuse({
          kind: 'invalid_request',
          detail: `${client.id} has no sender of its own: set one (clients update --from) or name the domain (--domain)`,
        });
      return domainOf(client.mailFrom);
    }
    const domain = domainToASCII(named.trim().replace(/\.$/, '')).toLowerCase();
    if (!dnsName.test(domain)) throw refuse({ kind: 'invalid_request', detail: `"${named}" is not a domain name` });
    return domain;
  }

  private event(
    type: EventType,
    key: DkimKey,
    at: number,
    context: RequestContext,
    data: Record<string, unknown> = {},
  ) {
    return event(type, at, { clientId: key.clientId, subject: key.clientId }, context, {
      domain: key.domain,
      selector: key.selector,
      ...data,
    });
  }
}

/** The client's key named by its selector (and domain, when the selector is on several), among `keys`. */
function keyOf(
  keys: DkimKey[],
  clientId: string,
  selector: string,
  domain: string | undefined,
  usable: (k: DkimKey) => boolean,
): DkimKey {
  const found = keys.filter(
    (k) => k.selector === selector && (domain === undefined || k.domain === domain.toLowerCase()) && usable(k),
  );
  if (found.length === 0)
    throw refuse({
      kind: 'dkim_key_not_found',
      detail: `${clientId} has no key ${selector}${domain ? ` for ${domain}` : ''}`,
    });
  if (found.length > 1)
    throw refuse({
      kind: 'invalid_request',
      detail: `${clientId} has the selector ${selector} for ${found.map((k) => k.domain).join(' and ')}: name the domain (--domain)`,
    });
  return found[0]!;
}

/** mc20261203: the day it starts signing, so a rotation's selector differs from the old one's. */
const defaultSelector = (signsFrom: number) =>
  `mc${new Date(signsFrom).toISOString().slice(0, 10).replaceAll('-', '')}`;

const recordOf = (key: DkimKey, now: number): DnsRecord => ({
  kind: 'dkim',
  type: 'TXT',
  name: dkimRecordName(key),
  value: dkimRecordValue(key),
  why: `DKIM: key ${key.selector}${key.signsFrom > now ? `, signing from ${new Date(key.signsFrom).toISOString()}` : ''}`,
});
