// POST /verify-link: the continue link in the browser that asked answers what /verify-code
// answers; anywhere else it is refused and uses up nothing.
import type { Test } from 'tap';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { build } from '../../helpers/build.js';
import { onEachDatabase } from '../../helpers/databases.js';

/** What a portal sends: the hash of its cookie's random value. */
const bindingOf = (cookie: string) => createHash('sha256').update(cookie).digest('base64url');
const browserA = bindingOf('cookie of the browser that asked');
const browserB = bindingOf('cookie of another browser');

await onEachDatabase(async (t) => {
  async function setup(t: Test, settings: { continueAnyBrowser?: boolean } = {}) {
    const ctx = await build(t);
    const acme = await ctx.createClient();
    await ctx.app.mailcode.clients.update(
      acme.id,
      { continueUrl: 'https://portal.acme.example/verify-email', ...settings },
      { actor: 'cli', requestId: null },
    );
    const send = async (body: Record<string, unknown> = {}) => {
      const request = { email: 'alice@acme.example', purpose: 'signup', browserBinding: browserA, ...body };
      const response = await ctx.sendCode(acme.apiKey, request);
      t.equal(response.statusCode, 202, response.body);
      const text = String(ctx.mail.sent.at(-1)!.text);
      return {
        verificationId: response.json().verificationId as string,
        token: /#mc=([A-Za-z0-9_-]{32})>/.exec(text)?.[1] ?? '',
        code: ctx.mail.codeFor(request.email),
      };
    };
    const verifyLink = (body: Record<string, unknown>, apiKey = acme.apiKey) =>
      ctx.app.inject({
        method: 'POST',
        url: '/verify-link',
        headers: { authorization: `Bearer ${apiKey}` },
        payload: body,
      });
    const state = async (id: string) =>
      (await ctx.app.inject({ method: 'GET', url: `/verifications/${id}`, headers: acme.auth })).json();
    return { ...ctx, acme, send, verifyLink, state };
  }

  t.test('the link in the browser that asked: the assertion, which says a link verified it', async (t) => {
    const { send, verifyLink, state, app, acme, clock } = await setup(t);
    const { verificationId, token } = await send();
    t.match(token, /^[A-Za-z0-9_-]{32}$/, 'the mail carries a 192-bit token in the fragment');
    const response = await verifyLink({ token, browserBinding: browserA });
    t.equal(response.statusCode, 200, response.body);
    const jwks = (await app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json();
    const { payload } = await jwtVerify(response.json().assertion, createLocalJWKSet(jwks), {
      audience: acme.id,
      currentDate: new Date(clock.now()),
    });
    t.match(payload, {
      sub: 'alice@acme.example',
      email_verified: true,
      purpose: 'signup',
      amr: ['otp'],
      acr: 'urn:mailcode:acr:1fa',
      verification_method: 'email_link',
      same_browser: true,
      jti: verificationId,
    });
    t.match(await state(verificationId), { status: 'verified', verifiedWith: 'link' });
    const second = await verifyLink({ token, browserBinding: browserA });
    t.match(second.json(), { status: 409, code: 'already_verified' }, 'single use');
  });

  t.test(
    'another browser, or none: 409 different_browser, nothing used up; the code and the right browser still work',
    async (t) => {
      const { send, verifyLink, verifyCode, state, acme } = await setup(t);
      const { verificationId, token, code } = await send();
      for (const body of [{ token }, { token, browserBinding: browserB }]) {
        const response = await verifyLink(body);
        t.equal(response.statusCode, 409);
        t.match(response.json(), { code: 'different_browser', type: 'urn:mailcode:problem:different_browser' });
      }
      t.match(await state(verificationId), { status: 'pending', attemptsRemaining: 5 }, 'attempts untouched');
      const refused = (await state(verificationId)).timeline.filter(
        (e: { type: string }) => e.type === 'verification.link_refused',
      );
      t.same(
        refused.map((e: { data: unknown }) => e.data),
        [{ reason: 'different_browser' }, { reason: 'different_browser' }],
      );
      t.equal(
        (await verifyCode(acme.apiKey, { verificationId, code })).statusCode,
        200,
        'the code from the same mail verifies',
      );
      const second = await send({ email: 'bob@acme.example' });
      t.equal((await verifyLink({ token: second.token })).statusCode, 409);
      t.equal(
        (await verifyLink({ token: second.token, browserBinding: browserA })).statusCode,
        200,
        'the person’s own click still verifies',
      );
    },
  );

  t.test('a mail sent without a binding carries no link (the client allows the browser that asked only)', async (t) => {
    const { send } = await setup(t);
    const { token } = await send({ browserBinding: undefined });
    t.equal(token, '');
  });

  t.test(
    'a client that allows any browser: the link works anywhere, and the assertion says it was not bound',
    async (t) => {
      const { send, verifyLink, app, acme, clock } = await setup(t, { continueAnyBrowser: true });
      const { token } = await send({ browserBinding: undefined });
      const response = await verifyLink({ token });
      t.equal(response.statusCode, 200);
      const jwks = (await app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json();
      const { payload } = await jwtVerify(response.json().assertion, createLocalJWKSet(jwks), {
        audience: acme.id,
        currentDate: new Date(clock.now()),
      });
      t.match(payload, { verification_method: 'email_link', same_browser: false });
    },
  );

  t.test(
    'expired and canceled verifications refuse their links with their own answers; a used code ends the link',
    async (t) => {
      const { send, verifyLink, verifyCode, clock, app, acme } = await setup(t);
      const expiring = await send();
      clock.advance(11 * 60_000);
      t.match((await verifyLink({ token: expiring.token, browserBinding: browserA })).json(), {
        status: 410,
        code: 'code_expired',
      });
      const canceled = await send({ email: 'carol@acme.example' });
      await app.inject({ method: 'DELETE', url: `/verifications/${canceled.verificationId}`, headers: acme.auth });
      t.match((await verifyLink({ token: canceled.token, browserBinding: browserA })).json(), {
        status: 410,
        code: 'verification_canceled',
      });
      const used = await send({ email: 'dave@acme.example' });
      await verifyCode(acme.apiKey, { verificationId: used.verificationId, code: used.code });
      t.match((await verifyLink({ token: used.token, browserBinding: browserA })).json(), {
        status: 409,
        code: 'already_verified',
      });
    },
  );

  t.test("a resend's mail has its own link, and the earlier link still works", async (t) => {
    const { send, verifyLink, clock, state } = await setup(t);
    const first = await send();
    clock.advance(31_000);
    const second = await send();
    t.equal(second.verificationId, first.verificationId, 'the resend joined the verification');
    t.not(second.token, first.token);
    t.equal((await verifyLink({ token: first.token, browserBinding: browserA })).statusCode, 200);
    t.match(await state(first.verificationId), { status: 'verified', verifiedWith: 'link' });
    t.equal(
      (await verifyLink({ token: second.token, browserBinding: browserA })).statusCode,
      409,
      'and using one ends both',
    );
  });

  t.test('unknown links: 404, counted per client and IP, then 429 — while a real link still works', async (t) => {
    const { send, verifyLink } = await setup(t);
    const { token } = await send();
    const unknown = 'A'.repeat(32);
    const answers = [];
    for (let i = 0; i < 31; i++)
      answers.push(
        (await verifyLink({ token: unknown, browserBinding: browserA, endUserIp: '203.0.113.7' })).statusCode,
      );
    t.same(answers, [...Array(30).fill(404), 429]);
    const limited = await verifyLink({ token: unknown, endUserIp: '203.0.113.7' });
    t.ok(Number(limited.headers['retry-after']) > 0, 'with Retry-After');
    t.equal(
      (await verifyLink({ token: unknown, endUserIp: '198.51.100.1' })).statusCode,
      404,
      'another IP has its own count',
    );
    t.equal(
      (await verifyLink({ token, browserBinding: browserA, endUserIp: '203.0.113.7' })).statusCode,
      200,
      'never locking a pending link',
    );
  });

  t.test("another client's link is unknown to this client, and stays usable by its own", async (t) => {
    const { send, verifyLink, createClient, state } = await setup(t);
    const { token, verificationId } = await send();
    const globex = await createClient('Globex', ['globex.example']);
    t.match((await verifyLink({ token, browserBinding: browserA }, globex.apiKey)).json(), {
      status: 404,
      code: 'link_not_found',
    });
    t.match(await state(verificationId), { status: 'pending', attemptsRemaining: 5 });
    t.equal((await verifyLink({ token, browserBinding: browserA })).statusCode, 200);
  });

  t.test('whatever the body, a 4xx problem, and nothing of another client changes', async (t) => {
    const { send, verifyLink, createClient, state } = await setup(t);
    const { token, verificationId } = await send();
    const globex = await createClient('Globex', ['globex.example']);
    const text = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.constantFrom(
        token,
        `${token}\r\n`,
        `${token} `,
        token.slice(1),
        'A'.repeat(33),
        'x'.repeat(20_000),
        '\ud800'.repeat(32),
      ),
    );
    const value = fc.oneof(
      text,
      fc.integer(),
      fc.constant(null),
      fc.array(text, { maxLength: 2 }),
      fc.dictionary(fc.string({ maxLength: 5 }), text, { maxKeys: 2 }),
    );
    const body = fc.oneof(
      fc.record({ token: value, browserBinding: value }, { requiredKeys: [] }),
      fc.dictionary(fc.string({ maxLength: 12 }), value, { maxKeys: 3 }),
      value,
    );
    await fc.assert(
      fc.asyncProperty(body, async (payload) => {
        const response = await verifyLink(payload as Record<string, unknown>, globex.apiKey);
        if (response.statusCode < 400 || response.statusCode >= 500)
          throw new Error(`${response.statusCode} for ${JSON.stringify(payload).slice(0, 200)}`);
        if (!String(response.headers['content-type']).startsWith('application/problem+json'))
          throw new Error(`not a problem: ${response.body.slice(0, 200)}`);
      }),
      { numRuns: 150 },
    );
    t.match(
      await state(verificationId),
      { status: 'pending', attemptsRemaining: 5 },
      "the other client's verification is untouched",
    );
    t.equal((await verifyLink({ token, browserBinding: browserA })).statusCode, 200);
  });
});
