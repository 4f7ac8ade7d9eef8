// CODE_SECRET rotation, constant-time key checks, security headers, and errors that never
// show internals.

import { buildApp } from '../../src/main/app.js';
import { build, CapturingTransport, LogCapture } from '../helpers/build.js';
import { onEachDatabase } from '../helpers/databases.js';

await onEachDatabase(async (t) => {
  const oldSecret = 'old-secret-0123456789abcdef0123456789abcdef';
  const newSecret = 'new-secret-fedcba9876543210fedcba9876543210';

  t.test('CODE_SECRET rotation: codes and mail in flight keep working, then the old secret can go', async (t) => {
    const first = await build(t, { env: { CODE_SECRET: oldSecret } });
    const acme = await first.createClient();
    const mail = new CapturingTransport();
    // A code mailed under the old secret, and a second one still queued when the secret rotates.
    const sent = (await first.sendCode(acme.apiKey, { email: 'a@acme.example' })).json();
    const oldCode = first.mail.codeFor('a@acme.example');
    await first.app.inject({
      method: 'POST',
      url: '/send-code',
      headers: acme.auth,
      payload: { email: 'queued@acme.example' },
    });
    const kid = (await first.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json().keys[0].kid;
    await first.app.close();

    const rotatedConfig = first.configWith({ CODE_SECRET: `${newSecret},${oldSecret}` });
    const rotated = await buildApp(rotatedConfig, {
      now: first.clock.now,
      transport: mail,
      startWorker: false,
      logStream: new LogCapture(),
    });
    t.teardown(() => rotated.close());
    await rotated.mailcode.worker.runOnce();
    t.equal(mail.sent.length, 1, 'the mail queued under the old secret is still delivered');
    const verified = await rotated.inject({
      method: 'POST',
      url: '/verify-code',
      headers: acme.auth,
      payload: { verificationId: sent.verificationId, code: oldCode },
    });
    t.equal(verified.statusCode, 200, 'a code hashed with the old secret still verifies');
    t.equal(
      (await rotated.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json().keys[0].kid,
      kid,
      'same signing key',
    );
    await rotated.close();

    // The old secret is dropped: the signing key was re-encrypted at the rotated start.
    const onlyNew = await buildApp(first.configWith({ CODE_SECRET: newSecret }), {
      now: first.clock.now,
      transport: mail,
      startWorker: false,
      logStream: new LogCapture(),
    });
    t.teardown(() => onlyNew.close());
    first.clock.advance(60_000);
    const again = await onlyNew.inject({
      method: 'POST',
      url: '/send-code',
      headers: acme.auth,
      payload: { email: 'b@acme.example' },
    });
    await onlyNew.mailcode.worker.runOnce();
    const ok = await onlyNew.inject({
      method: 'POST',
      url: '/verify-code',
      headers: acme.auth,
      payload: { verificationId: again.json().verificationId, code: mail.codeFor('b@acme.example') },
    });
    t.equal(ok.statusCode, 200, 'signs with the same key under the new secret alone');
  });

  t.test('responses carry security headers', async (t) => {
    const { app } = await build(t);
    const response = await app.inject({ method: 'GET', url: '/healthz' });
    t.match(response.headers, {
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'SAMEORIGIN',
      'strict-transport-security': /max-age=31536000/,
      'content-security-policy': /default-src 'none'/,
      'referrer-policy': 'no-referrer',
    });
    t.notOk(response.headers['x-powered-by']);
  });

  t.test('an unexpected failure is a bare 500 problem: no message, no stack', async (t) => {
    const { app, createClient, logs } = await build(t);
    const acme = await createClient();
    app.mailcode.store.verifications.runSend = () => {
      throw new Error('SQLITE_CORRUPT: database disk image is malformed at /secret/path.db');
    };
    const response = await app.inject({
      method: 'POST',
      url: '/send-code',
      headers: acme.auth,
      payload: { email: 'a@acme.example' },
    });
    t.equal(response.statusCode, 500);
    t.same(response.json(), {
      type: 'urn:mailcode:problem:internal_error',
      title: 'Internal error',
      status: 500,
      detail: 'An unexpected error occurred; it has been logged.',
      code: 'internal_error',
    });
    t.notMatch(response.body, /SQLITE|secret|at /);
    t.match(logs.text, /SQLITE_CORRUPT/, 'the cause is in the log for the operator');
  });
});
