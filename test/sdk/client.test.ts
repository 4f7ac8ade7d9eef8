import * as OTPAuth from 'otpauth';
import {
  AddressUndeliverableError,
  AssertionError,
  EnrollmentNotFoundError,
  InvalidCodeError,
  MailcodeClient,
  MemoryReplayStore,
  RateLimitedError,
  SuppressionNotFoundError,
  TotpAlreadyEnabledError,
  TotpNotEnabledError,
  VerificationCanceledError,
  deliveryNotice,
  deliveryReason,
  verifyAssertion,
  verifySecondFactorAssertion,
} from '../../src/sdk/index.js';
import { build } from '../helpers/build.js';
import { onEachDatabase } from '../helpers/databases.js';
import { scriptedSmtpServer } from '../helpers/scripted-smtp.js';
import { smtpTransport } from '../../src/mail/transport.js';

await onEachDatabase(async (t) => {
  t.test('the typed client: send, verify, state, typed errors, and an assertion accepted once', async (t) => {
    const { app, createClient, mail, clock } = await build(t);
    const acme = await createClient();
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const client = new MailcodeClient({ baseUrl: `${address}/`, apiKey: acme.apiKey });

    const sent = await client.sendCode({ email: 'fay@acme.example', purpose: 'signup' });
    t.match(sent, { email: 'fay@acme.example', purpose: 'signup', maxAttempts: 5 });
    await app.mailcode.worker.runOnce();
    const code = mail.codeFor('fay@acme.example');

    const again = await client.sendCode({ email: 'fay@acme.example', purpose: 'signup' }).catch((e: unknown) => e);
    t.type(again, RateLimitedError);
    t.ok((again as RateLimitedError).retryAfter > 0);

    const wrong = await client
      .verifyCode({ verificationId: sent.verificationId, code: code === '000000' ? '000001' : '000000' })
      .catch((e: unknown) => e);
    t.type(wrong, InvalidCodeError);
    t.equal((wrong as InvalidCodeError).attemptsRemaining, 4);
    t.equal((wrong as InvalidCodeError).code, 'invalid_code');

    const { assertion } = await client.verifyCode({ email: 'fay@acme.example', purpose: 'signup', code });
    t.match(await client.getVerification(sent.verificationId), { status: 'verified', delivery: 'sent' });

    const options = {
      issuer: 'http://mailcode.test',
      audience: acme.id,
      jwksUrl: `${address}/.well-known/jwks.json`,
      currentDate: new Date(clock.now()),
    };
    await t.rejects(
      verifyAssertion(assertion, { ...options, purpose: 'login' }),
      AssertionError,
      'a sign-up token is not a login',
    );
    await t.rejects(
      verifyAssertion(assertion, { ...options, email: 'other@acme.example' }),
      AssertionError,
      'another address',
    );
    await t.rejects(verifyAssertion(assertion, { ...options, audience: 'cl_other' }), 'another client');
    const replayStore = new MemoryReplayStore(clock.now);
    const claims = await verifyAssertion(assertion, {
      ...options,
      purpose: 'signup',
      email: 'FAY@acme.example',
      replayStore,
    });
    t.equal(claims.email, 'fay@acme.example');
    await t.rejects(verifyAssertion(assertion, { ...options, replayStore }), { message: 'assertion already used' });

    clock.advance(60_000);
    const next = await client.sendCode({ email: 'fay@acme.example', purpose: 'login' });
    await app.mailcode.worker.runOnce();
    const nextCode = mail.codeFor('fay@acme.example');
    await client.cancelVerification(next.verificationId);
    const canceled = await client
      .verifyCode({ verificationId: next.verificationId, code: nextCode })
      .catch((e: unknown) => e);
    t.type(canceled, VerificationCanceledError, 'a canceled verification is told apart from an expired one');
    t.equal((canceled as VerificationCanceledError).code, 'verification_canceled');
  });

  t.test('the typed client: a person, their proven address, and an assertion held to them', async (t) => {
    const { app, createClient, mail, clock } = await build(t);
    const acme = await createClient();
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const client = new MailcodeClient({ baseUrl: address, apiKey: acme.apiKey });
    await client.sendCode({ email: 'uma@acme.example', userRef: 'u-5' });
    await app.mailcode.worker.runOnce();
    const { assertion } = await client.verifyCode({
      email: 'uma@acme.example',
      purpose: 'login',
      code: mail.codeFor('uma@acme.example'),
    });
    t.match(await client.getPerson('u-5'), { userRef: 'u-5', addresses: [{ email: 'uma@acme.example' }] });
    const options = {
      issuer: 'http://mailcode.test',
      audience: acme.id,
      jwksUrl: `${address}/.well-known/jwks.json`,
      currentDate: new Date(clock.now()),
    };
    t.equal((await verifyAssertion(assertion, { ...options, userRef: 'u-5' })).user_ref, 'u-5');
    await t.rejects(
      verifyAssertion(assertion, { ...options, userRef: 'u-6' }),
      { message: 'assertion is for another person' },
      "another person's login is refused",
    );
  });

  t.test('the typed client: enrol an authenticator app, log in with it, recover, reset', async (t) => {
    const { app, createClient, clock } = await build(t);
    const acme = await createClient();
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const client = new MailcodeClient({ baseUrl: address, apiKey: acme.apiKey });
    const options = {
      issuer: 'http://mailcode.test',
      audience: acme.id,
      jwksUrl: `${address}/.well-known/jwks.json`,
      currentDate: new Date(clock.now()),
    };

    const enrollment = await client.enrollTotp({ userRef: 'user-7', accountName: 'gus@acme.example' });
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(enrollment.secret) });
    const { recoveryCodes } = await client.confirmTotp(
      enrollment.enrollmentId,
      totp.generate({ timestamp: clock.now() }),
    );
    t.equal(recoveryCodes.length, 10);
    t.type(
      await client.enrollTotp({ userRef: 'user-7', accountName: 'x' }).catch((e: unknown) => e),
      TotpAlreadyEnabledError,
    );

    clock.advance(30_000);
    const login = await client.verifyTotp({ userRef: 'user-7', code: totp.generate({ timestamp: clock.now() }) });
    const claims = await verifySecondFactorAssertion(login.assertion, {
      ...options,
      userRef: 'user-7',
      replayStore: new MemoryReplayStore(clock.now),
    });
    t.equal(claims.verification_method, 'totp');
    await t.rejects(
      verifySecondFactorAssertion(login.assertion, { ...options, userRef: 'user-8' }),
      AssertionError,
      'another user',
    );
    await t.rejects(verifyAssertion(login.assertion, options), 'an app code is not an email verification');

    const recovered = await client.recoverTotp({ userRef: 'user-7', recoveryCode: recoveryCodes[0]! });
    t.equal(recovered.method, 'recovery_code');
    t.match(await client.totpStatus('user-7'), { enabled: true, recoveryCodesLeft: 9 });
    t.equal((await client.regenerateRecoveryCodes('user-7')).recoveryCodes.length, 10);
    await client.resetTotp('user-7');
    t.type(
      await client.verifyTotp({ userRef: 'user-7', code: '123456' }).catch((e: unknown) => e),
      TotpNotEnabledError,
    );
    t.type(await client.confirmTotp('te_unknown', '123456').catch((e: unknown) => e), EnrollmentNotFoundError);
  });

  t.test('the typed client: a bounce, its events, the suppression and lifting it', async (t) => {
    const port = await scriptedSmtpServer(t, {
      'gone@acme.example': ['550 5.1.1 <gone@acme.example>: Recipient address rejected: User unknown'],
    });
    const { app, createClient, clock } = await build(t, { transport: smtpTransport(`smtp://127.0.0.1:${port}`) });
    const acme = await createClient();
    const client = new MailcodeClient({
      baseUrl: await app.listen({ port: 0, host: '127.0.0.1' }),
      apiKey: acme.apiKey,
    });

    const sent = await client.sendCode({ email: 'gone@acme.example', purpose: 'login' });
    await app.mailcode.worker.runOnce();
    const state = await client.getVerification(sent.verificationId);
    t.same(
      deliveryNotice(state),
      { kind: 'refused', reason: 'mailbox unknown' },
      'the state a portal shows the person',
    );
    const { events } = await client.listEvents({ subject: sent.verificationId, types: ['mail.bounced'] });
    t.same(
      events.map((e) => deliveryNotice(e)),
      [{ kind: 'refused', reason: 'mailbox unknown' }],
      'and the same from the event',
    );

    const refused = await client.sendCode({ email: 'gone@acme.example', purpose: 'login' }).catch((e: unknown) => e);
    t.type(refused, AddressUndeliverableError);
    const undeliverable = refused as AddressUndeliverableError;
    t.match(undeliverable.reason, /^550 5\.1\.1 .*User unknown/);
    t.equal(undeliverable.enhancedStatus, '5.1.1');
    t.equal(deliveryReason(undeliverable.enhancedStatus), 'mailbox unknown');
    t.equal(
      undeliverable.suppressedUntil!.getTime(),
      clock.now() + 24 * 3_600_000,
      'suppressed for a day (the default)',
    );

    t.match(await client.listSuppressions(), [{ email: 'gone@acme.example' }]);
    await client.liftSuppression('gone@acme.example');
    t.same(await client.listSuppressions(), []);
    t.type(await client.liftSuppression('gone@acme.example').catch((e: unknown) => e), SuppressionNotFoundError);
    t.match(
      await client.sendCode({ email: 'gone@acme.example', purpose: 'signup' }),
      { email: 'gone@acme.example' },
      'codes go to it again',
    );
  });
});
