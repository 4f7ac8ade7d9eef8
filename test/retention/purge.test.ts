import { purgeExpired } from '../../src/retention/purge.js';
import { build, byPortal } from '../helpers/build.js';
import { onEachDatabase } from '../helpers/databases.js';

await onEachDatabase(async (t) => {
  const day = 86_400_000;

  t.test('purge deletes what retention no longer needs, in batches, and keeps the rest', async (t) => {
    const { app, config, createClient, sendCode, clock } = await build(t, {
      env: { CLIENT_REQUESTS_PER_SECOND: '100000', DOMAIN_MAILS_PER_HOUR: '100000' },
    });
    const acme = await createClient();
    // 2,500 verifications (more than one purge batch) that will be long expired…
    for (let i = 0; i < 2_500; i++)
      await app.inject({
        method: 'POST',
        url: '/send-code',
        headers: acme.auth,
        payload: { email: `old${i}@acme.example` },
      });
    await app.mailcode.worker.runOnce();
    clock.advance(8 * day);
    // …and one fresh one.
    const fresh = (await sendCode(acme.apiKey, { email: 'new@acme.example' })).json();
    const result = await purgeExpired(
      app.mailcode.store.maintenance,
      app.mailcode.keys,
      config.RETENTION_DAYS,
      clock.now(),
    );
    t.equal(result.verifications, 2_500, 'every verification past the 7-day retention is gone');
    t.equal(result.sendEvents, 2_500, 'send events older than the longest limit window are gone');
    const state = await app.inject({
      method: 'GET',
      url: `/verifications/${fresh.verificationId}`,
      headers: acme.auth,
    });
    t.equal(state.json().status, 'pending', 'the fresh verification stays');
    t.same(
      await purgeExpired(app.mailcode.store.maintenance, app.mailcode.keys, config.RETENTION_DAYS, clock.now()),
      { verifications: 0, notices: 0, sendEvents: 0, signingKeys: 0, events: 0, suppressions: 0, recoveries: 0 },
      'nothing left to purge',
    );
  });

  t.test('a notice goes once past its lifetime and the retention, delivered or not', async (t) => {
    const { app, config, createClient, sendCode, verifyCode, mail, clock } = await build(t);
    const acme = await createClient();
    await sendCode(acme.apiKey, { email: 'pat@acme.example', userRef: 'u-1' });
    await verifyCode(acme.apiKey, {
      email: 'pat@acme.example',
      purpose: 'login',
      code: mail.codeFor('pat@acme.example'),
    });
    const enrolment = await app.mailcode.totp.enroll(acme, { userRef: 'u-1', accountName: 'pat@acme.example' });
    const OTPAuth = await import('otpauth');
    const phone = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(enrolment.secret) });
    await app.mailcode.totp.confirm(acme, enrolment.enrollmentId, phone.generate({ timestamp: clock.now() }), byPortal);
    await app.mailcode.totp.reset(acme, 'u-1', byPortal);
    const purge = () =>
      purgeExpired(app.mailcode.store.maintenance, app.mailcode.keys, config.RETENTION_DAYS, clock.now());
    clock.advance(3 * day + config.RETENTION_DAYS * day - 60_000);
    t.equal((await purge()).notices, 0, 'kept through its lifetime and the retention after it');
    clock.advance(120_000);
    t.equal((await purge()).notices, 2, 'then gone (the app added, the app removed)');
  });
});
