// Passkeys, as a portal drives them through the API, with an authenticator in the test
// process answering as a browser would: registered, signed in with by user reference and
// usernameless, renamed and removed; an answer from another origin, a replayed answer, an
// expired challenge, another client's challenge and a counter going back each get their
// documented answer. Both databases.
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import { build, byPortal } from '../helpers/build.js';
import { onEachDatabase } from '../helpers/databases.js';
import { SoftAuthenticator } from '../helpers/soft-authenticator.js';

const origin = 'http://localhost:4100';
const settings = { rpId: 'localhost', origins: [origin], alone: true, required: false, counterStrict: false };
type Options = { challenge: string; rp: { id: string }; user: { id: string }; rpId: string };

await onEachDatabase(async (t) => {
  const setUp = async (t: Parameters<Parameters<typeof onEachDatabase>[0]>[0], passkeys = settings) => {
    const ctx = await build(t);
    const { app, createClient, sendCode, verifyCode, mail } = ctx;
    const acme = await createClient();
    await app.mailcode.passkeySettings.setUp(await app.mailcode.clients.get(acme.id), passkeys, byPortal);
    await sendCode(acme.apiKey, { email: 'pat@acme.example', userRef: 'u-1' });
    const proof = await verifyCode(acme.apiKey, { email: 'pat@acme.example', code: mail.codeFor('pat@acme.example') });
    const call = async (
      method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
      url: string,
      payload?: object,
      auth = acme.auth,
    ) => {
      const response = await app.inject({ method, url, headers: auth, ...(payload ? { payload } : {}) });
      return { status: response.statusCode, body: response.body ? response.json() : undefined };
    };
    const register = async (authenticator: SoftAuthenticator, userRef = 'u-1', from = origin, auth = acme.auth) => {
      const start = await call('POST', `/people/${userRef}/passkeys/registrations`, {}, auth);
      const response = authenticator.register(start.body.options as Options, from);
      return call('POST', `/people/${userRef}/passkeys/registrations/finish`, { response }, auth);
    };
    const startSignIn = async (body: object = {}, auth = acme.auth) =>
      (await call('POST', '/passkeys/authentications', body, auth)).body.options as Options;
    const finishSignIn = (response: object, extra: object = {}, auth = acme.auth) =>
      call('POST', '/passkeys/authentications/finish', { response, ...extra }, auth);
    const signIn = async (authenticator: SoftAuthenticator, body: object = { userRef: 'u-1' }) =>
      finishSignIn(authenticator.authenticate(await startSignIn(body), origin));
    const eventTypes = async () =>
      (await call('GET', '/events?subject=u-1')).body.events.map((e: { type: string }) => e.type) as string[];
    await app.mailcode.worker.runOnce();
    mail.sent.length = 0;
    return {
      ...ctx,
      acme,
      call,
      register,
      startSignIn,
      finishSignIn,
      signIn,
      eventTypes,
      emailAssertion: proof.json().assertion as string,
    };
  };

  t.test('registered: the passkey is kept with what its authenticator said, and the person is told', async (t) => {
    const { app, mail, register, call } = await setUp(t);
    const start = await call('POST', '/people/u-1/passkeys/registrations', {});
    t.equal(start.status, 200);
    t.match(start.body.options, {
      rp: { id: 'localhost', name: 'Acme Portal' },
      user: { name: 'pat@acme.example' },
      attestation: 'none',
      authenticatorSelection: { residentKey: 'required' },
    });
    t.ok((start.body.options.challenge as string).length >= 43, 'a challenge of 32 random bytes');

    const registered = await register(new SoftAuthenticator({ aaguid: 'fbfc3007-154e-4ecc-8c0b-6e020557d7bd' }));
    t.equal(registered.status, 201);
    t.match(registered.body, {
      id: /^pk_/,
      name: 'iCloud Keychain',
      provider: 'iCloud Keychain',
      deviceType: 'singleDevice',
      backedUp: false,
      transports: ['internal'],
      lastUsedAt: null,
      counterWentBackAt: null,
    });
    t.notOk('publicKey' in registered.body || 'credentialId' in registered.body, 'never the key or credential id');
    await app.mailcode.worker.runOnce();
    t.equal(mail.sent.at(-1)!.subject, 'A passkey was added to your Acme Portal account');
    t.match(String(mail.sent.at(-1)!.text), /the passkey “iCloud Keychain” was added/);

    const person = await call('GET', '/people/u-1');
    t.match(person.body.passkeys, [{ id: registered.body.id, name: 'iCloud Keychain' }], 'in the person');
    t.equal((await call('GET', '/people/u-1/passkeys')).body.passkeys.length, 1);
    const again = await call('POST', '/people/u-1/passkeys/registrations', {});
    t.equal(again.body.options.excludeCredentials.length, 1, 'an authenticator does not make a second one');
    const third = await call('POST', '/people/u-1/passkeys/registrations', {});
    t.equal(third.body.options.user.id, again.body.options.user.id, 'one user handle per person');
  });

  t.test('a sign-in by user reference and a usernameless one: the assertion says hwk or swk, and user', async (t) => {
    const { app, register, signIn, acme, call, clock } = await setUp(t);
    const device = new SoftAuthenticator();
    const registered = await register(device);
    const byRef = await signIn(device);
    t.equal(byRef.status, 200, byRef.body.detail);
    t.match(byRef.body, { verified: true, method: 'passkey', userRef: 'u-1', counterWentBack: false });
    const jwks = createLocalJWKSet((await app.inject({ url: '/.well-known/jwks.json' })).json());
    const { payload } = await jwtVerify(byRef.body.assertion, jwks, {
      audience: acme.id,
      typ: 'verification+jwt',
      currentDate: new Date(clock.now()),
    });
    t.match(payload, {
      sub: 'u-1',
      user_ref: 'u-1',
      verification_method: 'passkey',
      passkey: registered.body.id,
      acr: 'urn:mailcode:acr:2fa',
    });
    t.same(payload.amr, ['hwk', 'user', 'mfa'], 'a key on one device, the person verified: two factors in one');

    const usernameless = await signIn(device, {});
    t.equal(usernameless.status, 200, 'without a user reference');
    t.equal(decodeJwt(usernameless.body.assertion).sub, 'u-1', 'the passkey says who it is');

    const synced = new SoftAuthenticator({ synced: true, userVerified: false });
    clock.advance(1_000);
    await register(synced);
    const fromSynced = await signIn(synced);
    t.same(decodeJwt(fromSynced.body.assertion).amr, ['swk'], 'synced, only present: one factor');
    t.equal(decodeJwt(fromSynced.body.assertion).acr, 'urn:mailcode:acr:1fa');
    t.match((await call('GET', '/people/u-1/passkeys')).body.passkeys, [
      { deviceType: 'multiDevice', backedUp: true },
      {},
    ]);
  });

  t.test('answers that are refused, each with its documented answer', async (t) => {
    const { app, register, startSignIn, finishSignIn, clock, createClient, call, eventTypes } = await setUp(t);
    const device = new SoftAuthenticator();
    await register(device);

    const wrongOrigin = await finishSignIn(
      device.authenticate(await startSignIn({ userRef: 'u-1' }), 'http://evil.localhost:4100'),
    );
    t.equal(wrongOrigin.status, 422, 'from a look-alike origin');
    t.equal(wrongOrigin.body.code, 'passkey_refused');
    t.match(wrongOrigin.body.detail, /origin/);

    const answer = device.authenticate(await startSignIn({ userRef: 'u-1' }), origin);
    t.equal((await finishSignIn(answer)).status, 200);
    const replayed = await finishSignIn(answer);
    t.equal(replayed.status, 422, 'the same answer again');
    t.equal(replayed.body.code, 'passkey_challenge_refused');

    const late = await startSignIn({ userRef: 'u-1' });
    clock.advance(5 * 60_000 + 1);
    const expired = await finishSignIn(device.authenticate(late, origin));
    t.equal(expired.status, 422, 'after 5 minutes');
    t.equal(expired.body.code, 'passkey_challenge_expired');

    const other = await createClient('Other Portal', ['other.example']);
    const theirs = (await call('POST', '/passkeys/authentications', {}, other.auth)).body;
    t.equal(theirs.code, 'passkeys_not_set_up', 'a client without a relying party');
    await app.mailcode.passkeySettings.setUp(await app.mailcode.clients.get(other.id), settings, byPortal);
    const otherClients = await call('POST', '/passkeys/authentications/finish', {
      response: device.authenticate(await startSignIn({}, other.auth), origin),
    });
    t.equal(otherClients.status, 422, "another client's challenge");
    t.equal(otherClients.body.code, 'passkey_challenge_refused');

    device.counter = 0;
    const back = await finishSignIn(device.authenticate(await startSignIn({ userRef: 'u-1' }), origin));
    t.equal(back.status, 200, 'a counter that went back is recorded, not a lockout');
    t.equal(back.body.counterWentBack, true);
    t.ok(back.body.passkey.counterWentBackAt, 'and shown');
    t.ok((await eventTypes()).includes('passkey.counter_went_back'), 'an event');
    t.equal(
      (await call('GET', '/people/u-1/passkeys')).body.passkeys[0].counterWentBackAt,
      back.body.passkey.counterWentBackAt,
    );
  });

  t.test('a client that refuses a counter going back', async (t) => {
    const { register, signIn } = await setUp(t, { ...settings, counterStrict: true });
    const device = new SoftAuthenticator();
    await register(device);
    t.equal((await signIn(device)).status, 200);
    device.counter = 0;
    const refused = await signIn(device);
    t.equal(refused.status, 422);
    t.equal(refused.body.code, 'passkey_refused');
    t.match(refused.body.detail, /counter went backwards/);
  });

  t.test('a client that takes a passkey as the second factor only', async (t) => {
    const { register, startSignIn, finishSignIn, call, emailAssertion } = await setUp(t, { ...settings, alone: false });
    const device = new SoftAuthenticator();
    await register(device);
    const usernameless = await call('POST', '/passkeys/authentications', {});
    t.equal(usernameless.status, 422);
    t.equal(usernameless.body.code, 'first_factor_needed');
    const alone = await finishSignIn(device.authenticate(await startSignIn({ userRef: 'u-1' }), origin));
    t.equal(alone.body.code, 'first_factor_needed', 'without the email assertion');
    const forged = await finishSignIn(device.authenticate(await startSignIn({ userRef: 'u-1' }), origin), {
      firstFactor: `${emailAssertion.slice(0, -4)}AAAA`,
    });
    t.equal(forged.body.code, 'first_factor_refused', 'a first factor that does not verify');
    const both = await finishSignIn(device.authenticate(await startSignIn({ userRef: 'u-1' }), origin), {
      firstFactor: emailAssertion,
    });
    t.equal(both.status, 200);
    t.same(decodeJwt(both.body.assertion).amr, ['otp', 'hwk', 'user', 'mfa']);
    t.equal(decodeJwt(both.body.assertion).acr, 'urn:mailcode:acr:2fa');
  });

  t.test('renamed and removed by the portal; a removed passkey signs no one in', async (t) => {
    const { app, mail, register, signIn, call, eventTypes } = await setUp(t);
    const device = new SoftAuthenticator();
    const { body } = await register(device);
    const renamed = await call('PATCH', `/people/u-1/passkeys/${body.id}`, { name: 'Work laptop' });
    t.equal(renamed.status, 200);
    t.equal(renamed.body.name, 'Work laptop');
    t.equal((await call('PATCH', `/people/u-1/passkeys/${body.id}`, { name: ' ' })).status, 400, 'a blank name');
    t.equal((await call('PATCH', `/people/u-2/passkeys/${body.id}`, { name: 'x' })).status, 404, "not another's");
    await app.mailcode.worker.runOnce();
    mail.sent.length = 0;
    t.equal((await call('DELETE', `/people/u-1/passkeys/${body.id}`)).status, 204);
    await app.mailcode.worker.runOnce();
    t.equal(mail.sent.at(-1)!.subject, 'A passkey was removed from your Acme Portal account');
    t.match(String(mail.sent.at(-1)!.text), /“Work laptop” was removed/);
    t.equal((await call('DELETE', `/people/u-1/passkeys/${body.id}`)).body.code, 'passkey_not_found');
    const after = await signIn(device);
    t.equal(after.status, 422);
    t.equal(after.body.code, 'passkey_refused');
    t.ok((await eventTypes()).includes('passkey.removed'));
  });

  t.test("another client neither sees nor uses a client's passkeys", async (t) => {
    const { app, register, createClient, call, startSignIn } = await setUp(t);
    const device = new SoftAuthenticator();
    const { body } = await register(device);
    const other = await createClient('Other Portal', ['other.example']);
    await app.mailcode.passkeySettings.setUp(await app.mailcode.clients.get(other.id), settings, byPortal);
    t.same((await call('GET', '/people/u-1/passkeys', undefined, other.auth)).body.passkeys, []);
    t.equal((await call('DELETE', `/people/u-1/passkeys/${body.id}`, undefined, other.auth)).status, 404);
    const theirs = await call('POST', '/passkeys/authentications', {}, other.auth);
    const used = await call(
      'POST',
      '/passkeys/authentications/finish',
      { response: device.authenticate(theirs.body.options, origin) },
      other.auth,
    );
    t.equal(used.status, 422);
    t.equal(used.body.code, 'passkey_refused', 'no passkey of theirs has this id');
    t.equal((await call('GET', '/people/u-1/passkeys')).body.passkeys.length, 1);
    t.ok(await startSignIn({ userRef: 'nobody' }), 'an unknown person gets options all the same');
  });

  t.test('a sign-in with a passkey cancels a recovery; a completed one removes the passkeys', async (t) => {
    const { app, register, signIn, call, clock, mail } = await setUp(t);
    const device = new SoftAuthenticator();
    await register(device);
    const start = async () => {
      const started = await call('POST', '/people/u-1/recoveries');
      await app.mailcode.worker.runOnce();
      const code = mail.codeFor('pat@acme.example');
      return call('POST', `/people/u-1/recoveries/${started.body.id}/confirm`, { code });
    };
    t.equal((await start()).body.status, 'waiting', 'a person with only a passkey can recover');
    await signIn(device);
    t.equal((await call('GET', '/people/u-1')).body.recovery, null, 'the passkey sign-in canceled it');
    clock.advance(2 * 60_000);
    await app.mailcode.worker.runOnce();
    mail.sent.length = 0;
    t.equal((await start()).body.status, 'waiting');
    clock.advance(25 * 3_600_000);
    await app.mailcode.recovery.completeDue((id) => app.mailcode.clients.get(id));
    t.same((await call('GET', '/people/u-1/passkeys')).body.passkeys, [], 'the recovery removed the passkey');
  });

  t.test('where the client requires passkeys, no trusted browser stands in', async (t) => {
    const { call } = await setUp(t, { ...settings, required: true });
    const binding = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    const trust = await call('POST', '/people/u-1/trusted-browsers', { browserBinding: binding, label: 'Laptop' });
    t.equal(trust.status, 409);
    t.equal(trust.body.code, 'passkey_required');
    const signIn = await call('POST', '/people/u-1/trusted-browser-sign-ins', {
      browserBinding: binding,
      token: 'A'.repeat(43),
    });
    t.equal(signIn.body.code, 'passkey_required');
  });

  t.test('bad input is a 400, never a 500', async (t) => {
    const { app, acme, call } = await setUp(t);
    for (const response of [
      'nope',
      {},
      { id: 'x', rawId: 'x', type: 'public-key', response: { clientDataJSON: '!!' }, clientExtensionResults: {} },
      {
        id: 'x',
        rawId: 'x',
        type: 'public-key',
        response: { clientDataJSON: 'e30', authenticatorData: 'AA', signature: 'AA', userHandle: 'x'.repeat(500) },
        clientExtensionResults: {},
      },
    ]) {
      const answer = await call('POST', '/passkeys/authentications/finish', { response });
      t.equal(answer.status, 400, JSON.stringify(response).slice(0, 40));
    }
    const noChallenge = await call('POST', '/passkeys/authentications/finish', {
      response: {
        id: 'x',
        rawId: 'x',
        type: 'public-key',
        response: { clientDataJSON: 'e30', authenticatorData: 'AA', signature: 'AA' },
        clientExtensionResults: {},
      },
    });
    t.equal(noChallenge.status, 422, 'client data without a challenge');
    const wrongMethod = await call('PATCH', '/people/u-1/passkeys/registrations', { name: 'x' });
    t.equal(wrongMethod.status, 405, "the registrations' path is not a passkey's");
    t.equal(wrongMethod.body.code, 'method_not_allowed');
    t.equal((await call('POST', '/passkeys/authentications')).status, 200, 'the body may be left out');
    const nullBody = await app.inject({
      method: 'POST',
      url: '/passkeys/authentications',
      headers: { ...acme.auth, 'content-type': 'application/json' },
      payload: 'null',
    });
    t.equal(nullBody.statusCode, 400, 'but a JSON null is no body of options');
    t.equal(noChallenge.body.code, 'passkey_challenge_refused');
  });
});
