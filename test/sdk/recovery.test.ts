// mailcode/client's recovery by email: start, confirm, read, list, cancel, and the typed
// errors a portal branches on.
import * as OTPAuth from 'otpauth';
import {
  InvalidCodeError,
  MailcodeClient,
  RecoveryClosedError,
  RecoveryNotFoundError,
  RecoveryPendingError,
} from '../../src/sdk/index.js';
import { build } from '../helpers/build.js';
import { onEachDatabase } from '../helpers/databases.js';

await onEachDatabase(async (t) => {
  t.test('the typed client: a lost app recovered by email, and its refusals as classes', async (t) => {
    const { app, createClient, mail, clock } = await build(t);
    const acme = await createClient();
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const client = new MailcodeClient({ baseUrl: address, apiKey: acme.apiKey });
    await client.sendCode({ email: 'uma@acme.example', userRef: 'u-5' });
    await app.mailcode.worker.runOnce();
    await client.verifyCode({ email: 'uma@acme.example', code: mail.codeFor('uma@acme.example') });
    const enrollment = await client.enrollTotp({ userRef: 'u-5', accountName: 'uma@acme.example' });
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(enrollment.secret) });
    await client.confirmTotp(enrollment.enrollmentId, totp.generate({ timestamp: clock.now() }));

    const started = await client.startRecovery('u-5', { locale: 'fr', endUserIp: '203.0.113.9' });
    t.match(started, { userRef: 'u-5', status: 'code_sent', completesAt: null });
    const pending = await client.startRecovery('u-5').catch((e: unknown) => e);
    t.type(pending, RecoveryPendingError);
    t.equal((pending as RecoveryPendingError).recoveryId, started.id, 'it names the open one');
    await app.mailcode.worker.runOnce();
    const code = mail.codeFor('uma@acme.example');
    t.match(String(mail.sent.at(-1)!.subject), /récupérer votre compte/, 'in the language asked for');
    const wrong = await client
      .confirmRecovery('u-5', started.id, code === '000000' ? '111111' : '000000')
      .catch((e: unknown) => e);
    t.type(wrong, InvalidCodeError);
    t.equal((wrong as InvalidCodeError).attemptsRemaining, 4);

    const waiting = await client.confirmRecovery('u-5', started.id, code, '203.0.113.9');
    t.equal(waiting.status, 'waiting');
    t.equal(Date.parse(waiting.completesAt!) - Date.parse(waiting.startedAt!), 24 * 3_600_000);
    t.same(await client.getRecovery('u-5', started.id), waiting);
    t.same(
      (await client.listRecoveries('u-5')).map((r) => r.id),
      [started.id],
    );
    const closed = await client.confirmRecovery('u-5', started.id, code).catch((e: unknown) => e);
    t.type(closed, RecoveryClosedError);
    t.equal((closed as RecoveryClosedError).state, 'waiting');
    t.match(await client.cancelRecovery('u-5', started.id), { status: 'canceled', endedBy: 'portal' });
    t.type(await client.getRecovery('u-6', started.id).catch((e: unknown) => e), RecoveryNotFoundError);
    t.type(await client.cancelRecovery('u-5', started.id).catch((e: unknown) => e), RecoveryClosedError);
  });
});
