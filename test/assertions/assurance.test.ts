// Every kind of assertion mailcode signs, decoded, with its `amr` (RFC 8176 values only) and
// `acr` held to the table in docs/AUTHENTICATOR-APPS.md; two factors only when mailcode
// checked both; and a portal that demands a level gets only that level.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import * as OTPAuth from 'otpauth';
import {
  AssertionError,
  assuranceLevels,
  FirstFactorRefusedError,
  MailcodeClient,
  verifyAssertion,
  verifySecondFactorAssertion,
} from '../../src/sdk/index.js';
import { packageRoot } from '../../src/shared/paths.js';
import { build, byPortal } from '../helpers/build.js';
import { onEachDatabase } from '../helpers/databases.js';
import { SoftAuthenticator } from '../helpers/soft-authenticator.js';

/** The values RFC 8176 registers (section 2). */
const rfc8176 = new Set([
  'face',
  'fpt',
  'geo',
  'hwk',
  'iris',
  'kba',
  'mca',
  'mfa',
  'otp',
  'pin',
  'pwd',
  'rba',
  'retina',
  'sc',
  'sms',
  'swk',
  'tel',
  'user',
  'vbm',
  'wia',
]);

await onEachDatabase(async (t) => {
  t.test(
    'each assertion kind: amr from RFC 8176, acr as the table says; mfa only when mailcode checked both',
    async (t) => {
      const { app, createClient, mail, clock, sendCode } = await build(t);
      const acme = await createClient();
      const address = await app.listen({ port: 0, host: '127.0.0.1' });
      const client = new MailcodeClient({ baseUrl: address, apiKey: acme.apiKey });
      const jwks = createLocalJWKSet((await app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json());
      const decoded = async (token: string) =>
        (
          await jwtVerify(token, jwks, {
            issuer: 'http://mailcode.test',
            audience: acme.id,
            currentDate: new Date(clock.now()),
          })
        ).payload;

      // An email code for the person, then their app: alone, and with the email assertion.
      await sendCode(acme.apiKey, { email: 'pat@acme.example', userRef: 'u-1' });
      const email = await client.verifyCode({ email: 'pat@acme.example', code: mail.codeFor('pat@acme.example') });
      const enrolment = await app.mailcode.totp.enroll(acme, { userRef: 'u-1', accountName: 'pat@acme.example' });
      const phone = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(enrolment.secret) });
      const { recoveryCodes } = await app.mailcode.totp.confirm(
        acme,
        enrolment.enrollmentId,
        phone.generate({ timestamp: clock.now() }),
        byPortal,
      );
      // Each sign-in a step later: a step is accepted once.
      const code = () => {
        clock.advance(30_000);
        return phone.generate({ timestamp: clock.now() });
      };
      const appAlone = await client.verifyTotp({ userRef: 'u-1', code: code() });
      const appAfterEmail = await client.verifyTotp({ userRef: 'u-1', code: code(), firstFactor: email.assertion });
      const recoveryAfterEmail = await client.recoverTotp({
        userRef: 'u-1',
        recoveryCode: recoveryCodes[0]!,
        firstFactor: email.assertion,
      });
      const recoveryAlone = await client.recoverTotp({ userRef: 'u-1', recoveryCode: recoveryCodes[1]! });
      const binding = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
      const trusted = await client.trustBrowser('u-1', { browserBinding: binding, label: 'Laptop' });
      const standIn = await client.signInTrustedBrowser('u-1', { token: trusted.token, browserBinding: binding });
      // Passkeys: a key on this device that verified the person; a synced one that saw them present.
      const origin = 'http://localhost:4100';
      await app.mailcode.passkeySettings.setUp(acme, { rpId: 'localhost', origins: [origin], alone: true }, byPortal);
      const passkeySignIn = async (device: SoftAuthenticator, firstFactor?: string) => {
        const registration = await client.startPasskeyRegistration('u-1');
        if (!device.userHandle)
          await client.finishPasskeyRegistration('u-1', device.register(registration as never, origin) as never);
        const options = await client.startPasskeySignIn({ userRef: 'u-1' });
        return client.finishPasskeySignIn(device.authenticate(options as never, origin) as never, { firstFactor });
      };
      const laptop = new SoftAuthenticator();
      const passkeyAlone = await passkeySignIn(laptop);
      const passkeyAfterEmail = await passkeySignIn(laptop, email.assertion);
      const syncedPresent = await passkeySignIn(new SoftAuthenticator({ synced: true, userVerified: false }));

      const table: [string, string, string[], string][] = [
        ['an email code', email.assertion, ['otp'], assuranceLevels.oneFactor],
        ['an app code alone', appAlone.assertion, ['otp'], assuranceLevels.oneFactor],
        ['an app code after the email code', appAfterEmail.assertion, ['otp', 'mfa'], assuranceLevels.twoFactors],
        [
          'a recovery code after the email code',
          recoveryAfterEmail.assertion,
          ['otp', 'mfa'],
          assuranceLevels.twoFactors,
        ],
        ['a recovery code alone', recoveryAlone.assertion, ['otp'], assuranceLevels.oneFactor],
        ['a trusted browser standing in', standIn.assertion, [], assuranceLevels.trustedBrowser],
        [
          'a passkey that verified the person',
          passkeyAlone.assertion,
          ['hwk', 'user', 'mfa'],
          assuranceLevels.twoFactors,
        ],
        [
          'a passkey after the email code',
          passkeyAfterEmail.assertion,
          ['otp', 'hwk', 'user', 'mfa'],
          assuranceLevels.twoFactors,
        ],
        ['a synced passkey, the person only present', syncedPresent.assertion, ['swk'], assuranceLevels.oneFactor],
      ];
      const documented = readFileSync(join(packageRoot, 'docs/AUTHENTICATOR-APPS.md'), 'utf8');
      for (const [kind, token, amr, acr] of table) {
        const claims = await decoded(token);
        t.same(claims.amr, amr, `${kind}: amr`);
        t.ok(
          (claims.amr as string[]).every((value) => rfc8176.has(value)),
          `${kind}: RFC 8176 values only`,
        );
        t.equal(claims.acr, acr, `${kind}: acr`);
        t.ok(documented.includes(acr), `${kind}: its acr is in the documented table`);
      }
    },
  );

  t.test(
    'a first factor that is not this person’s fresh email assertion is refused, and costs no attempt',
    async (t) => {
      const { app, createClient, mail, clock, sendCode } = await build(t);
      const acme = await createClient();
      const globex = await createClient('Globex', ['acme.example']);
      const address = await app.listen({ port: 0, host: '127.0.0.1' });
      const acmeClient = new MailcodeClient({ baseUrl: address, apiKey: acme.apiKey });
      const globexClient = new MailcodeClient({ baseUrl: address, apiKey: globex.apiKey });
      const enrolment = await app.mailcode.totp.enroll(acme, { userRef: 'u-1', accountName: 'pat@acme.example' });
      const phone = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(enrolment.secret) });
      await app.mailcode.totp.confirm(
        acme,
        enrolment.enrollmentId,
        phone.generate({ timestamp: clock.now() }),
        byPortal,
      );
      const emailOf = async (client: MailcodeClient, apiKey: string, userRef?: string) => {
        await sendCode(apiKey, { email: 'pat@acme.example', ...(userRef ? { userRef } : {}) });
        return (await client.verifyCode({ email: 'pat@acme.example', code: mail.codeFor('pat@acme.example') }))
          .assertion;
      };
      const otherPerson = await emailOf(acmeClient, acme.apiKey, 'u-2');
      clock.advance(31_000);
      const noPerson = await emailOf(acmeClient, acme.apiKey);
      clock.advance(31_000);
      const otherClient = await emailOf(globexClient, globex.apiKey, 'u-1');
      clock.advance(31_000);
      const expired = await emailOf(acmeClient, acme.apiKey, 'u-1');
      const appAssertion = (
        await acmeClient.verifyTotp({ userRef: 'u-1', code: phone.generate({ timestamp: clock.now() + 30_000 }) })
      ).assertion;
      clock.advance(301_000);
      for (const [why, firstFactor] of [
        ['another person', otherPerson],
        ['a code sent for no one', noPerson],
        ["another client's", otherClient],
        ['expired', expired],
        ['an app assertion, not an email one', appAssertion],
        ['a forged one', `${expired.slice(0, -4)}AAAA`],
      ] as const) {
        const refused = await acmeClient
          .verifyTotp({ userRef: 'u-1', code: '000000', firstFactor })
          .catch((e: unknown) => e);
        t.type(refused, FirstFactorRefusedError, why);
      }
      t.match(await acmeClient.totpStatus('u-1'), { enabled: true }, 'still enabled');
      const factor = await app.mailcode.store.totpFactors.active(acme.id, 'u-1');
      t.equal(factor?.failedAttempts, 0, 'no attempt was counted for any of them');
    },
  );

  t.test('a portal that demands two factors refuses one', async (t) => {
    const { app, createClient, mail, clock, sendCode } = await build(t);
    const acme = await createClient();
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const client = new MailcodeClient({ baseUrl: address, apiKey: acme.apiKey });
    await sendCode(acme.apiKey, { email: 'pat@acme.example', userRef: 'u-1' });
    const email = await client.verifyCode({ email: 'pat@acme.example', code: mail.codeFor('pat@acme.example') });
    const options = {
      issuer: 'http://mailcode.test',
      audience: acme.id,
      jwksUrl: `${address}/.well-known/jwks.json`,
      currentDate: new Date(clock.now()),
    };
    await t.rejects(
      verifyAssertion(email.assertion, { ...options, acr: [assuranceLevels.twoFactors] }),
      AssertionError,
      'an email code alone is one factor',
    );
    t.equal(
      (await verifyAssertion(email.assertion, { ...options, acr: [assuranceLevels.oneFactor] })).acr,
      assuranceLevels.oneFactor,
    );
    const enrolment = await app.mailcode.totp.enroll(acme, { userRef: 'u-1', accountName: 'pat@acme.example' });
    const phone = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(enrolment.secret) });
    await app.mailcode.totp.confirm(acme, enrolment.enrollmentId, phone.generate({ timestamp: clock.now() }), byPortal);
    const both = await client.verifyTotp({
      userRef: 'u-1',
      code: phone.generate({ timestamp: clock.now() + 30_000 }),
      firstFactor: email.assertion,
    });
    const claims = await verifySecondFactorAssertion(both.assertion, {
      ...options,
      userRef: 'u-1',
      acr: [assuranceLevels.twoFactors],
    });
    t.same(claims.amr, ['otp', 'mfa']);
    t.equal(decodeJwt(both.assertion).user_ref, 'u-1');
  });
});
