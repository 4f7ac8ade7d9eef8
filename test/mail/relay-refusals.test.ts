// A relay that refuses mailcode itself is not the person's address bouncing. Real SMTP
// servers refuse at each stage: an expired relay password (535 5.7.8), a sender the relay
// will not take, a policy or content refusal, a refused connection — each defers the mail
// (retried while the code lives), suppresses nobody, lets the next send through, and tells
// the operator (a metric, /readyz's warnings naming the relay without its credentials, the
// client's page in the console) until the relay takes a mail again. Only a refusal about the
// recipient — at RCPT TO, or a 5.1.x / 5.2.x reply at the end of DATA — bounces.
import { smtpTransport } from '../../src/mail/transport.js';
import { build, byCommandLine } from '../helpers/build.js';
import { ConsoleBrowser } from '../helpers/console.js';
import { onEachDatabase } from '../helpers/databases.js';
import { refusingRelay, type RefusalStage } from '../helpers/scripted-smtp.js';

const mailcodes: [RefusalStage, string][] = [
  ['auth', '535 5.7.8 Authentication credentials invalid'],
  ['auth', '530 5.7.0 Authentication required'],
  ['mail', '553 5.1.8 Sender address rejected: Domain not found'],
  ['mail', '550 5.7.1 Sender not allowed to relay'],
  ['rcpt', '554 5.7.1 Relay access denied'],
  ['data', '554 5.6.0 Message content rejected'],
  ['connect', '554 5.7.1 Client host rejected: not on the allow list'],
];
const recipients: [RefusalStage, string][] = [
  ['rcpt', '550 5.1.1 Recipient address rejected: User unknown'],
  ['rcpt', '550 Requested action not taken: mailbox unavailable'],
  ['data', '552 5.2.2 Mailbox full'],
];

await onEachDatabase(async (t) => {
  for (const [stage, reply] of mailcodes) {
    t.test(
      `the server's relay refusing mailcode at ${stage} ("${reply}"): deferred, nobody suppressed, the operator told`,
      async (t) => {
        const relay = await refusingRelay(t, stage, reply);
        const { app, createClient, clock } = await build(t, {
          transport: smtpTransport(`smtp://relay-user:relay-s3cret@127.0.0.1:${relay.port}`),
        });
        const acme = await createClient();
        const send = (email: string) =>
          app.inject({ method: 'POST', url: '/send-code', headers: acme.auth, payload: { email } });
        const first = (await send('ann@acme.example')).json();
        await app.mailcode.worker.runOnce();
        const state = (
          await app.inject({ method: 'GET', url: `/verifications/${first.verificationId}`, headers: acme.auth })
        ).json();
        t.match(
          state,
          { status: 'pending', delivery: 'deferred', lastReply: new RegExp(reply.slice(0, 3)) },
          'deferred, retried while the code lives',
        );
        t.same(
          (await app.inject({ method: 'GET', url: '/suppressions', headers: acme.auth })).json().suppressions,
          [],
          'nobody suppressed',
        );
        clock.advance(31_000);
        t.equal((await send('ann@acme.example')).statusCode, 202, 'the next send to the address is accepted');

        // Beside "ready", or in why not (a relay refusing at AUTH or at the connection fails the transport's own check too).
        const ready = (await app.inject({ method: 'GET', url: '/readyz' })).json();
        const warning = [...(ready.warnings ?? []), ready.detail ?? ''].join('\n');
        t.match(
          warning,
          new RegExp(`relay \\(SMTP_URL, 127\\.0\\.0\\.1:${relay.port}\\) refuses mailcode`),
          '/readyz names the relay',
        );
        t.match(warning, reply.slice(0, 3), 'and its reply');
        t.notMatch(warning, /relay-user|relay-s3cret/, 'never its credentials');
        const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
        t.match(
          metrics,
          new RegExp(`mailcode_relay_refusals_total\\{relay="127\\.0\\.0\\.1:${relay.port}"\\} [1-9]`),
          'the metric',
        );

        // The relay mended: the waiting mail leaves, and the warning is gone.
        relay.mend();
        clock.advance(120_000);
        await app.mailcode.worker.runOnce();
        t.equal(
          (
            await app.inject({ method: 'GET', url: `/verifications/${first.verificationId}`, headers: acme.auth })
          ).json().delivery,
          'sent',
          'sent once the relay takes it',
        );
        t.ok(relay.received.includes('ann@acme.example'));
        t.notMatch(
          (await app.inject({ method: 'GET', url: '/readyz' })).body,
          /refuses mailcode/,
          'no warning once it took a mail',
        );
      },
    );
  }

  for (const [stage, reply] of recipients) {
    t.test(`a refusal of the recipient at ${stage} ("${reply}") is the person's bounce`, async (t) => {
      const relay = await refusingRelay(t, stage, reply);
      const { app, createClient } = await build(t, {
        transport: smtpTransport(`smtp://relay-user:relay-s3cret@127.0.0.1:${relay.port}`),
      });
      const acme = await createClient();
      const sent = (
        await app.inject({
          method: 'POST',
          url: '/send-code',
          headers: acme.auth,
          payload: { email: 'gone@acme.example' },
        })
      ).json();
      await app.mailcode.worker.runOnce();
      t.equal(
        (await app.inject({ method: 'GET', url: `/verifications/${sent.verificationId}`, headers: acme.auth })).json()
          .delivery,
        'bounced',
      );
      const again = await app.inject({
        method: 'POST',
        url: '/send-code',
        headers: acme.auth,
        payload: { email: 'gone@acme.example', purpose: 'signup' },
      });
      t.equal(again.json().code, 'address_undeliverable', 'the address is suppressed');
      t.notMatch((await app.inject({ method: 'GET', url: '/readyz' })).body, /refuses mailcode/, 'no relay warning');
    });
  }

  t.test(
    "a client's own relay with an expired password: its page in the console says so, the server's relay is not blamed",
    async (t) => {
      const relay = await refusingRelay(t, 'auth', '535 5.7.8 Authentication credentials invalid');
      const { app, createClient, mail, clock } = await build(t);
      const acme = await createClient();
      await app.mailcode.relays.set(acme.id, `smtp://acme-user:expired-pass@127.0.0.1:${relay.port}`, byCommandLine);
      await app.inject({
        method: 'POST',
        url: '/send-code',
        headers: acme.auth,
        payload: { email: 'ann@acme.example' },
      });
      await app.mailcode.worker.runOnce();
      t.equal(mail.sent.length, 0, "nothing went through the server's transport");
      const warnings = (await app.inject({ method: 'GET', url: '/readyz' })).json().warnings.join('\n');
      t.match(
        warnings,
        new RegExp(
          `the relay of client Acme Portal \\(127\\.0\\.0\\.1:${relay.port}\\) refuses mailcode at AUTH PLAIN: 535 5\\.7\\.8`,
        ),
      );
      t.notMatch(warnings, /acme-user|expired-pass/);

      await app.mailcode.operators.create({ email: 'ada@ops.example', role: 'admin' }, byCommandLine);
      const browser = new ConsoleBrowser(app);
      clock.advance(1_000);
      await browser.signIn('ada@ops.example', mail, clock);
      const page = await browser.get(`/console/clients/${acme.id}`);
      t.match(page.body, /The relay refuses mailcode/);
      t.match(page.body, /535 5\.7\.8 Authentication credentials invalid/);
      t.match(page.body, /nobody is suppressed/);
      t.notMatch(page.body, /expired-pass/);
    },
  );
});
