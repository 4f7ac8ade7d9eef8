// The rules of a client's own DKIM keys, against an in-memory port: which key signs when,
// what a rotation and a retirement may do, and when a client's mail is aligned.
import t from 'tap';
import type { DkimKey, NewDkimKey } from '../../src/clients/dkim.js';
import { aligned, signingKey } from '../../src/clients/dkim.js';
import { DkimService } from '../../src/clients/dkim-service.js';
import type { Client } from '../../src/clients/model.js';
import type { DkimKeysPort } from '../../src/clients/ports.js';
import type { NewEvent } from '../../src/events/model.js';
import { deriveKey } from '../../src/shared/secrets.js';

const operator = { actor: 'cli' as const, requestId: null };
const hour = 3_600_000;
const start = Date.parse('2026-12-03T09:00:00Z');

function memoryKeys() {
  const rows: (NewDkimKey & { retiredAt: number | null })[] = [];
  const events: NewEvent[] = [];
  const port: DkimKeysPort = {
    async create(key, written) {
      if (rows.some((r) => r.clientId === key.clientId && r.domain === key.domain && r.selector === key.selector))
        return false;
      rows.push({ ...key, retiredAt: null });
      events.push(...written);
      return true;
    },
    async list(clientId) {
      return rows
        .filter((r) => clientId === undefined || r.clientId === clientId)
        .map(({ privateKeySealed: _s, ...k }) => k);
    },
    async signingKeys(clientId) {
      return rows.filter((r) => r.clientId === clientId && r.retiredAt === null);
    },
    async retire(clientId, id, now, written) {
      const row = rows.find((r) => r.id === id && r.clientId === clientId && r.retiredAt === null);
      if (!row) return false;
      row.retiredAt = now;
      events.push(...written);
      return true;
    },
    async remove(clientId, id, written) {
      const i = rows.findIndex((r) => r.id === id && r.clientId === clientId);
      if (i < 0) return false;
      rows.splice(i, 1);
      events.push(...written);
      return true;
    },
  };
  return { port, events };
}

const client = (id: string, mailFrom: string | null): Client => ({
  id,
  name: id,
  allowedDomains: [],
  mailFrom,
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
  secondFactor: 'optional',
  createdAt: 0,
  revokedAt: null,
});

function setUp(server?: { domain: string; selector: string }) {
  const clock = { now: start };
  const { port, events } = memoryKeys();
  const clients = new Map([
    ['cl_acme', client('cl_acme', 'Acme <no-reply@acme.example>')],
    ['cl_bare', client('cl_bare', null)],
  ]);
  const dkim = new DkimService(
    port,
    { get: async (id) => clients.get(id) },
    {
      sealKeys: [deriveKey('test-secret-0123456789abcdef0123456789', 'dkim-keys')],
      now: () => clock.now,
      server,
      defaultFrom: 'mailcode <no-reply@mailcode.example>',
      bounceHost: 'mailcode.example',
    },
  );
  return { dkim, clock, events, clients };
}

const refusal = (kind: string) => ({ name: 'DomainError', refusal: { kind } });

t.test(
  "a new key is for the client's From domain unless named, signs at once, and is named after the day",
  async (t) => {
    const { dkim, events } = setUp();
    const { key, record } = await dkim.create('cl_acme', {}, operator);
    t.match(key, {
      clientId: 'cl_acme',
      domain: 'acme.example',
      selector: 'mc20261203',
      signsFrom: start,
      retiredAt: null,
    });
    t.equal(record.name, 'mc20261203._domainkey.acme.example');
    t.match(record.value, /^v=DKIM1; k=rsa; p=MII[A-Za-z0-9+/]+=*$/);
    const signer = await dkim.signerFor('cl_acme', 'Acme <no-reply@acme.example>');
    t.match(signer, {
      domainName: 'acme.example',
      keySelector: 'mc20261203',
      privateKey: /^-----BEGIN PRIVATE KEY-----/,
    });
    t.equal(
      await dkim.signerFor('cl_acme', 'Acme <no-reply@other.example>'),
      undefined,
      'never a key of another domain',
    );
    t.equal(await dkim.signerFor('cl_bare', 'x <a@acme.example>'), undefined, "never another client's key");
    t.same(
      events.map((e) => [e.type, e.data]),
      [['dkim.key_created', { domain: 'acme.example', selector: 'mc20261203', signsFrom: '2026-12-03T09:00:00.000Z' }]],
    );
    t.notMatch(JSON.stringify(events), /BEGIN|MII/, 'no key material in the event');
  },
);

