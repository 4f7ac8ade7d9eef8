// A client's own DKIM key: its mail, delivered through a real Mailpit, is checked with
// mailauth's authenticate() against DNS the test serves — DKIM pass for the client's
// domain and DMARC pass for its From — for two clients on two domains at once; a client
// without a key is signed with the server-wide key and reported not aligned; after a
// rotation and a retirement the mail verifies under the new selector only.
import { generateKeyPairSync } from 'node:crypto';
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildWithMailpit } from '../helpers/mailpit-app.js';
import { onEachDatabase } from '../helpers/databases.js';
import { byCommandLine } from '../helpers/build.js';
import { Zone } from '../helpers/dns.js';

type Authenticated = {
  dkim: { results: { status: { result: string }; signingDomain: string; selector: string }[] };
  dmarc: { status: { result: string }; domain: string };
};

await onEachDatabase(async (t) => {
  const require = createRequire(import.meta.url);
  const { authenticate } = require('mailauth') as {
    authenticate(message: Buffer, options: object): Promise<Authenticated>;
  };

  t.test("each client's mail passes DKIM and DMARC as its own; a client without a key is not aligned", async (t) => {
    const server = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const { app, createClient, send, mailbox } = await buildWithMailpit(t, {
      DKIM_DOMAIN: 'mailcode.example',
      DKIM_SELECTOR: 'srv',
      DKIM_PRIVATE_KEY: server.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    });
    const { dkim } = app.mailcode;
    const acme = await createClient({ name: 'Acme Portal', mailFrom: 'Acme Portal <no-reply@acme.example>' });
    const globex = await createClient({
      name: 'Globex',
      allowedDomains: ['globex.example'],
      mailFrom: 'Globex <codes@globex.example>',
    });
    const plain = await createClient({
      name: 'Plain',
      allowedDomains: ['plain.example'],
      mailFrom: 'Plain <no-reply@plain.example>',
    });
    const zone = new Zone()
      .set(
        'TXT',
        'srv._domainkey.mailcode.example',
        `v=DKIM1; k=rsa; p=${server.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`,
      )
      .set('TXT', '_dmarc.acme.example', 'v=DMARC1; p=reject')
      .set('TXT', '_dmarc.globex.example', 'v=DMARC1; p=quarantine')
      .set('TXT', '_dmarc.plain.example', 'v=DMARC1; p=reject');
    const publish = async (clientId: string) => {
      for (const r of await dkim.dnsRecords(await app.mailcode.clients.get(clientId)))
        if (r.kind === 'dkim') zone.set('TXT', r.name, r.value);
    };
    const acmeKey = await dkim.create(acme.id, { selector: 'mc2026' }, byCommandLine);
    t.same(acmeKey.record, {
      kind: 'dkim',
      type: 'TXT',
      name: 'mc2026._domainkey.acme.example',
      value: `v=DKIM1; k=rsa; p=${acmeKey.key.publicKey}`,
      why: 'DKIM: key mc2026',
    });
    await dkim.create(globex.id, {}, byCommandLine);
    await publish(acme.id);
    await publish(globex.id);

    const delivered = async (to: string, apiKey: string) => {
      await send(apiKey, { email: to });
      const message = await mailbox.waitForMessage({ query: `to:${to}` }, { timeout: 10_000, interval: 100 });
      const source = Buffer.from(await mailbox.getMessageSource(message.ID));
      return {
        source,
        result: await authenticate(source, {
          ip: '127.0.0.1',
          helo: 'mailcode.test',
          sender: `bounce@${to.split('@')[1]}`,
          mta: 'mx.test',
          resolver: zone.resolver,
        }),
      };
    };

    const fromAcme = await delivered('ann@acme.example', acme.apiKey);
    t.match(
      fromAcme.result.dkim.results,
      [{ status: { result: 'pass' }, signingDomain: 'acme.example', selector: 'mc2026' }],
      'signed with its own key only',
    );
    t.equal(fromAcme.result.dkim.results.length, 1);
    t.match(fromAcme.result.dmarc, { status: { result: 'pass' }, domain: 'acme.example' });
    const fromGlobex = await delivered('bob@globex.example', globex.apiKey);
    t.match(fromGlobex.result.dkim.results, [{ status: { result: 'pass' }, signingDomain: 'globex.example' }]);
    t.match(fromGlobex.result.dmarc, { status: { result: 'pass' }, domain: 'globex.example' });

    const fromPlain = await delivered('cy@plain.example', plain.apiKey);
    t.match(
      fromPlain.result.dkim.results,
      [{ status: { result: 'pass' }, signingDomain: 'mailcode.example', selector: 'srv' }],
      'the server-wide key signs a client without one',
    );
    t.equal(fromPlain.result.dmarc.status.result, 'fail', 'which DMARC does not count for plain.example');
    t.match(await dkim.signing(plain), { by: 'server', domain: 'mailcode.example', aligned: false });
    t.match(await dkim.signing(acme), { by: 'own-key', domain: 'acme.example', selector: 'mc2026', aligned: true });
    const ready = (await app.inject({ method: 'GET', url: '/readyz' })).json();
    t.same(
      ready.warnings,
      [`${plain.id}: mail from plain.example is signed for mailcode.example, not aligned`],
      'readiness names the unaligned client, and only it',
    );
    t.match((await app.inject({ method: 'GET', url: '/metrics' })).body, /^mailcode_clients_unaligned 1$/m);

    // Rotation: the new key beside the old (both published), signing after the wait (none
    // here); then the old one retired and its record removed.
    const rotated = await dkim.rotate(acme.id, { selector: 'mc2027', afterHours: 0 }, byCommandLine);
    t.equal(rotated.replaces.selector, 'mc2026');
    await publish(acme.id);
    await sleep(1_100); // the worker reads a client's keys at most once a second
    const afterRotation = await delivered('dee@acme.example', acme.apiKey);
    t.match(
      afterRotation.result.dkim.results,
      [{ status: { result: 'pass' }, selector: 'mc2027' }],
      'the new key signs once its wait is over',
    );
    await dkim.retire(acme.id, 'mc2026', undefined, byCommandLine);
    zone.remove('TXT', 'mc2026._domainkey.acme.example');
    await sleep(1_100);
    const afterRetirement = await delivered('eve@acme.example', acme.apiKey);
    t.same(
      afterRetirement.result.dkim.results.map((r) => [r.status.result, r.selector]),
      [['pass', 'mc2027']],
      'only the new selector',
    );
    t.match(afterRetirement.result.dmarc, { status: { result: 'pass' } });
    t.notMatch(afterRetirement.source.toString(), /s=mc2026/);

    const trail = (
      await app.mailcode.events.list(acme, { types: ['dkim.key_created', 'dkim.key_rotated', 'dkim.key_retired'] })
    ).events;
    t.same(trail.map((e) => [e.type, e.data.selector]).reverse(), [
      ['dkim.key_created', 'mc2026'],
      ['dkim.key_rotated', 'mc2027'],
      ['dkim.key_retired', 'mc2026'],
    ]);
    t.notMatch(JSON.stringify(trail), /PRIVATE|MII/, 'no key material in the events');
  });
});
