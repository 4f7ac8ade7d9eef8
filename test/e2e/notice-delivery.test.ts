// The removal notice end to end, as an operator runs mailcode: a person proves their address
// (a code sent with their userRef, in German) and enrols an authenticator app; the portal
// removes the app while the relay is away, and the process is killed (SIGKILL) with the
// notice queued; restarted with its relay back, mailcode delivers the notice to a real
// Mailpit — in the person's language, DKIM-signed with the client's own key. So does the
// notice that a recovery by email has started its wait.
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MailpitClient } from 'mailpit-api';
import * as OTPAuth from 'otpauth';
import { onEachDatabase, processDatabaseEnv } from '../helpers/databases.js';
import { Zone } from '../helpers/dns.js';
import { freePort, requireBuild, runCli, startMailcode, startMailpit, waitFor } from '../helpers/processes.js';

type Authenticated = { dkim: { results: { status: { result: string }; signingDomain: string; selector: string }[] } };

await onEachDatabase(async (t) => {
  const require = createRequire(import.meta.url);
  const { authenticate } = require('mailauth') as {
    authenticate(message: Buffer, options: object): Promise<Authenticated>;
  };

  t.test('the notice survives a SIGKILL between queue and delivery, and arrives signed in German', async (t) => {
    if (!requireBuild(t)) return;
    const dir = mkdtempSync(join(tmpdir(), 'mailcode-notice-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const mailpit = await startMailpit(t, dir);
    const mailbox = new MailpitClient(mailpit.apiUrl);
    const env = {
      ...(await processDatabaseEnv(t, dir)),
      MAIL_FROM: 'Acme Portal <no-reply@acme.example>',
      LOG_LEVEL: 'warn',
    };
    const withRelay = { ...env, SMTP_URL: `smtp://127.0.0.1:${mailpit.smtpPort}` };
    // Nothing listens there: the relay is away.
    const relayAway = { ...env, SMTP_URL: `smtp://127.0.0.1:${await freePort()}` };

    const created = JSON.parse(
      runCli(
        [
          'clients',
          'create',
          '--name',
          'Acme Portal',
          '--domain',
          'acme.example',
          '--from',
          'Acme Portal <no-reply@acme.example>',
          '--locale',
          'de',
          '--json',
        ],
        withRelay,
      ).stdout,
    ) as { clientId: string; apiKey: string };
    const dkim = runCli(['clients', 'dkim', 'create', created.clientId, '--selector', 'mc2026'], withRelay).stdout;
    const record = /(mc2026\._domainkey\.acme\.example)\tTXT\t("[^\n]+")/.exec(dkim);
    t.ok(record, 'the client has a DKIM key of its own');
    const zone = new Zone().set('TXT', record![1]!, JSON.parse(record![2]!) as string);
    const auth = { authorization: `Bearer ${created.apiKey}` };

    // The person proves pat@acme.example and enrols an app.
    const first = await startMailcode(t, withRelay);
    const call = (base: string, method: string, path: string, body?: unknown) =>
      fetch(`${base}${path}`, {
        method,
        headers: body === undefined ? auth : { ...auth, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    t.equal((await call(first.url, 'POST', '/send-code', { email: 'pat@acme.example', userRef: 'u-42' })).status, 202);
    const codeMail = await mailbox.waitForMessage({ query: 'to:pat@acme.example' }, { timeout: 10_000, interval: 100 });
    const code = /\b(\d{6})\b/.exec(codeMail.Subject)![1];
    t.equal(
      (await call(first.url, 'POST', '/verify-code', { email: 'pat@acme.example', purpose: 'login', code })).status,
      200,
    );
    const enrolment = (await (
      await call(first.url, 'POST', '/totp/enrollments', { userRef: 'u-42', accountName: 'pat@acme.example' })
    ).json()) as { enrollmentId: string; secret: string };
    const phone = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(enrolment.secret) });
    const confirmed = await call(first.url, 'POST', `/totp/enrollments/${enrolment.enrollmentId}/confirm`, {
      code: phone.generate(),
    });
    t.equal(confirmed.status, 200);
    const added = await mailbox.waitForMessage(
      { query: 'to:pat@acme.example subject:hinzugefügt' },
      { timeout: 10_000, interval: 100 },
    );
    t.equal(
      added.Subject,
      'Eine Authenticator-App wurde zu Ihrem Konto bei Acme Portal hinzugefügt',
      'the app added is told',
    );
    // Pat lost the phone: a recovery by email, its code mailed while the relay is there.
    const recovery = (await (await call(first.url, 'POST', '/people/u-42/recoveries', {})).json()) as { id: string };
    const recoveryMail = await mailbox.waitForMessage(
      { query: 'to:pat@acme.example subject:Wiederherstellung' },
      { timeout: 10_000, interval: 100 },
    );
    const recoveryCode = /^ {4}(\d{6})$/m.exec((await mailbox.getMessageSummary(recoveryMail.ID)).Text)![1];
    await first.stop();

    // The right recovery code starts the wait, and the portal removes the app, while the
    // relay is away; the process dies with both notices queued.
    const second = await startMailcode(t, relayAway);
    const confirmedRecovery = await call(second.url, 'POST', `/people/u-42/recoveries/${recovery.id}/confirm`, {
      code: recoveryCode,
    });
    t.equal(confirmedRecovery.status, 200);
    t.equal(((await confirmedRecovery.json()) as { status: string }).status, 'waiting');
    t.equal((await call(second.url, 'DELETE', '/totp/u-42')).status, 204);
    await waitFor('a delivery attempt that failed', async () => {
      const events = (await (await call(second.url, 'GET', '/events?subject=u-42&type=mail.deferred')).json()) as {
        events: unknown[];
      };
      return events.events.length > 0;
    });
    await second.stop('SIGKILL');
    const before = await mailbox.searchMessages({ query: 'to:pat@acme.example' });
    t.equal(
      before.messages_count,
      3,
      'only the code mail, "an app was added" and the recovery code have arrived so far',
    );

    await startMailcode(t, withRelay);
    const notice = await mailbox.waitForMessage(
      { query: 'to:pat@acme.example subject:entfernt' },
      { timeout: 20_000, interval: 200 },
    );
    t.equal(notice.Subject, 'Ihre Authenticator-App wurde aus Ihrem Konto bei Acme Portal entfernt');
    const waiting = await mailbox.waitForMessage(
      { query: 'to:pat@acme.example subject:entfernen' },
      { timeout: 20_000, interval: 200 },
    );
    t.equal(
      waiting.Subject,
      'Jemand möchte die Authenticator-App aus Ihrem Konto bei Acme Portal entfernen',
      "the recovery's notice survived the kill too",
    );
    t.match((await mailbox.getMessageSummary(waiting.ID)).Text, /Die App wird am .+ UTC entfernt\./);
    t.same(notice.Tags, ['Acme Portal', 'authenticator removed', 'de']);
    const source = Buffer.from(await mailbox.getMessageSource(notice.ID));
    const text = (await mailbox.getMessageSummary(notice.ID)).Text;
    t.match(text, /Am .+ UTC wurde die Authenticator-App aus Ihrem Konto bei Acme Portal entfernt\./);
    t.notMatch(text, /\b\d{6}\b/, 'no code in it');
    const checked = await authenticate(source, {
      ip: '127.0.0.1',
      helo: 'mailcode.test',
      sender: 'bounce@acme.example',
      mta: 'mx.test',
      resolver: zone.resolver,
    });
    t.match(
      checked.dkim.results,
      [{ status: { result: 'pass' }, signingDomain: 'acme.example', selector: 'mc2026' }],
      "DKIM-signed with the client's own key",
    );
  });
});
