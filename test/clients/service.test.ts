// The clients service against an in-memory port: every change is an event written with it,
// refusals are domain errors, and the API-key check takes only an active client's key.
import t from 'tap';
import type { Client, ClientSettings, NewClient } from '../../src/clients/model.js';
import type { ClientsPort } from '../../src/clients/ports.js';
import { ClientsService } from '../../src/clients/service.js';
import type { NewEvent } from '../../src/events/model.js';
import { hashApiKey } from '../../src/shared/secrets.js';

const operator = { actor: 'cli' as const, requestId: null };

function memoryClients() {
  const rows = new Map<string, Client & { apiKeyHash: string }>();
  const events: NewEvent[] = [];
  const withoutHash = ({ apiKeyHash: _hash, ...client }: Client & { apiKeyHash: string }): Client => client;
  const port: ClientsPort = {
    async create(client: NewClient, written) {
      const row = {
        mailFrom: null,
        defaultLocale: 'en',
        replyTo: null,
        support: null,
        logoUrl: null,
        accentColor: null,
        codeInSubject: true,
        suppressionHours: 24,
        noticesOff: [],
        recoveryWaitHours: 24,
        trustedBrowserDays: 30,
        membershipDays: 30,
        continueUrl: null,
        continueAnyBrowser: false,
        secondFactor: 'optional' as const,
        revokedAt: null,
        ...client,
      };
      rows.set(client.id, row);
      events.push(...written);
      return withoutHash(row);
    },
    async list() {
      return [...rows.values()].map(withoutHash);
    },
    async get(id) {
      const row = rows.get(id);
      return row && withoutHash(row);
    },
    async findByKeyHash(hash) {
      return [...rows.values()].find((r) => r.apiKeyHash === hash);
    },
    async update(id, changes: Partial<ClientSettings>, written) {
      const row = rows.get(id);
      if (!row) return undefined;
      Object.assign(row, changes);
      events.push(...written);
      return withoutHash(row);
    },
    async revoke(id, now, written) {
      const row = rows.get(id);
      if (!row || row.revokedAt !== null) return false;
      row.revokedAt = now;
      events.push(...written);
      return true;
    },
    async rotateKey(id, apiKeyHash, written) {
      const row = rows.get(id);
      if (!row || row.revokedAt !== null) return false;
      row.apiKeyHash = apiKeyHash;
      events.push(...written);
      return true;
    },
  };
  return { port, events };
}

/** What a refusal of this kind looks like when it is thrown. */
const refusal = (kind: string) => ({ name: 'DomainError', refusal: { kind } });

t.test('create gives a key shown once, keeps only its hash, and records who made the client', async (t) => {
  const { port, events } = memoryClients();
  const clients = new ClientsService(port, () => 1_000);
  const { client, apiKey } = await clients.create({ name: 'Acme', allowedDomains: ['acme.example'] }, operator);
  t.match(apiKey, /^mc_[A-Za-z0-9_-]{43}$/);
  t.match(client, { name: 'Acme', allowedDomains: ['acme.example'], createdAt: 1_000, revokedAt: null });
  t.notOk('apiKeyHash' in client);
  t.match(await clients.authenticate(hashApiKey(apiKey)), { id: client.id }, 'the key authenticates');
  t.same(events, [
    {
      type: 'client.created',
      clientId: client.id,
      subject: client.id,
      maskedEmail: null,
      requestId: null,
      actor: 'cli',
      data: { name: 'Acme', allowedDomains: ['acme.example'] },
      at: 1_000,
    },
  ]);
  const open = await clients.create({ name: 'Open' }, operator);
  t.same(open.client.allowedDomains, [], 'no list: any company domain');
});

t.test('update names what changed, never the values; nothing to change and no such client are refused', async (t) => {
  const { port, events } = memoryClients();
  const clients = new ClientsService(port, () => 2_000);
  const { client } = await clients.create({ name: 'Acme' }, operator);
  t.match(await clients.update(client.id, { support: 'help@acme.example', accentColor: '#112233' }, operator), {
    support: 'help@acme.example',
  });
  t.same(events.at(-1)?.data, { changed: ['accentColor', 'support'] });
  await t.rejects(clients.update(client.id, {}, operator), refusal('invalid_request'));
  await t.rejects(clients.update('cl_nobody', { name: 'X' }, operator), refusal('client_not_found'));
  t.equal(events.length, 2, 'no event for a refusal');
});

