import { build } from './helpers/build.js';
import { onEachDatabase } from './helpers/databases.js';

await onEachDatabase(async (t) => {
  t.test('20 parallel right answers yield exactly one 200', async (t) => {
    const { createClient, sendCode, verifyCode, mail } = await build(t);
    const acme = await createClient();
    const { verificationId } = (await sendCode(acme.apiKey, { email: 'a@acme.example' })).json();
    const code = mail.codeFor('a@acme.example');
    const statuses = (
      await Promise.all(Array.from({ length: 20 }, () => verifyCode(acme.apiKey, { verificationId, code })))
    ).map((r) => r.statusCode);
    t.equal(statuses.filter((s) => s === 200).length, 1);
    t.equal(statuses.filter((s) => s === 409).length, 19, 'the others are told it is already verified');
  });

  t.test('50 parallel wrong answers never exceed the allowed attempts', async (t) => {
    const { app, createClient, sendCode, verifyCode, mail } = await build(t);
    const acme = await createClient();
    const { verificationId } = (await sendCode(acme.apiKey, { email: 'a@acme.example' })).json();
    const code = mail.codeFor('a@acme.example');
    const wrong = code === '000000' ? '000001' : '000000';
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => verifyCode(acme.apiKey, { verificationId, code: wrong })),
    );
    const invalid = responses.filter((r) => r.statusCode === 422);
    t.equal(invalid.length, 5, 'exactly five wrong answers were judged');
    t.same(invalid.map((r) => r.json().attemptsRemaining).sort(), [0, 1, 2, 3, 4]);
    t.equal(responses.filter((r) => r.statusCode === 429).length, 45, 'the rest meet a locked verification');
    const state = (
      await app.inject({ method: 'GET', url: `/verifications/${verificationId}`, headers: acme.auth })
    ).json();
    t.equal(state.status, 'locked');
    t.equal(
      (await verifyCode(acme.apiKey, { verificationId, code })).statusCode,
      429,
      'the right code cannot slip in afterwards',
    );
  });

  t.test('parallel sends never exceed the per-address limit', async (t) => {
    const { createClient, app, mail } = await build(t, { env: { RESEND_COOLDOWN_SECONDS: '0' } });
    const acme = await createClient();
    const responses = await Promise.all(
      Array.from({ length: 30 }, () =>
        app.inject({ method: 'POST', url: '/send-code', headers: acme.auth, payload: { email: 'a@acme.example' } }),
      ),
    );
    await app.mailcode.worker.runOnce();
    t.equal(responses.filter((r) => r.statusCode === 202).length, 5);
    t.equal(responses.filter((r) => r.statusCode === 429).length, 25);
    t.equal(mail.sent.length, 5, 'exactly five mails');
  });
});
