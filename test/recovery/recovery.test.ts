// A lost authenticator recovered by email, as the portal drives it: a code to the address
// the person proved, a waiting period that a sign-in with the app cancels, then the app
// goes. The mailbox alone never takes the account at once; a recovery for nobody reads like
// any other and mails nothing.
import * as OTPAuth from 'otpauth';
import { build, byPortal } from '../helpers/build.js';
import { onEachDatabase } from '../helpers/databases.js';

const hour = 3_600_000;

await onEachDatabase(async (t) => {
  /** Pat, with a proven address (German) and an authenticator app at Acme. */
  const setUp = async (t: Parameters<Parameters<typeof onEachDatabase>[0]>[0], locale = 'de') => {
    const ctx = await build(t);
    const { app, createClient, sendCode, verifyCode, mail, clock } = ctx;
    const acme = await createClient('Acme Portal', ['acme.example'], 'en');
    await sendCode(acme.apiKey, { email: 'pat@acme.example', userRef: 'u-42', locale });
    await verifyCode(acme.apiKey, { email: 'pat@acme.example', code: mail.codeFor('pat@acme.example') });
    const enrolment = await app.mailcode.totp.enroll(acme, { userRef: 'u-42', accountName: 'pat@acme.example' });
    const phone = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(enrolment.secret) });
    const { recoveryCodes } = await app.mailcode.totp.confirm(
      acme,
      enrolment.enrollmentId,
      phone.generate({ timestamp: clock.now() }),
      byPortal,
    );
    await app.mailcode.worker.runOnce();
    mail.sent.length = 0;
    const call = async (method: 'GET' | 'POST', url: string, payload?: object) => {
      const response = await app.inject({ method, url, headers: acme.auth, ...(payload ? { payload } : {}) });
      return { status: response.statusCode, body: response.json(), headers: response.headers };
    };
    const start = (userRef = 'u-42', body: object = {}) => call('POST', `/people/${userRef}/recoveries`, body);
    const confirm = (id: string, code: string, userRef = 'u-42') =>
      call('POST', `/people/${userRef}/recoveries/${id}/confirm`, { code });
    const mailedCode = async () => {
      await app.mailcode.worker.runOnce();
      return mail.codeFor('pat@acme.example');
    };
    const totpStatus = async () => (await call('GET', '/totp/u-42')).body as { enabled: boolean };
    return { ...ctx, acme, phone, recoveryCodes, call, start, confirm, mailedCode, totpStatus };
  };

  t.test(
    'the code starts a wait; at its end the app and its recovery codes are gone, and the person is told',
    async (t) => {
      const { app, clock, mail, start, confirm, mailedCode, call, totpStatus, recoveryCodes } = await setUp(t);
      const started = await start();
      t.equal(started.status, 202);
      t.match(started.body, { userRef: 'u-42', status: 'code_sent', startedAt: null, completesAt: null });
      t.notOk('verificationId' in started.body, 'the verification behind it is never shown');
      const code = await mailedCode();
      const codeMail = mail.sent.at(-1)!;
      t.equal(codeMail.to, 'pat@acme.example', 'the code goes to the address the person proved');
      t.equal(codeMail.subject, `${code} ist Ihr Code zur Wiederherstellung Ihres Kontos bei Acme Portal`);
      t.match(String(codeMail.text), /Ihr Konto wiederherstellen/, 'in their language, saying what it is for');
      t.notMatch(String(codeMail.text), /#mc=/, 'with no continue link');

      const wrong = await confirm(started.body.id, code === '000000' ? '111111' : '000000');
      t.equal(wrong.status, 422);
      t.match(wrong.body, { code: 'invalid_code', attemptsRemaining: 4 }, 'a wrong code counts as any code');

      const portalVerify = await call('POST', '/verify-code', { email: 'pat@acme.example', code });
      t.equal(
        portalVerify.status,
        409,
        "the portal's verify-code never takes a recovery's code (the sign-in's is used)",
      );

      const waiting = await confirm(started.body.id, code);
      t.equal(waiting.status, 200);
      t.equal(waiting.body.status, 'waiting');
      t.equal(Date.parse(waiting.body.completesAt) - Date.parse(waiting.body.startedAt), 24 * hour, 'the default wait');
      await app.mailcode.worker.runOnce();
      const notice = mail.sent.at(-1)!;
      t.match(notice.subject, /Jemand möchte die Authenticator-App aus Ihrem Konto bei Acme Portal entfernen/);
      t.match(String(notice.text), /Die App wird am .* entfernt\./, 'says when the app goes');
      t.match(String(notice.text), /melden Sie sich jetzt mit Ihrer Authenticator-App/, 'and how to stop it');
      t.notMatch(String(notice.text), /\b\d{6}\b/, 'with no code');
      t.ok((await totpStatus()).enabled, 'during the wait the app still works');
      t.same(
        (await call('GET', '/people/u-42')).body.recovery,
        { id: started.body.id, status: 'waiting', completesAt: waiting.body.completesAt },
        "the person's answer says a recovery is under way",
      );
      t.equal((await confirm(started.body.id, code)).body.code, 'recovery_closed', 'the code works once');

      clock.advance(24 * hour);
      t.equal(
        await app.mailcode.recovery.completeDue((id) => app.mailcode.clients.get(id)),
        1,
        'the background pass completes it',
      );
      t.notOk((await totpStatus()).enabled, 'at the end of the wait the app is removed');
      const recover = await call('POST', '/totp/recover', { userRef: 'u-42', recoveryCode: recoveryCodes[0] });
      t.equal(recover.status, 404, 'and its recovery codes with it');
      const done = await call('GET', `/people/u-42/recoveries/${started.body.id}`);
      t.match(done.body, { status: 'completed', endedBy: 'wait' });
      await app.mailcode.worker.runOnce();
      t.match(mail.sent.at(-1)!.subject, /Ihre Authenticator-App wurde aus Ihrem Konto bei Acme Portal entfernt/);

      const events = (await call('GET', '/events?subject=u-42')).body.events as { type: string; data: object }[];
      const types = events.map((e) => e.type);
      for (const type of ['recovery.requested', 'recovery.started', 'recovery.completed', 'authenticator.reset'])
        t.ok(types.includes(type), `${type} is in the trail`);
      t.notMatch(JSON.stringify(events), /pat@acme\.example/, 'no event names the whole address');
      t.notMatch(JSON.stringify(events), new RegExp(code), 'nor the code');
    },
  );

  t.test('a sign-in with the app during the wait cancels the recovery, and the person is told', async (t) => {
    const { app, clock, mail, phone, start, confirm, mailedCode, call, totpStatus } = await setUp(t, 'en');
    const started = await start();
    await confirm(started.body.id, await mailedCode());
    clock.advance(hour);
    const signIn = await call('POST', '/totp/verify', {
      userRef: 'u-42',
      code: phone.generate({ timestamp: clock.now() }),
    });
    t.equal(signIn.status, 200);
    t.match((await call('GET', `/people/u-42/recoveries/${started.body.id}`)).body, {
      status: 'canceled',
      endedBy: 'sign_in',
    });
    await app.mailcode.worker.runOnce();
    const canceledNotice = mail.sent.find((m) => m.subject === 'The recovery of your Acme Portal account was canceled');
    t.ok(canceledNotice, 'the person is told it was canceled');
    t.match(String(canceledNotice?.text), /someone signed in to your Acme Portal account with your authenticator app/);
    clock.advance(24 * hour);
    t.equal(await app.mailcode.recovery.completeDue((id) => app.mailcode.clients.get(id)), 0, 'nothing is due');
    t.ok((await totpStatus()).enabled, 'the app stays');
  });

  t.test('a recovery code used during the wait cancels it too; so can the portal', async (t) => {
    const { recoveryCodes, start, confirm, mailedCode, call } = await setUp(t, 'en');
    const first = await start();
    await confirm(first.body.id, await mailedCode());
    await call('POST', '/totp/recover', { userRef: 'u-42', recoveryCode: recoveryCodes[0] });
    t.match((await call('GET', `/people/u-42/recoveries/${first.body.id}`)).body, { endedBy: 'sign_in' });

    const second = await start();
    t.equal(second.status, 202, 'a new one may start once the last is over');
    const canceled = await call('POST', `/people/u-42/recoveries/${second.body.id}/cancel`);
    t.match(canceled.body, { status: 'canceled', endedBy: 'portal' });
    t.equal((await call('POST', `/people/u-42/recoveries/${second.body.id}/cancel`)).body.code, 'recovery_closed');
  });

  t.test('one recovery at a time; codes are limited as send-code limits them', async (t) => {
    const { start, call } = await setUp(t, 'en');
    const first = await start();
    const again = await start();
    t.equal(again.status, 409);
    t.match(again.body, { code: 'recovery_pending', recoveryId: first.body.id });
    const list = await call('GET', '/people/u-42/recoveries');
    t.equal(list.body.recoveries.length, 1);
    await call('POST', `/people/u-42/recoveries/${first.body.id}/cancel`);
    const soon = await start();
    t.equal(soon.status, 429, 'a new code to the same address waits for the cooldown');
    t.match(soon.body, { code: 'rate_limited' });
    t.ok(Number(soon.headers['retry-after']) >= 1);
  });

  t.test('for nobody — an unknown person, or one without an app — it reads the same and mails nothing', async (t) => {
    const { app, mail, start, confirm, call, sendCode, verifyCode, acme } = await setUp(t, 'en');
    // Sam proved an address but has no app; nobody knows u-404 at all.
    await sendCode(acme.apiKey, { email: 'sam@acme.example', userRef: 'u-7' });
    await verifyCode(acme.apiKey, { email: 'sam@acme.example', code: mail.codeFor('sam@acme.example') });
    mail.sent.length = 0;
    const known = await start();
    for (const userRef of ['u-404', 'u-7']) {
      const unknown = await start(userRef);
      t.equal(unknown.status, known.status, `${userRef}: the same status`);
      t.same(Object.keys(unknown.body).sort(), Object.keys(known.body).sort(), `${userRef}: the same members`);
      t.equal(unknown.body.status, 'code_sent');
      t.equal(
        Date.parse(unknown.body.codeExpiresAt) - Date.parse(unknown.body.createdAt),
        Date.parse(known.body.codeExpiresAt) - Date.parse(known.body.createdAt),
        `${userRef}: the same code lifetime`,
      );
      const read = await call('GET', `/people/${userRef}/recoveries/${unknown.body.id}`);
      t.equal(read.body.status, 'code_sent', `${userRef}: reads as waiting for its code`);
      t.match(
        (await call('GET', `/people/${userRef}`)).body.recovery,
        { status: 'code_sent' },
        `${userRef}: and so does the person`,
      );
      for (let i = 4; i >= 0; i--) {
        const wrong = await confirm(unknown.body.id, '123456', userRef);
        t.match(wrong.body, { code: 'invalid_code', attemptsRemaining: i }, `${userRef}: no code is right`);
      }
      t.equal((await confirm(unknown.body.id, '123456', userRef)).body.code, 'too_many_attempts');
      t.equal((await start(userRef)).body.code, 'recovery_pending', `${userRef}: one at a time, as for anyone`);
    }
    await app.mailcode.worker.runOnce();
    t.same(
      mail.sent.map((m) => m.to),
      ['pat@acme.example'],
      'only the person with an app and a proven address is mailed',
    );
  });

  t.test('a start needs no body (every member is optional); a body of the wrong shape is refused', async (t) => {
    const { app, acme } = await setUp(t, 'en');
    const bare = await app.inject({ method: 'POST', url: '/people/u-42/recoveries', headers: acme.auth });
    t.equal(bare.statusCode, 202, 'no body at all');
    const text = await app.inject({ method: 'POST', url: '/people/u-43/recoveries', headers: acme.auth, payload: 'x' });
    t.equal(text.statusCode, 415, 'a body that is not JSON');
    for (const payload of [{ locale: 'en', extra: 1 }, { endUserIp: 'not-an-ip' }, []]) {
      const refused = await app.inject({ method: 'POST', url: '/people/u-43/recoveries', headers: acme.auth, payload });
      t.equal(refused.statusCode, 400, JSON.stringify(payload));
      t.equal(refused.json().code, 'invalid_request');
    }
    const badId = await app.inject({ method: 'GET', url: '/people/u-42/recoveries/vf_nope', headers: acme.auth });
    t.equal(badId.statusCode, 400, 'an id of the wrong shape');
  });

  t.test('another client cannot see or touch the recovery', async (t) => {
    const { createClient, start, app } = await setUp(t, 'en');
    const started = await start();
    const other = await createClient('Other', ['other.example']);
    for (const [method, url] of [
      ['GET', `/people/u-42/recoveries/${started.body.id}`],
      ['POST', `/people/u-42/recoveries/${started.body.id}/cancel`],
    ] as const) {
      const response = await app.inject({ method, url, headers: other.auth });
      t.equal(response.statusCode, 404, `${method} ${url}`);
      t.equal(response.json().code, 'recovery_not_found');
    }
    const listed = await app.inject({ method: 'GET', url: '/people/u-42/recoveries', headers: other.auth });
    t.same(listed.json().recoveries, []);
  });

  t.test("a client's wait of 0 removes the app at once; a client may turn a notice kind off", async (t) => {
    const { app, acme, mail, start, confirm, mailedCode, totpStatus } = await setUp(t, 'en');
    await app.mailcode.clients.update(
      acme.id,
      { recoveryWaitHours: 0, noticesOff: ['recovery_started'] },
      {
        actor: 'cli',
        requestId: null,
      },
    );
    const started = await start();
    const done = await confirm(started.body.id, await mailedCode());
    t.match(done.body, { status: 'completed', endedBy: 'wait' });
    t.notOk((await totpStatus()).enabled);
    await app.mailcode.worker.runOnce();
    t.same(
      mail.sent.slice(1).map((m) => m.subject),
      ['Your authenticator app was removed from your Acme Portal account'],
      'the start notice is off; the completion still goes',
    );
  });
});
