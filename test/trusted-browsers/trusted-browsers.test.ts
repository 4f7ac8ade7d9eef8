// Trusted browsers, as a portal drives them: trusted after a full sign-in, a token that stands
// in for the second factor once and is replaced, an old token that ends the trust, the
// browser's own cookie required, the membership window, revoking, and the end of trust when
// the person's factors change. Both databases.
import { decodeJwt } from 'jose';
import * as OTPAuth from 'otpauth';
import { build, byPortal } from '../helpers/build.js';
import { onEachDatabase } from '../helpers/databases.js';

const day = 24 * 3_600_000;
const bindingA = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
const bindingB = 'BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB';

await onEachDatabase(async (t) => {
  const setUp = async (t: Parameters<Parameters<typeof onEachDatabase>[0]>[0]) => {
    const ctx = await build(t);
    const { app, createClient, sendCode, verifyCode, mail, clock } = ctx;
    const acme = await createClient();
    await sendCode(acme.apiKey, { email: 'pat@acme.example', userRef: 'u-1' });
    await verifyCode(acme.apiKey, { email: 'pat@acme.example', code: mail.codeFor('pat@acme.example') });
    const call = async (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object, auth = acme.auth) => {
      const response = await app.inject({ method, url, headers: auth, ...(payload ? { payload } : {}) });
      return { status: response.statusCode, body: response.body ? response.json() : undefined };
    };
    const trust = (label = 'Firefox on Windows', browserBinding = bindingA) =>
      call('POST', '/people/u-1/trusted-browsers', { browserBinding, label });
    const signIn = (token: string, browserBinding = bindingA) =>
      call('POST', '/people/u-1/trusted-browser-sign-ins', { token, browserBinding });
    await app.mailcode.worker.runOnce();
    mail.sent.length = 0;
    return { ...ctx, acme, call, trust, signIn, clock };
  };

  t.test('trusted, it stands in once per token; the next token replaces it; the old one ends the trust', async (t) => {
    const { app, mail, trust, signIn, call, acme } = await setUp(t);
    const trusted = await trust();
    t.equal(trusted.status, 201);
    t.match(trusted.body, { id: /^tb_/, label: 'Firefox on Windows', token: /^[A-Za-z0-9_-]{43}$/ });
    await app.mailcode.worker.runOnce();
    t.equal(mail.sent.at(-1)!.subject, 'A browser was trusted for your Acme Portal account', 'the person is told');
    t.match(String(mail.sent.at(-1)!.text), /“Firefox on Windows” was trusted/);

    const first = await signIn(trusted.body.token);
    t.equal(first.status, 200);
    const claims = decodeJwt(first.body.assertion);
    t.match(claims, {
      sub: 'u-1',
      user_ref: 'u-1',
      aud: acme.id,
      verification_method: 'trusted_browser',
      trusted_browser: trusted.body.id,
      acr: 'urn:mailcode:acr:trusted-browser',
    });
    t.same(claims.amr, [], 'no factor was checked now');
    t.not(first.body.token, trusted.body.token, 'a new token');
    const second = await signIn(first.body.token);
    t.equal(second.status, 200, 'the new token works');

    const replay = await signIn(first.body.token);
    t.equal(replay.status, 422, 'the replaced token, shown again…');
    t.equal(replay.body.code, 'trusted_browser_refused');
    t.equal((await signIn(second.body.token)).status, 422, '…ends the trust: the current one works no more');
    t.same((await call('GET', '/people/u-1/trusted-browsers')).body.trustedBrowsers, []);
    const types = (await call('GET', '/events?subject=u-1')).body.events.map((e: { type: string }) => e.type);
    t.ok(types.includes('trusted_browser.ended'), 'the end is an event');
  });

  t.test("only the browser's own cookie goes with its token", async (t) => {
    const { trust, signIn } = await setUp(t);
    const trusted = await trust();
    t.equal((await signIn(trusted.body.token, bindingB)).body.code, 'trusted_browser_refused', 'another browser');
    t.equal((await signIn(trusted.body.token)).status, 200, 'the trust is not ended by that');
  });

  t.test('the membership window: past the last email proof, a code first', async (t) => {
    const { app, trust, signIn, clock, sendCode, verifyCode, acme, mail } = await setUp(t);
    await app.mailcode.clients.update(acme.id, { trustedBrowserDays: 90 }, { actor: 'cli', requestId: null });
    const trusted = await trust();
    let token = trusted.body.token as string;
    for (const days of [10, 10]) {
      clock.advance(days * day);
      const fresh = await signIn(token);
      t.equal(fresh.status, 200, 'within 30 days of the email proof');
      token = fresh.body.token;
    }
    clock.advance(11 * day);
    const stale = await signIn(token);
    t.equal(stale.status, 409, '31 days after it');
    t.match(stale.body, { code: 'email_proof_needed', provenAt: /^2026-/ });
    await sendCode(acme.apiKey, { email: 'pat@acme.example', userRef: 'u-1' });
    await verifyCode(acme.apiKey, { email: 'pat@acme.example', code: mail.codeFor('pat@acme.example') });
    t.equal((await signIn(token)).status, 200, 'a new code proves membership again; the trust stood');
  });

  t.test('unused for 14 days, or past its lifetime, a browser is trusted no more', async (t) => {
    const { trust, signIn, clock } = await setUp(t);
    const trusted = await trust();
    clock.advance(14 * day);
    t.equal((await signIn(trusted.body.token)).body.code, 'trusted_browser_refused', 'idle');
  });

  t.test('revoked one by one or all at once; ended when the authenticator is reset', async (t) => {
    const { app, trust, signIn, call, acme, clock } = await setUp(t);
    const one = await trust('Laptop');
    const two = await trust('Phone', bindingB);
    t.same(
      (await call('GET', '/people/u-1/trusted-browsers')).body.trustedBrowsers
        .map((b: { label: string }) => b.label)
        .sort(),
      ['Laptop', 'Phone'],
    );
    t.equal((await call('DELETE', `/people/u-1/trusted-browsers/${one.body.id}`)).status, 204);
    t.equal((await signIn(one.body.token)).status, 422);
    t.equal(
      (await call('DELETE', `/people/u-1/trusted-browsers/${one.body.id}`)).body.code,
      'trusted_browser_not_found',
    );
    t.equal((await call('DELETE', '/people/u-1/trusted-browsers')).status, 204);
    t.equal((await signIn(two.body.token, bindingB)).status, 422, 'all of them');

    const three = await trust('Desktop');
    const enrolment = await app.mailcode.totp.enroll(acme, { userRef: 'u-1', accountName: 'pat@acme.example' });
    const phone = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(enrolment.secret) });
    await app.mailcode.totp.confirm(acme, enrolment.enrollmentId, phone.generate({ timestamp: clock.now() }), byPortal);
    t.equal((await call('DELETE', '/totp/u-1')).status, 204, 'the authenticator reset…');
    t.equal((await signIn(three.body.token)).status, 422, '…ends every trusted browser');
  });

  t.test("another client neither sees nor uses a person's trusted browser", async (t) => {
    const { trust, call, createClient } = await setUp(t);
    const trusted = await trust();
    const other = await createClient('Other', ['acme.example']);
    const stolen = await call(
      'POST',
      '/people/u-1/trusted-browser-sign-ins',
      { token: trusted.body.token, browserBinding: bindingA },
      other.auth,
    );
    t.equal(stolen.body.code, 'trusted_browser_refused');
    t.same((await call('GET', '/people/u-1/trusted-browsers', undefined, other.auth)).body.trustedBrowsers, []);
    t.equal(
      (await call('DELETE', `/people/u-1/trusted-browsers/${trusted.body.id}`, undefined, other.auth)).status,
      404,
    );
    t.equal((await call('GET', '/people/u-1/trusted-browsers')).body.trustedBrowsers.length, 1, 'still trusted');
  });
});