t.test(
  'refusals: no From and no domain, a name that is not a domain, a bad or taken selector, an unknown client',
  async (t) => {
    const { dkim } = setUp();
    await t.rejects(dkim.create('cl_bare', {}, operator), refusal('invalid_request'));
    await t.rejects(dkim.create('cl_acme', { domain: 'not a domain' }, operator), refusal('invalid_request'));
    await t.rejects(dkim.create('cl_acme', { selector: 'Bad_Selector' }, operator), refusal('invalid_request'));
    await dkim.create('cl_acme', { selector: 's1' }, operator);
    await t.rejects(dkim.create('cl_acme', { selector: 's1' }, operator), refusal('invalid_request'));
    await t.rejects(dkim.create('cl_nobody', { domain: 'acme.example' }, operator), refusal('client_not_found'));
    t.match(
      (await dkim.create('cl_bare', { domain: 'MÜNCHEN.example.' }, operator)).key,
      { domain: 'xn--mnchen-3ya.example' },
      'IDN to punycode, the root dot dropped',
    );
  },
);

t.test(
  'rotate: the old key signs until the wait is over, the new one after; the old one is retired only then',
  async (t) => {
    const { dkim, clock } = setUp();
    await t.rejects(
      dkim.rotate('cl_acme', { afterHours: 48 }, operator),
      refusal('dkim_key_not_found'),
      'nothing to rotate',
    );
    await dkim.create('cl_acme', { selector: 'old' }, operator);
    const { key, replaces } = await dkim.rotate('cl_acme', { selector: 'new', afterHours: 48 }, operator);
    t.equal(replaces.selector, 'old');
    t.equal(key.signsFrom, start + 48 * hour);
    t.match(await dkim.signerFor('cl_acme', 'a@acme.example'), { keySelector: 'old' }, 'during the wait');
    await t.rejects(
      dkim.retire('cl_acme', 'old', undefined, operator),
      refusal('invalid_request'),
      'not while the new key waits',
    );
    clock.now = start + 48 * hour;
    t.match(await dkim.signerFor('cl_acme', 'a@acme.example'), { keySelector: 'new' }, 'after the wait');
    await dkim.retire('cl_acme', 'old', undefined, operator);
    t.same(
      (await dkim.dnsRecords(client('cl_acme', 'a@acme.example'))).filter((r) => r.kind === 'dkim').map((r) => r.name),
      ['new._domainkey.acme.example'],
      'the retired key needs no record',
    );
    await t.rejects(dkim.retire('cl_acme', 'old', undefined, operator), refusal('dkim_key_not_found'), 'once');
    await dkim.remove('cl_acme', 'new', undefined, operator);
    t.equal(await dkim.signerFor('cl_acme', 'a@acme.example'), undefined);
  },
);

t.test(
  'how a client is signed: its own key (aligned), the server-wide key (aligned only for its own domain), or none',
  async (t) => {
    const { dkim, clients } = setUp({ domain: 'mailcode.example', selector: 'srv' });
    t.match(await dkim.signing(clients.get('cl_acme')!), {
      fromDomain: 'acme.example',
      by: 'server',
      domain: 'mailcode.example',
      aligned: false,
    });
    t.match(
      await dkim.signing(clients.get('cl_bare')!),
      { fromDomain: 'mailcode.example', by: 'server', aligned: true },
      "MAIL_FROM on the server key's domain",
    );
    await dkim.create('cl_acme', {}, operator);
    t.match(await dkim.signing(clients.get('cl_acme')!), { by: 'own-key', domain: 'acme.example', aligned: true });
    const unsigned = setUp();
    t.match(await unsigned.dkim.signing(unsigned.clients.get('cl_acme')!), {
      by: 'none',
      domain: null,
      aligned: false,
    });
  },
);

t.test('relaxed alignment: the same domain, a parent or a child; never an unrelated one', async (t) => {
  t.ok(aligned('acme.example', 'acme.example'));
  t.ok(aligned('mail.acme.example', 'acme.example'));
  t.ok(aligned('acme.example', 'mail.acme.example'));
  t.notOk(aligned('acme.example', 'notacme.example'));
  t.notOk(aligned('acme.example', 'example'.slice(0, 0)));
  t.notOk(aligned('acme.example', undefined));
  const keys = [
    { id: 'a', signsFrom: 1, createdAt: 1, retiredAt: null, domain: 'acme.example' },
    { id: 'b', signsFrom: 5, createdAt: 2, retiredAt: null, domain: 'acme.example' },
    { id: 'c', signsFrom: 3, createdAt: 3, retiredAt: 4, domain: 'acme.example' },
  ] as DkimKey[];
  t.equal(signingKey(keys, 'acme.example', 4)?.id, 'a', 'the newest whose wait is over');
  t.equal(signingKey(keys, 'acme.example', 5)?.id, 'b');
  t.equal(signingKey(keys, 'other.example', 5), undefined);
});
