// The admins' pages for clients: create (the API key shown once), rotate or revoke a key,
// domains and branding with a preview of the code mail in every locale at phone and
// desktop width, the continue link, DKIM keys with the DNS records to publish (and whether
// they are), webhooks with their recent deliveries and a test event.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  secondFactorPolicies,
  type Client,
  type ClientSettings,
  type SecondFactorPolicy,
} from '../../clients/model.js';
import { checkRecords } from '../../clients/dns.js';
import { checkSettings } from '../../clients/settings.js';
import { sampleMail } from '../../mail/preview.js';
import { renderCodeMail, supportedLocales } from '../../mail/render.js';
import { refuse as refuseClient } from '../../clients/refusals.js';
import { DomainError } from '../../shared/domain-error.js';
import { refuse as refuseWebhook } from '../../webhooks/refusals.js';
import { askAgain, confirmed, type Confirmation } from '../confirm.js';
import { afterChange, describeRefusal } from '../refusals.js';
import type { ConsoleServices } from '../services.js';
import { consoleContext, field, param } from '../forms.js';
import { page } from '../views.js';
import { noticeWords } from '../event-words.js';
import { noticeKinds } from '../../shared/notice-kinds.js';

const admin = { config: { admin: true } };

/** Domains as typed: separated by commas, spaces or lines. */
const domainsOf = (text: string) => [
  ...new Set(
    text
      .split(/[\s,]+/)
      .map((d) => d.trim().toLowerCase())
      .filter(Boolean),
  ),
];
const orNull = (text: string) => (text === '' ? null : text);

/** The settings form's fields, as the clients service takes them. */
function settingsOf(request: FastifyRequest): Partial<ClientSettings> {
  const secondFactor = field(request, 'secondFactor', 200);
  const name = field(request, 'name', 1_000);
  return {
    ...(name ? { name } : {}),
    allowedDomains: domainsOf(field(request, 'domains', 4_000)),
    mailFrom: orNull(field(request, 'mailFrom', 1_000)),
    support: orNull(field(request, 'support', 1_000)),
    logoUrl: orNull(field(request, 'logoUrl', 4_000)),
    accentColor: orNull(field(request, 'accentColor', 200)),
    defaultLocale: field(request, 'defaultLocale', 200) || 'en',
    codeInSubject: field(request, 'codeInSubject', 8) === 'yes',
    continueUrl: orNull(field(request, 'continueUrl', 2_000)),
    continueAnyBrowser: field(request, 'continueAnyBrowser', 8) === 'yes',
    secondFactor: (secondFactor || 'optional') as SecondFactorPolicy,
    // A number the clients service checks (whole hours, 0 to a month); left out, unchanged.
    ...(field(request, 'recoveryWaitHours', 8)
      ? { recoveryWaitHours: Number(field(request, 'recoveryWaitHours', 8)) }
      : {}),
    // One box per notice kind, ticked when it goes out: the unticked ones are off. A form
    // without the boxes (`notices` marks the ones that have them) changes none.
    ...(field(request, 'notices', 8) === 'shown'
      ? { noticesOff: noticeKinds.filter((kind) => field(request, `notice_${kind}`, 8) !== 'yes') }
      : {}),
  };
}

/** The branding fields a preview may try before they are saved, each checked as saving would. */
const brandingKeys = ['name', 'mailFrom', 'support', 'logoUrl', 'accentColor'] as const;
function brandingOf(given: Record<string, unknown>): {
  branding: Partial<Record<(typeof brandingKeys)[number], string>>;
  refused?: string;
} {
  const tried = Object.fromEntries(
    brandingKeys
      .filter((k) => typeof given[k] === 'string' && (given[k] as string).trim() !== '')
      .map((k) => [k, (given[k] as string).trim().slice(0, 2_000)]),
  );
  const verdict = checkSettings(tried, supportedLocales);
  return verdict.ok
    ? { branding: verdict.value as Record<string, string> }
    : { branding: {}, refused: `Not previewed: ${verdict.reason}` };
}

