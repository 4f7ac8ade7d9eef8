import { createLocalJWKSet, jwtVerify } from 'jose';
import { buildApp } from '../../src/main/app.js';
import { build, LogCapture } from '../helpers/build.js';
import { onEachDatabase } from '../helpers/databases.js';

await onEachDatabase(async (t) => {
  t.test('after a rotation the retired key stays published until its tokens expire', async (t) => {
    const { app, createClient, sendCode, verifyCode, mail, clock } = await build(t);
    const acme = await createClient();
    const { verificationId } = (await sendCode(acme.apiKey, { email: 'a@acme.example' })).json();
    const { assertion } = (
      await verifyCode(acme.apiKey, { verificationId, code: mail.codeFor('a@acme.example') })
    ).json();
    const jwks = async () => (await app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json();
    const before = await jwks();
    t.equal(before.keys.length, 1);

    const newKid = await app.mailcode.keys.rotate();
    const during = await jwks();
    t.same(
      during.keys.map((k: { kid: string }) => k.kid).sort(),
      [before.keys[0].kid, newKid].sort(),
      'both keys are published',
    );
    await t.resolves(
      jwtVerify(assertion, createLocalJWKSet(during), { currentDate: new Date(clock.now()) }),
      'the old token still verifies',
    );

    clock.advance(30_000);
    const second = (await sendCode(acme.apiKey, { email: 'b@acme.example' })).json();
    const fresh = (
      await verifyCode(acme.apiKey, { verificationId: second.verificationId, code: mail.codeFor('b@acme.example') })
    ).json();
    const { protectedHeader } = await jwtVerify(fresh.assertion, createLocalJWKSet(await jwks()), {
      currentDate: new Date(clock.now()),
    });
    t.equal(protectedHeader.kid, newKid, 'new tokens are signed with the new key');

    clock.advance(5 * 60_000 + 30_000);
    const after = await jwks();
    t.same(
      after.keys.map((k: { kid: string }) => k.kid),
      [newKid],
      'the retired key is gone once its tokens have expired',
    );
    const jwksResponse = await app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    t.match(jwksResponse.headers['cache-control'], /max-age=300/);
  });

  t.test('signing keys survive a restart and their private part is stored encrypted', async (t) => {
    const { app } = await build(t);
    const rows = await app.mailcode.store.signingKeys.list();
    t.equal(rows.length, 1);
    t.notMatch(rows[0]!.privateJwkEncrypted, /"d"/);
    t.match(rows[0]!.privateJwkEncrypted, /^v1\./);
  });

  t.test('a rotation in one process reaches another on the same database without a restart', async (t) => {
    const first = await build(t);
    // A second process: same database (and Redis), its own memory, the same clock.
    const second = await buildApp(first.configWith(), {
      now: first.clock.now,
      transport: first.mail,
      logStream: new LogCapture(),
      startWorker: false,
    });
    t.teardown(() => second.close());
    const kids = async (app: typeof second) =>
      ((await app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json().keys as { kid: string }[]).map(
        (k) => k.kid,
      );
    const [original] = await kids(second);
    t.same(await kids(first.app), [original], 'both processes publish the one key the database holds');

    const newKid = await first.app.mailcode.keys.rotate();
    t.same(await kids(second), [original], 'the other process still has its loaded view…');
    first.clock.advance(second.mailcode.keys.refreshMs);
    await kids(second); // a stale view is refreshed in the background, never on the request's time
    await second.mailcode.keys.settled();
    t.same(
      (await kids(second)).sort(),
      [original, newKid].sort(),
      '…until its refresh: then it publishes the new key beside the retired one',
    );
    t.equal(second.mailcode.keys.signingKey().kid, newKid, 'and signs with the new key');
  });
});
