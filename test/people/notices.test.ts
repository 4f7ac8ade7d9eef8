// Mail beyond the code: when a person's authenticator app is removed — by the portal, or by
// support for a lost phone — the address they proved last is told, in their language, by
// whom and when, with no code and no link that does anything. Queued with the removal.
import * as OTPAuth from 'otpauth';
import { build, byCommandLine, byPortal } from '../helpers/build.js';
import { onEachDatabase } from '../helpers/databases.js';

await onEachDatabase(async (t) => {
  const setUp = async (t: Parameters<Parameters<typeof onEachDatabase>[0]>[0], locale = 'de') => {
    const ctx = await build(t);
    const { app, createClient, sendCode, verifyCode, mail, clock } = ctx;
    const acme = await createClient('Acme Portal', ['acme.example'], locale);
    await sendCode(acme.apiKey, { email: 'pat@acme.example', userRef: 'u-42' });
    await verifyCode(acme.apiKey, {
      email: 'pat@acme.example',
      purpose: 'login',
      code: mail.codeFor('pat@acme.example'),
    });
    const enrolment = await app.mailcode.totp.enroll(acme, { userRef: 'u-42', accountName: 'pat@acme.example' });
    const phone = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(enrolment.secret) });
    const { recoveryCodes } = await app.mailcode.totp.confirm(
      acme,
      enrolment.enrollmentId,
      phone.generate({ timestamp: clock.now() }),
      byPortal,
    );
    await app.mailcode.worker.runOnce();
    const added = mail.sent.at(-1)!;
    mail.sent.length = 0;
    return { ...ctx, acme, added, recoveryCodes };
  };

  t.test('an app added, a recovery code used, the codes renewed: each is told, with what it means now', async (t) => {
    const { app, acme, mail, added, recoveryCodes } = await setUp(t, 'en');
    t.equal(added.subject, 'An authenticator app was added to your Acme Portal account', 'the app added');
    t.match(String(added.text), /From now on, signing in asks for its code\./);

    const used = await app.inject({
      method: 'POST',
      url: '/totp/recover',
      headers: acme.auth,
      payload: { userRef: 'u-42', recoveryCode: recoveryCodes[0] },
    });
    t.equal(used.statusCode, 200);
    await app.mailcode.worker.runOnce();
    t.equal(mail.sent.at(-1)!.subject, 'A recovery code was used for your Acme Portal account');
    t.match(String(mail.sent.at(-1)!.text), /You have 9 recovery codes left\./, 'and how many are left');

    const wrong = await app.inject({
      method: 'POST',
      url: '/totp/recover',
      headers: acme.auth,
      payload: { userRef: 'u-42', recoveryCode: 'zzzzz-zzzzz' },
    });
    t.equal(wrong.statusCode, 422);
    await app.mailcode.worker.runOnce();
    t.equal(mail.sent.length, 1, 'a wrong recovery code tells nobody anything');

    const renewed = await app.inject({ method: 'POST', url: '/totp/u-42/recovery-codes', headers: acme.auth });
    t.equal(renewed.statusCode, 200);
    await app.mailcode.worker.runOnce();
    t.equal(mail.sent.at(-1)!.subject, 'New recovery codes were made for your Acme Portal account');
    t.match(String(mail.sent.at(-1)!.text), /The earlier recovery codes no longer work\./);
    for (const notice of [added, ...mail.sent]) t.notMatch(String(notice.text), /\b\d{6}\b/, 'no code in any of them');
  });

  t.test("the portal's DELETE /totp/{userRef} mails the person their app was removed", async (t) => {
    const { app, acme, mail } = await setUp(t);
    const removed = await app.inject({ method: 'DELETE', url: '/totp/u-42', headers: acme.auth });
    t.equal(removed.statusCode, 204);
    await app.mailcode.worker.runOnce();
    t.equal(mail.sent.length, 1, 'one notice');
    const notice = mail.sent[0]!;
    t.equal(notice.to, 'pat@acme.example', 'to the address the person proved');
    t.equal(
      notice.subject,
      'Ihre Authenticator-App wurde aus Ihrem Konto bei Acme Portal entfernt',
      "in the person's language",
    );
    const text = String(notice.text);
    t.match(
      text,
      /Am 2\. März 2026 um 09:00 UTC wurde die Authenticator-App aus Ihrem Konto bei Acme Portal entfernt\./,
    );
    t.match(text, /Falls Sie das nicht waren/, 'what to do if it was not them');
    t.notMatch(text, /\b\d{6}\b/, 'no code');
    t.notMatch(String(notice.html), /href=/, 'no link that does anything (the client has no support contact)');
    t.match(notice.headers, { 'X-Tags': 'authenticator removed, de, Acme Portal' }, 'tagged for QA in Mailpit');

    const events = await app.inject({ method: 'GET', url: '/events?subject=u-42', headers: acme.auth });
    t.match(
      events.json().events.map((e: { type: string }) => e.type),
      ['mail.sent', 'notice.queued', 'authenticator.reset', 'mail.sent', 'notice.queued', 'authenticator.enabled'],
      "each notice is an event, and its delivery part of the person's story (the app added, then removed)",
    );
    t.same(
      events
        .json()
        .events.filter((e: { type: string }) => e.type === 'notice.queued')
        .map((e: { data: { kind: string }; email: string }) => [e.data.kind, e.email]),
      [
        ['authenticator_removed', 'p***@acme.example'],
        ['authenticator_added', 'p***@acme.example'],
      ],
      'which notice, to a masked address',
    );
    t.notMatch(JSON.stringify(events.json()), /pat@acme\.example/, 'and never names the whole address');
  });

  t.test("support's reset for a lost phone says it was support", async (t) => {
    const { app, acme, mail } = await setUp(t, 'en');
    await app.mailcode.clients.update(acme.id, { support: 'https://help.acme.example' }, byCommandLine);
    const support = app.mailcode.console!.support;
    const operator = { id: 'op_1', email: 'ann@ops.example', role: 'support' } as never;
    await support.resetAuthenticator(operator, acme.id, 'u-42', 'lost phone, ticket 4711', { requestId: null });
    await app.mailcode.worker.runOnce();
    t.equal(mail.sent.length, 1);
    t.equal(mail.sent[0]!.subject, 'Your authenticator app was removed from your Acme Portal account');
    t.match(
      String(mail.sent[0]!.text),
      /Acme Portal support removed the authenticator app from your account on March 2, 2026/,
    );
    t.match(
      String(mail.sent[0]!.text),
      /Questions\? .*<https:\/\/help\.acme\.example>/,
      "the client's support contact, a URL written <like this> in plain text, as in the code mail",
    );
    t.match(String(mail.sent[0]!.html), /<a href="https:\/\/help\.acme\.example"/, 'and a link in HTML');
  });

  t.test('nobody is mailed when there is no app to remove, or no address proven for the person', async (t) => {
    const { app, createClient, mail, clock } = await build(t);
    const acme = await createClient();
    const none = await app.inject({ method: 'DELETE', url: '/totp/u-1', headers: acme.auth });
    t.equal(none.statusCode, 404);
    const enrolment = await app.mailcode.totp.enroll(acme, { userRef: 'u-2', accountName: 'x' });
    const phone = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(enrolment.secret) });
    await app.mailcode.totp.confirm(acme, enrolment.enrollmentId, phone.generate({ timestamp: clock.now() }), byPortal);
    t.equal((await app.inject({ method: 'DELETE', url: '/totp/u-2', headers: acme.auth })).statusCode, 204);
    await app.mailcode.worker.runOnce();
    t.equal(mail.sent.length, 0, 'no address proven for u-2: nothing to tell it to');
  });
});
