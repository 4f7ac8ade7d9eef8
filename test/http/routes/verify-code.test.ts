import type { Test } from 'tap';
import { createLocalJWKSet, jwtVerify, decodeProtectedHeader } from 'jose';
import { build } from '../../helpers/build.js';
import { onEachDatabase } from '../../helpers/databases.js';

await onEachDatabase(async (t) => {
  const minute = 60_000;

  async function setup(t: Test) {
    const ctx = await build(t);
    const acme = await ctx.createClient();
    const sent = await ctx.sendCode(acme.apiKey, { email: 'alice@acme.example', purpose: 'signup' });
    const verificationId = sent.json().verificationId as string;
    return { ...ctx, acme, verificationId, code: ctx.mail.codeFor('alice@acme.example') };
  }

  /** A six-digit code that is not `code`. */
  const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

  t.test('the right code answers 200 with an assertion that verifies against the JWKS', async (t) => {
    const { app, acme, verificationId, code, verifyCode, clock } = await setup(t);
    const response = await verifyCode(acme.apiKey, { verificationId, code });
    t.equal(response.statusCode, 200);
    const body = response.json();
    t.equal(body.verified, true);
    t.equal(body.expiresAt, new Date(clock.now() + 5 * minute).toISOString());

    const jwks = (await app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json();
    t.notOk(JSON.stringify(jwks).includes('"d"'), 'the private part is never published');
    const { payload, protectedHeader } = await jwtVerify(body.assertion, createLocalJWKSet(jwks), {
      issuer: 'http://mailcode.test',
      audience: acme.id,
      typ: 'verification+jwt',
      currentDate: new Date(clock.now()),
    });
    t.equal(protectedHeader.alg, 'EdDSA');
    t.equal(protectedHeader.kid, jwks.keys[0].kid);
    t.match(payload, {
      sub: 'alice@acme.example',
      email: 'alice@acme.example',
      email_verified: true,
      purpose: 'signup',
      amr: ['otp'],
      verification_method: 'email',
      jti: verificationId,
      auth_time: Math.floor(clock.now() / 1000),
      iat: Math.floor(clock.now() / 1000),
      exp: Math.floor(clock.now() / 1000) + 300,
    });
  });

  t.test('a verification is verified at most once', async (t) => {
    const { acme, verificationId, code, verifyCode } = await setup(t);
    t.equal((await verifyCode(acme.apiKey, { verificationId, code })).statusCode, 200);
    const again = await verifyCode(acme.apiKey, { verificationId, code });
    t.equal(again.statusCode, 409);
    t.equal(again.json().code, 'already_verified');
  });

  t.test('the latest pending verification can be named by email and purpose', async (t) => {
    const { acme, code, verifyCode } = await setup(t);
    const otherPurpose = await verifyCode(acme.apiKey, { email: 'alice@acme.example', purpose: 'login', code });
    t.equal(otherPurpose.statusCode, 404, 'a login verification is not a signup verification');
    const response = await verifyCode(acme.apiKey, { email: ' ALICE@acme.example', purpose: 'signup', code });
    t.equal(response.statusCode, 200);
  });

  t.test('wrong codes count down, and the last allowed attempt locks the verification', async (t) => {
    const { acme, verificationId, code, verifyCode } = await setup(t);
    for (let remaining = 4; remaining >= 0; remaining--) {
      const response = await verifyCode(acme.apiKey, { verificationId, code: wrong(code) });
      t.equal(response.statusCode, 422);
      t.match(response.json(), { code: 'invalid_code', attemptsRemaining: remaining });
    }
    const locked = await verifyCode(acme.apiKey, { verificationId, code });
    t.equal(locked.statusCode, 429, 'even the right code is refused once locked');
    t.equal(locked.json().code, 'too_many_attempts');
  });

  t.test('a code that is not six digits is a 400 and costs no attempt', async (t) => {
    const { app, acme, verificationId, verifyCode } = await setup(t);
    for (const code of ['12345', '1234567', 'abcdef', '12 456', '１２３４５６', 123456, '']) {
      const response = await verifyCode(acme.apiKey, { verificationId, code });
      t.equal(response.statusCode, 400, JSON.stringify(code));
    }
    const state = await app.inject({ method: 'GET', url: `/verifications/${verificationId}`, headers: acme.auth });
    t.equal(state.json().attemptsRemaining, 5);
    t.equal((await verifyCode(acme.apiKey, { code: '123456' })).statusCode, 400, 'no verification named');
    t.equal(
      (await verifyCode(acme.apiKey, { verificationId, email: 'alice@acme.example', code: '123456' })).statusCode,
      400,
      'both named',
    );
  });

  t.test(
    'a refused body is told what it got wrong in its own shape, not in the other shape of the either/or',
    async (t) => {
      const { acme, verificationId, verifyCode } = await setup(t);
      const detail = async (body: Record<string, unknown>) => {
        const response = await verifyCode(acme.apiKey, body);
        t.equal(response.statusCode, 400);
        return response.json().detail as string;
      };
      const sixDigits = 'must be six digits (0-9, no spaces), like 042917';
      t.equal(await detail({ verificationId, code: '12345' }), `body/code ${sixDigits}`, 'by id, five digits');
      t.equal(await detail({ verificationId, code: '123 456' }), `body/code ${sixDigits}`, 'by id, a space');
      t.equal(
        await detail({ email: 'alice@acme.example', purpose: 'signup', code: '12345' }),
        `body/code ${sixDigits}`,
        'by address',
      );
      t.equal(
        await detail({ email: 'alice@acme.example', purpose: 'later', code: '123456' }),
        'body/purpose must be one of: signup, login',
      );
      t.equal(await detail({ verificationId, code: 123456 }), 'body/code must be string');
      t.equal(
        await detail({ verificationId, code: '123456', endUserIp: '300.1.2.3' }),
        'body/endUserIp must be an IP address: a dotted quad (192.0.2.7) or an IPv6 address (2001:db8::7)',
      );
      const either =
        'body must be either {verificationId, code} or {email, code} with an optional purpose, not both (and endUserIp, optionally)';
      t.equal(await detail({ code: '123456' }), either, 'neither named');
      t.equal(await detail({ verificationId, email: 'alice@acme.example', code: '123456' }), either, 'both named');
      t.equal(
        await detail({ verificationId, code: '123456', extra: 1 }),
        'body has a member it does not take: "extra"',
        'an unknown member',
      );
    },
  );

  t.test('the code expires exactly at its lifetime', async (t) => {
    const { acme, verificationId, code, verifyCode, clock } = await setup(t);
    clock.advance(10 * minute - 1);
    const wrongBeforeExpiry = await verifyCode(acme.apiKey, { verificationId, code: wrong(code) });
    t.equal(wrongBeforeExpiry.statusCode, 422, 'one millisecond before expiry the code still counts');
    clock.advance(1);
    const expired = await verifyCode(acme.apiKey, { verificationId, code });
    t.equal(expired.statusCode, 410);
    t.equal(expired.json().code, 'code_expired');
  });

  t.test('a right code one millisecond before expiry verifies', async (t) => {
    const { acme, verificationId, code, verifyCode, clock } = await setup(t);
    clock.advance(10 * minute - 1);
    t.equal((await verifyCode(acme.apiKey, { verificationId, code })).statusCode, 200);
  });

  t.test('another client sees 404 for a verification it did not create', async (t) => {
    const { app, createClient, verificationId, code, verifyCode } = await setup(t);
    const other = await createClient('Other Portal', ['acme.example']);
    t.equal((await verifyCode(other.apiKey, { verificationId, code })).statusCode, 404);
    t.equal(
      (await app.inject({ method: 'GET', url: `/verifications/${verificationId}`, headers: other.auth })).statusCode,
      404,
    );
    t.equal(
      (await app.inject({ method: 'DELETE', url: `/verifications/${verificationId}`, headers: other.auth })).statusCode,
      404,
    );
    t.equal(
      (await verifyCode(other.apiKey, { verificationId: 'vf_doesnotexist', code })).json().code,
      'verification_not_found',
    );
  });

  t.test("another client's attempts leave a verification untouched: no attempt counted, nothing locked", async (t) => {
    const { app, acme, createClient, verificationId, code, verifyCode } = await setup(t);
    const other = await createClient('Other Portal', ['acme.example']);
    for (let i = 0; i < 6; i++) {
      const probe = await verifyCode(other.apiKey, { verificationId, code: wrong(code) });
      t.equal(probe.statusCode, 404, `probe ${i + 1} is a 404`);
    }
    t.equal(
      (await app.inject({ method: 'DELETE', url: `/verifications/${verificationId}`, headers: other.auth })).statusCode,
      404,
    );
    const view = await app.inject({ method: 'GET', url: `/verifications/${verificationId}`, headers: acme.auth });
    t.match(view.json(), { status: 'pending', attemptsRemaining: 5 }, "the owner's verification is as it was");
    t.equal(
      (await verifyCode(acme.apiKey, { verificationId, code })).statusCode,
      200,
      'and the right code still verifies',
    );
  });

  t.test('resend joins the pending verification and earlier codes stay valid (the newest three)', async (t) => {
    const { acme, sendCode, verifyCode, mail, clock, verificationId } = await setup(t);
    const codes = [mail.codeFor('alice@acme.example')];
    for (let i = 0; i < 3; i++) {
      clock.advance(30_000);
      const resent = await sendCode(acme.apiKey, { email: 'alice@acme.example', purpose: 'signup' });
      t.equal(resent.statusCode, 202);
      t.equal(resent.json().verificationId, verificationId, 'same verification');
      codes.push(mail.codeFor('alice@acme.example'));
    }
    t.equal(mail.sent.length, 4, 'four mails');
    // codes[0] has been pushed out by three newer codes; one wrong attempt is spent on it.
    const oldest = await verifyCode(acme.apiKey, { verificationId, code: codes[0]! });
    if (new Set(codes).size === codes.length)
      t.equal(oldest.statusCode, 422, 'the fourth-newest code is no longer valid');
    const fromSecondMail = await verifyCode(acme.apiKey, { verificationId, code: codes[1]! });
    t.equal(fromSecondMail.statusCode, 200, 'a code from an earlier mail still verifies');
  });

  t.test('wrong attempts count across the whole verification, not per code', async (t) => {
    const { acme, sendCode, verifyCode, mail, clock, verificationId, code } = await setup(t);
    for (let i = 0; i < 3; i++)
      await verifyCode(acme.apiKey, { verificationId, code: '000000' === code ? '000001' : '000000' });
    clock.advance(30_000);
    const resent = await sendCode(acme.apiKey, { email: 'alice@acme.example', purpose: 'signup' });
    t.equal(resent.json().maxAttempts, 5);
    const newest = mail.codeFor('alice@acme.example');
    const bad = ['000000', '000001', '000002'].find((c) => c !== code && c !== newest)!;
    const response = await verifyCode(acme.apiKey, { verificationId, code: bad });
    t.equal(response.json().attemptsRemaining, 1, 'the resend did not refill the attempts');
  });

  t.test('after expiry a send starts a new verification', async (t) => {
    const { acme, sendCode, clock, verificationId } = await setup(t);
    clock.advance(10 * minute);
    const fresh = await sendCode(acme.apiKey, { email: 'alice@acme.example', purpose: 'signup' });
    t.equal(fresh.statusCode, 202);
    t.not(fresh.json().verificationId, verificationId);
  });

  t.test('a canceled verification no longer accepts its code, and says it was canceled (not expired)', async (t) => {
    const { app, acme, verificationId, code, verifyCode } = await setup(t);
    const canceled = await app.inject({
      method: 'DELETE',
      url: `/verifications/${verificationId}`,
      headers: acme.auth,
    });
    t.equal(canceled.statusCode, 204);
    const state = await app.inject({ method: 'GET', url: `/verifications/${verificationId}`, headers: acme.auth });
    t.equal(state.json().status, 'canceled');
    const response = await verifyCode(acme.apiKey, { verificationId, code });
    t.equal(response.statusCode, 410);
    t.equal(response.json().code, 'verification_canceled');
    t.equal(response.json().title, 'Verification canceled');
    const byAddress = await verifyCode(acme.apiKey, { email: 'alice@acme.example', purpose: 'signup', code });
    t.equal(byAddress.json().code, 'verification_canceled', 'by address too');
  });

  t.test('the signing key is an Ed25519 key with a kid', async (t) => {
    const { acme, verificationId, code, verifyCode } = await setup(t);
    const { assertion } = (await verifyCode(acme.apiKey, { verificationId, code })).json();
    t.match(decodeProtectedHeader(assertion), { alg: 'EdDSA', typ: 'verification+jwt', kid: /^[A-Za-z0-9_-]{43}$/ });
  });
});
