// Authenticator apps (RFC 6238) and recovery codes, through the HTTP API with an injected clock.
import type { Test } from 'tap';
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import * as OTPAuth from 'otpauth';
import { Resvg } from '@resvg/resvg-js';
import jsQRModule from 'jsqr';
import { PNG } from 'pngjs';
import { codeSecrets } from '../../src/shared/config.js';
import { deriveKeys, seal } from '../../src/shared/secrets.js';
import { buildApp } from '../../src/main/app.js';
import { build, LogCapture } from '../helpers/build.js';
import { databaseText } from '../helpers/databases.js';
import { onEachDatabase } from '../helpers/databases.js';

await onEachDatabase(async (t) => {
  // jsqr is CommonJS with its function on `exports.default`.
  const jsQR = jsQRModule.default;
  const step = 30_000;
  /** RFC 6238 appendix B: the SHA-1 seed "12345678901234567890" … */
  const rfcSecret = OTPAuth.Secret.fromLatin1('12345678901234567890').base32;
  /** … and its eight-digit values; an app shows the last six digits (the same truncation mod 10^6). */
  const rfcVectors: [seconds: number, eightDigits: string][] = [
    [59, '94287082'],
    [1111111109, '07081804'],
    [1111111111, '14050471'],
    [1234567890, '89005924'],
    [2000000000, '69279037'],
    [20000000000, '65353130'],
  ];

  async function setup(t: Test) {
    const ctx = await build(t);
    const acme = await ctx.createClient('Acme Portal');
    const call = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: Record<string, unknown>) =>
      ctx.app.inject({ method, url, headers: acme.auth, ...(payload ? { payload } : {}) });
    /** Enrols and confirms a factor for the user; returns its secret and recovery codes. */
    async function enable(userRef: string) {
      const enrollment = (
        await call('POST', '/totp/enrollments', { userRef, accountName: `${userRef}@acme.example` })
      ).json();
      const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(enrollment.secret) });
      const confirmed = await call('POST', `/totp/enrollments/${enrollment.enrollmentId}/confirm`, {
        code: totp.generate({ timestamp: ctx.clock.now() }),
      });
      return { enrollment, totp, recoveryCodes: confirmed.json().recoveryCodes as string[], confirmed };
    }
    return { ...ctx, acme, call, enable };
  }

  t.test('enrolment: issuer is the client, SHA-1 / 6 digits / 30 s, a secret for manual entry', async (t) => {
    const { call } = await setup(t);
    const response = await call('POST', '/totp/enrollments', { userRef: 'user-1', accountName: 'alice@acme.example' });
    t.equal(response.statusCode, 201);
    const body = response.json();
    t.match(body.secret, /^[A-Z2-7]{32}$/, '160-bit base32 secret');
    const uri = OTPAuth.URI.parse(body.otpauthUri) as OTPAuth.TOTP;
    t.equal(uri.issuer, 'Acme Portal');
    t.equal(uri.label, 'alice@acme.example');
    t.same([uri.algorithm, uri.digits, uri.period], ['SHA1', 6, 30]);
    t.equal(uri.secret.base32, body.secret);
    t.match(body.qrSvg, /^<svg[\s\S]*<\/svg>\s*$/);
  });

  t.test('the QR code decodes back to exactly the otpauthUri', async (t) => {
    const { call } = await setup(t);
    const body = (
      await call('POST', '/totp/enrollments', { userRef: 'user-qr', accountName: 'Ærøskøbing dana+2fa@acme.example' })
    ).json();
    const png = PNG.sync.read(
      new Resvg(body.qrSvg, { fitTo: { mode: 'width', value: 400 }, background: 'white' }).render().asPng(),
    );
    const decoded = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
    t.equal(decoded?.data, body.otpauthUri);
  });

  t.test('RFC 6238 test vectors pass through confirmation and the verify path', async (t) => {
    const { app, call, clock, acme, config } = await setup(t);
    const [first, ...rest] = rfcVectors;
    clock.time = first![0] * 1000;
    await app.mailcode.store.totpFactors.create({
      id: 'te_rfc6238',
      clientId: acme.id,
      userRef: 'rfc',
      accountName: 'rfc@acme.example',
      secretEncrypted: seal(deriveKeys(codeSecrets(config), 'totp-secrets')[0]!, rfcSecret),
      createdAt: clock.now(),
      expiresAt: clock.now() + 600_000,
    });
    const confirmed = await call('POST', '/totp/enrollments/te_rfc6238/confirm', { code: first![1].slice(2) });
    t.equal(confirmed.statusCode, 200, `T=${first![0]}: ${first![1]}`);
    for (const [seconds, value] of rest) {
      clock.time = seconds * 1000;
      const verified = await call('POST', '/totp/verify', { userRef: 'rfc', code: value.slice(2) });
      t.equal(verified.statusCode, 200, `T=${seconds}: ${value}`);
    }
  });

  t.test('the step before and after pass, two steps away fail, and a step is never accepted twice', async (t) => {
    const { call, clock, enable } = await setup(t);
    const { totp } = await enable('user-w');
    const codeAt = (offsetSteps: number) => totp.generate({ timestamp: clock.now() + offsetSteps * step });
    const verify = (code: string) => call('POST', '/totp/verify', { userRef: 'user-w', code });

    clock.advance(10 * step);
    t.equal((await verify(codeAt(-2))).statusCode, 422, 'two steps behind');
    t.equal((await verify(codeAt(2))).statusCode, 422, 'two steps ahead');
    t.equal((await verify(codeAt(-1))).statusCode, 200, 'the step before');
    const replay = await verify(codeAt(-1));
    t.equal(replay.statusCode, 422, 'the same code again is a replay');
    t.equal(replay.json().code, 'invalid_code');
    t.equal((await verify(codeAt(0))).statusCode, 200, 'the current step');
    t.equal((await verify(codeAt(-1))).statusCode, 422, 'an older step after a newer one');
    t.equal((await verify(codeAt(1))).statusCode, 200, 'the step after');
    t.equal((await verify(codeAt(1))).statusCode, 422, 'and not twice');
  });

  t.test('the assertion says what was checked: amr otp, verification_method totp, sub = userRef', async (t) => {
    const { app, call, clock, enable, acme } = await setup(t);
    const { totp } = await enable('user-a');
    clock.advance(step);
    const body = (
      await call('POST', '/totp/verify', { userRef: 'user-a', code: totp.generate({ timestamp: clock.now() }) })
    ).json();
    t.equal(body.method, 'totp');
    const jwks = createLocalJWKSet((await app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json());
    const { payload, protectedHeader } = await jwtVerify(body.assertion, jwks, {
      issuer: 'http://mailcode.test',
      audience: acme.id,
      currentDate: new Date(clock.now()),
    });
    t.equal(protectedHeader.alg, 'EdDSA');
    t.equal(payload.sub, 'user-a');
    t.same(payload.amr, ['otp']);
    t.equal(payload.verification_method, 'totp');
    t.notOk('email' in payload, 'no email claim: an app code says nothing about a mailbox');
  });

  t.test('confirmation: a wrong code is refused, an unconfirmed enrolment expires after 10 minutes', async (t) => {
    const { call, clock } = await setup(t);
    const enrollment = (
      await call('POST', '/totp/enrollments', { userRef: 'user-e', accountName: 'e@acme.example' })
    ).json();
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(enrollment.secret) });
    const wrong = totp.generate({ timestamp: clock.now() }) === '000000' ? '000001' : '000000';
    const refused = await call('POST', `/totp/enrollments/${enrollment.enrollmentId}/confirm`, { code: wrong });
    t.equal(refused.statusCode, 422);
    t.equal(refused.json().attemptsRemaining, 4);
    t.equal((await call('GET', '/totp/user-e')).json().enabled, false, 'not enabled before confirmation');
    clock.advance(10 * 60_000);
    const late = await call('POST', `/totp/enrollments/${enrollment.enrollmentId}/confirm`, {
      code: totp.generate({ timestamp: clock.now() }),
    });
    t.equal(late.statusCode, 404);
    t.equal(late.json().code, 'enrollment_not_found');
  });

  t.test('recovery codes: ten, each works once, regenerated on demand (the old ones stop working)', async (t) => {
    const { call, enable } = await setup(t);
    const { recoveryCodes, confirmed } = await enable('user-r');
    t.equal(confirmed.json().enabled, true);
    t.equal(recoveryCodes.length, 10);
    t.equal(new Set(recoveryCodes).size, 10);
    const recover = (recoveryCode: string) => call('POST', '/totp/recover', { userRef: 'user-r', recoveryCode });
    const used = await recover(recoveryCodes[0]!.toUpperCase().replace('-', ' '));
    t.equal(used.statusCode, 200, 'case and separator do not matter');
    t.equal(decodeJwt(used.json().assertion).verification_method, 'recovery_code');
    t.equal((await recover(recoveryCodes[0]!)).statusCode, 422, 'a used code fails');
    t.equal((await call('GET', '/totp/user-r')).json().recoveryCodesLeft, 9);
    const fresh = (await call('POST', '/totp/user-r/recovery-codes')).json().recoveryCodes as string[];
    t.equal(fresh.length, 10);
    t.equal((await recover(recoveryCodes[1]!)).statusCode, 422, 'an old code fails after regeneration');
    t.equal((await recover(fresh[0]!)).statusCode, 200, 'a new one works');
  });

  t.test('lockout: MAX_ATTEMPTS wrong codes lock the factor for 15 minutes', async (t) => {
    const { call, clock, enable } = await setup(t);
    const { totp } = await enable('user-l');
    clock.advance(step);
    const right = () => totp.generate({ timestamp: clock.now() });
    const wrong = () => (right() === '000000' ? '000001' : '000000');
    for (let i = 4; i >= 0; i--)
      t.equal((await call('POST', '/totp/verify', { userRef: 'user-l', code: wrong() })).json().attemptsRemaining, i);
    const locked = await call('POST', '/totp/verify', { userRef: 'user-l', code: right() });
    t.equal(locked.statusCode, 429, 'even the right code is refused while locked');
    t.equal(locked.headers['retry-after'], '900');
    t.equal(
      (await call('POST', '/totp/recover', { userRef: 'user-l', recoveryCode: 'aaaaa-bbbbb' })).statusCode,
      429,
      'recovery codes too',
    );
    clock.advance(15 * 60_000);
    t.equal(
      (await call('POST', '/totp/verify', { userRef: 'user-l', code: right() })).statusCode,
      200,
      'after the lock',
    );
  });

  t.test('support reset: the factor is disabled, the reset audited, a new enrolment possible', async (t) => {
    const { call, enable, logs, clock } = await setup(t);
    const { totp } = await enable('user-reset');
    t.equal(
      (await call('POST', '/totp/enrollments', { userRef: 'user-reset', accountName: 'x' })).statusCode,
      409,
      'one factor at a time',
    );
    const status = (await call('GET', '/totp/user-reset')).json();
    t.same(status, {
      userRef: 'user-reset',
      enabled: true,
      required: false,
      enabledSince: new Date(clock.now()).toISOString(),
      recoveryCodesLeft: 10,
    });
    t.equal((await call('DELETE', '/totp/user-reset')).statusCode, 204);
    t.match(logs.text, /"outcome":"totp_reset"/, 'audited');
    t.match(logs.text, /"userRef":"us\*\*\*et"/, 'with the user reference masked');
    t.same((await call('GET', '/totp/user-reset')).json(), {
      userRef: 'user-reset',
      enabled: false,
      required: false,
      enabledSince: null,
      recoveryCodesLeft: 0,
    });
    clock.advance(step);
    const afterReset = await call('POST', '/totp/verify', {
      userRef: 'user-reset',
      code: totp.generate({ timestamp: clock.now() }),
    });
    t.equal(afterReset.statusCode, 404);
    t.equal(afterReset.json().code, 'totp_not_enabled');
    t.equal((await call('DELETE', '/totp/user-reset')).statusCode, 404, 'nothing left to reset');
    t.equal(
      (await call('POST', '/totp/enrollments', { userRef: 'user-reset', accountName: 'x' })).statusCode,
      201,
      'enrol again',
    );
  });

  t.test(
    "a client's second-factor policy: GET /totp/:userRef says required, for every user of that client only",
    async (t) => {
      const { call, enable, app, acme, createClient } = await setup(t);
      t.match((await call('GET', '/totp/new-user')).json(), { enabled: false, required: false }, 'optional by default');
      await app.mailcode.clients.update(acme.id, { secondFactor: 'required' }, { actor: 'cli', requestId: null });
      t.match(
        (await call('GET', '/totp/new-user')).json(),
        { userRef: 'new-user', enabled: false, required: true },
        'a person without an app: enrol before the account opens',
      );
      await enable('new-user');
      t.match((await call('GET', '/totp/new-user')).json(), { enabled: true, required: true });
      const other = await createClient('Globex', ['globex.example']);
      t.match(
        (await app.inject({ method: 'GET', url: '/totp/new-user', headers: other.auth })).json(),
        { enabled: false, required: false },
        "another client's policy is its own",
      );
    },
  );

  t.test('secrets are encrypted at rest and recovery codes stored as hashes', async (t) => {
    const { enable, config, dir } = await setup(t);
    const { enrollment, recoveryCodes } = await enable('user-s');
    const stored = await databaseText(config.DATABASE_URL, dir);
    t.match(stored, /user-s/, 'the dump holds the factor');
    t.notOk(stored.includes(enrollment.secret), 'no secret in the database');
    for (const code of recoveryCodes)
      t.notOk(stored.includes(code.replace('-', '')) || stored.includes(code), 'no recovery code in the database');
  });

  t.test('input is validated strictly', async (t) => {
    const { call } = await setup(t);
    for (const payload of [
      { userRef: '', accountName: 'a' },
      { userRef: 'a\nb', accountName: 'a' },
      { userRef: 'a', accountName: 'x'.repeat(201) },
      { userRef: 'a', accountName: 'a', extra: 1 },
      { userRef: 42, accountName: 'a' },
    ]) {
      t.equal((await call('POST', '/totp/enrollments', payload)).statusCode, 400, JSON.stringify(payload));
    }
    t.equal((await call('POST', '/totp/verify', { userRef: 'a', code: '12345' })).statusCode, 400);
    t.equal((await call('POST', '/totp/verify', { userRef: 'nobody', code: '123456' })).statusCode, 404);
  });

  t.test(
    'CODE_SECRET rotation: factors and recovery codes made under the old secret keep working, and move to the new one',
    async (t) => {
      const oldSecret = 'old-secret-0123456789abcdef0123456789abcdef';
      const first = await build(t, { env: { CODE_SECRET: oldSecret } });
      const acme = await first.createClient();
      const headers = acme.auth;
      const enrollment = (
        await first.app.inject({
          method: 'POST',
          url: '/totp/enrollments',
          headers,
          payload: { userRef: 'user-rot', accountName: 'r@acme.example' },
        })
      ).json();
      const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(enrollment.secret) });
      const confirm = { code: totp.generate({ timestamp: first.clock.now() }) };
      const { recoveryCodes } = (
        await first.app.inject({
          method: 'POST',
          url: `/totp/enrollments/${enrollment.enrollmentId}/confirm`,
          headers,
          payload: confirm,
        })
      ).json();
      await first.app.close();
      /** The same database, restarted with other secrets. */
      const restartWith = async (codeSecret: string) => {
        const app = await buildApp(first.configWith({ CODE_SECRET: codeSecret }), {
          now: first.clock.now,
          transport: first.mail,
          logStream: new LogCapture(),
          startWorker: false,
        });
        t.teardown(() => app.close());
        return app;
      };

      const rotated = await restartWith(`new-secret-fedcba9876543210fedcba9876543210,${oldSecret}`);
      first.clock.advance(step);
      const verified = await rotated.inject({
        method: 'POST',
        url: '/totp/verify',
        headers,
        payload: { userRef: 'user-rot', code: totp.generate({ timestamp: first.clock.now() }) },
      });
      t.equal(verified.statusCode, 200, 'the secret sealed under the old secret still opens');
      const recovered = await rotated.inject({
        method: 'POST',
        url: '/totp/recover',
        headers,
        payload: { userRef: 'user-rot', recoveryCode: recoveryCodes[0] },
      });
      t.equal(recovered.statusCode, 200, 'a recovery code hashed under the old secret still matches');
      await rotated.close();

      // The verify above re-sealed the secret: the old CODE_SECRET can go.
      const onlyNew = await restartWith('new-secret-fedcba9876543210fedcba9876543210');
      first.clock.advance(step);
      const later = await onlyNew.inject({
        method: 'POST',
        url: '/totp/verify',
        headers,
        payload: { userRef: 'user-rot', code: totp.generate({ timestamp: first.clock.now() }) },
      });
      t.equal(later.statusCode, 200, 'the factor works with the new secret alone');
    },
  );
});