t.test('revoke stops the key at once, is an event, and happens once', async (t) => {
  const { port, events } = memoryClients();
  const clients = new ClientsService(port, () => 3_000);
  const { client, apiKey } = await clients.create({ name: 'Acme' }, operator);
  await clients.revoke(client.id, operator);
  t.equal(await clients.authenticate(hashApiKey(apiKey)), undefined, 'a revoked key is refused');
  await t.rejects(clients.revoke(client.id, operator), refusal('client_not_found'), 'twice is refused');
  await t.rejects(
    clients.rotateKey(client.id, operator),
    refusal('client_not_found'),
    'a revoked client gets no new key',
  );
  t.same(
    events.map((e) => e.type),
    ['client.created', 'client.revoked'],
  );
});

t.test('rotate-key: the new key works, the old one no longer does', async (t) => {
  const { port, events } = memoryClients();
  const clients = new ClientsService(port, () => 4_000);
  const { client, apiKey } = await clients.create({ name: 'Acme' }, operator);
  const rotated = await clients.rotateKey(client.id, operator);
  t.not(rotated, apiKey);
  t.equal(await clients.authenticate(hashApiKey(apiKey)), undefined);
  t.match(await clients.authenticate(hashApiKey(rotated)), { id: client.id });
  t.equal(await clients.authenticate(hashApiKey('mc_unknown')), undefined);
  t.same(
    events.map((e) => e.type),
    ['client.created', 'client.key_rotated'],
  );
  await t.rejects(clients.get('cl_nobody'), refusal('client_not_found'));
});

t.test(
  "a continue URL: https on the client's domains (or its sender's), http to loopback outside production only, no fragment",
  async (t) => {
    const { port, events } = memoryClients();
    const clients = new ClientsService(port, () => 5_000);
    const { client } = await clients.create(
      { name: 'Acme', allowedDomains: ['acme.example'], mailFrom: 'Acme <no-reply@acme-mail.example>' },
      operator,
    );
    for (const url of [
      'https://portal.acme.example/verify-email',
      'https://acme.example/v?from=mail',
      'https://www.acme-mail.example/v',
      'http://127.0.0.1:4000/verify-email',
      'http://localhost/v',
      'http://[::1]:8080/v',
    ]) {
      t.match(await clients.update(client.id, { continueUrl: url }, operator), { continueUrl: url }, url);
    }
    t.same(events.at(-1)?.data, { changed: ['continueUrl'] }, 'the event names the setting, not the URL');
    for (const [url, why] of [
      [
        'https://evil.example/verify-email',
        /evil\.example is not on the client's domains \(acme\.example, acme-mail\.example\)/,
      ],
      ['https://notacme.example/v', /not on the client's domains/],
      ['https://portal.acme.example/v#x', /fragment/],
      ['https://user:pw@portal.acme.example/v', /credentials/],
      ['http://portal.acme.example/v', /https:\/\/ is required/],
      ['ftp://acme.example/v', /https:\/\/ is required/],
      ['javascript:alert(1)', /https:\/\/ is required/],
      ['not a url', /not a URL/],
      [`https://acme.example/${'x'.repeat(2_000)}`, /longer than 2000/],
    ] as const) {
      await t.rejects(
        clients.update(client.id, { continueUrl: url }, operator),
        { name: 'DomainError', refusal: { kind: 'invalid_request', detail: why } },
        url.slice(0, 60),
      );
    }
    const production = new ClientsService(port, () => 5_000, { production: true });
    await t.rejects(production.update(client.id, { continueUrl: 'http://127.0.0.1:4000/v' }, operator), {
      name: 'DomainError',
      refusal: { detail: /plain http is refused in production/ },
    });
    await t.rejects(
      clients.update(
        client.id,
        { continueUrl: 'https://portal.acme.example/v', allowedDomains: ['globex.example'], mailFrom: null },
        operator,
      ),
      { name: 'DomainError', refusal: { detail: /not on the client's domains \(globex\.example\)/ } },
      'checked against the domains it will have',
    );
    await clients.update(client.id, { continueUrl: 'https://portal.acme.example/v' }, operator);
    await t.rejects(
      clients.update(client.id, { allowedDomains: ['globex.example'], mailFrom: null }, operator),
      refusal('invalid_request'),
      'changing the domains away from the link is refused too',
    );
    const open = await clients.create({ name: 'Open' }, operator);
    await t.rejects(clients.update(open.client.id, { continueUrl: 'https://portal.acme.example/v' }, operator), {
      name: 'DomainError',
      refusal: { detail: /no domain to check it against/ },
    });
    await t.rejects(
      clients.create(
        { name: 'Off', allowedDomains: ['acme.example'], continueUrl: 'https://evil.example/v' },
        operator,
      ),
      refusal('invalid_request'),
      'and at creation',
    );
  },
);