export function registerClientRoutes(app: FastifyInstance, services: ConsoleServices) {
  const { clients, webhooks, dkim } = services;

  const clientPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    client: Client,
    extra: Record<string, unknown> = {},
    status = 200,
  ) => {
    const [endpoints, keys, records, passkeys] = await Promise.all([
      webhooks.list(client.id),
      dkim.list(client.id),
      dkim.dnsRecords(client),
      services.passkeySettings.get(client.id),
    ]);
    const deliveries = new Map(
      await Promise.all(endpoints.map(async (e) => [e.id, await webhooks.recentDeliveries(e.id, 5)] as const)),
    );
    const checked =
      param(request, 'check') === 'dns' ? await checkRecords(records, services.dnsLookup).catch(() => null) : null;
    const relayRefusals = services.relayHealth.forClient(client.id);
    return page(
      request,
      reply,
      'client',
      {
        title: client.name,
        client,
        relayRefusals,
        endpoints,
        deliveries,
        keys,
        records: checked ?? records,
        dnsChecked: checked !== null,
        locales: supportedLocales,
        policies: secondFactorPolicies,
        noticeKinds,
        noticeWords,
        passkeys,
        ...extra,
      },
      status,
    );
  };
  /** Runs a change and shows the client again, with what was done or why not; with `ask`, only once the admin has said yes to what it does. */
  const change = (
    path: string,
    run: (request: FastifyRequest, id: string) => Promise<Record<string, unknown>>,
    ask?: (client: Client) => Omit<Confirmation, 'back' | 'fields'>,
  ) =>
    app.post<{ Params: { id: string } }>(path, admin, async (request, reply) => {
      if (ask && !confirmed(request)) {
        const client = await clients.get(request.params.id);
        return askAgain(request, reply, { ...ask(client), back: `/console/clients/${client.id}`, fields: {} });
      }
      return afterChange(
        () => run(request, request.params.id),
        async (extra, status) => clientPage(request, reply, await clients.get(request.params.id), extra, status),
      );
    });

  app.get('/clients', admin, async (request, reply) =>
    page(request, reply, 'clients', { title: 'Clients', clients: await clients.list() }),
  );
  app.get('/clients/new', admin, async (request, reply) => page(request, reply, 'client-new', { title: 'New client' }));

  app.post('/clients', admin, async (request, reply) => {
    const name = field(request, 'name', 1_000);
    try {
      if (!name) throw refuseClient({ kind: 'invalid_request', detail: 'a client needs a name.' });
      const { client, apiKey } = await clients.create(
        { name, allowedDomains: domainsOf(field(request, 'domains', 4_000)) },
        consoleContext(request),
      );
      return clientPage(request, reply, client, {
        notice: 'Client created. Copy its API key now: it is shown only once.',
        apiKey,
      });
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      return page(request, reply, 'client-new', { title: 'New client', error: describeRefusal(error) }, 400);
    }
  });

  app.get<{ Params: { id: string } }>('/clients/:id', admin, async (request, reply) =>
    clientPage(request, reply, await clients.get(request.params.id)),
  );

  change('/clients/:id/settings', async (request, id) => {
    const current = await clients.get(id);
    // Only what differs, so the trail's client.updated names what really changed.
    const changes = Object.fromEntries(
      Object.entries(settingsOf(request)).filter(
        ([key, value]) => JSON.stringify(value) !== JSON.stringify(current[key as keyof Client]),
      ),
    );
    if (Object.keys(changes).length === 0) return { notice: 'Nothing changed.' };
    await clients.update(id, changes, consoleContext(request));
    return { notice: 'Saved.' };
  });
  change('/clients/:id/passkeys', async (request, id) => {
    await services.passkeySettings.setUp(
      await clients.get(id),
      {
        rpId: field(request, 'rpId', 300),
        origins: field(request, 'origins', 4_000)
          .split(/[\s,]+/)
          .filter(Boolean),
        alone: field(request, 'alone', 8) === 'yes',
        required: field(request, 'required', 8) === 'yes',
        counterStrict: field(request, 'counterStrict', 8) === 'yes',
      },
      consoleContext(request),
    );
    return { notice: 'Passkeys saved.' };
  });
  change(
    '/clients/:id/rotate-key',
    async (request, id) => ({
      notice: 'A new API key: the old one has stopped working. Copy it now: it is shown only once.',
      apiKey: await clients.rotateKey(id, consoleContext(request)),
    }),
    (client) => ({
      title: `Rotate the API key of ${client.name}?`,
      consequences: [
        `The key ${client.name} uses now stops working at once: its portal's requests are refused (401) until it is given the new key.`,
        'The new key is shown once, on the next page: have the place where the portal keeps it ready.',
        'Codes already mailed and verifications under way are not touched.',
      ],
      yes: 'Yes, rotate the key',
    }),
  );
  change(
    '/clients/:id/revoke',
    async (request, id) => {
      await clients.revoke(id, consoleContext(request));
      return { notice: 'Revoked: its API key no longer works. Its data stays for the retention period.' };
    },
    (client) => ({
      title: `Revoke ${client.name}?`,
      consequences: [
        `${client.name}'s API key stops working at once, for good: no code can be sent or verified for its portal any more.`,
        'It cannot be undone: to serve the portal again, create a new client (with a new key).',
        'Its verifications and its trail stay for the retention period.',
      ],
      yes: `Yes, revoke ${client.name}`,
    }),
  );
  change('/clients/:id/webhooks', async (request, id) => {
    const { endpoint, secret } = await webhooks.add(id, field(request, 'url', 2_000), [], consoleContext(request));
    return {
      notice: `Webhook ${endpoint.id} added. Copy its signing secret now: it is shown only once.`,
      webhookSecret: secret,
    };
  });
  change('/clients/:id/webhooks/test', async (request, id) => {
    const endpoint = await webhooks.get(field(request, 'endpoint', 64));
    // Another client's endpoint is as unknown here as one that does not exist.
    if (!endpoint || endpoint.clientId !== id)
      throw refuseWebhook({ kind: 'webhook_not_found', detail: 'no such webhook for this client' });
    return {
      notice: `Test event ${await webhooks.sendTest(endpoint.id, consoleContext(request))} queued for ${endpoint.url}; its delivery shows below.`,
    };
  });
  change('/clients/:id/dkim', async (request, id) => {
    const { key } = await dkim.create(
      id,
      { domain: field(request, 'domain', 253) || undefined, selector: field(request, 'selector', 63) || undefined },
      consoleContext(request),
    );
    return {
      notice: `DKIM key ${key.selector}._domainkey.${key.domain} created: publish its record below; mail is signed with it from now on.`,
    };
  });

  // The code mail as the client's people get it, one locale at a time, framed by the
  // preview page; with the settings form's unsaved branding when it sent them (Preview).
  const previewPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    id: string,
    given: Record<string, string>,
  ) => {
    const client = await clients.get(id);
    const { branding, refused } = brandingOf(given);
    const locale = supportedLocales.includes(given.locale ?? '') ? given.locale! : client.defaultLocale;
    const frame = (l: string) =>
      `/console/clients/${client.id}/mail?${new URLSearchParams({ ...branding, locale: l }).toString()}`;
    const link = (l: string) =>
      `/console/clients/${client.id}/preview?${new URLSearchParams({ ...branding, locale: l }).toString()}`;
    return page(request, reply, 'client-preview', {
      title: `${client.name}: the code mail`,
      client,
      locale,
      locales: supportedLocales,
      frame,
      link,
      error: refused,
      unsaved: Object.keys(branding).length > 0,
    });
  };
  app.get<{ Params: { id: string } }>('/clients/:id/preview', admin, async (request, reply) =>
    previewPage(request, reply, request.params.id, request.query as Record<string, string>),
  );
  app.post<{ Params: { id: string } }>('/clients/:id/preview', admin, async (request, reply) =>
    previewPage(request, reply, request.params.id, request.body as Record<string, string>),
  );
  app.get<{ Params: { id: string } }>('/clients/:id/mail', admin, async (request, reply) => {
    const saved = await clients.get(request.params.id);
    const query = request.query as Record<string, string>;
    const client = {
      ...saved,
      ...brandingOf(query).branding,
      ...(query.codeInSubject ? { codeInSubject: query.codeInSubject === 'yes' } : {}),
    };
    const locale = supportedLocales.includes(param(request, 'locale', 8))
      ? param(request, 'locale', 8)
      : client.defaultLocale;
    const mail = renderCodeMail(
      sampleMail(locale, param(request, 'purpose', 8) === 'signup' ? 'signup' : 'login', client),
    );
    // The mail's own inline styles, inside a frame of the console only; nothing else loads but its logo.
    return reply
      .header(
        'content-security-policy',
        "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; frame-ancestors 'self'; sandbox",
      )
      .header('x-frame-options', 'SAMEORIGIN')
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(mail.html);
  });
}
