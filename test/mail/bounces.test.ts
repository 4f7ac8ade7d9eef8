// A bounce that arrives after the relay accepted the mail: the per-mail return path (VERP)
// leads a real RFC 3464 report, mailed over SMTP to mailcode's bounce listener, to the
// verification it is about. Forged and unreadable reports change nothing.
import nodemailer from 'nodemailer';
import { onEachDatabase } from '../helpers/databases.js';
import { buildWithMailpit } from '../helpers/mailpit-app.js';
import { waitFor } from '../helpers/processes.js';

const report = (to: string, recipient: string, action = 'failed', status = '5.1.1') =>
  [
    'From: Mail Delivery System <MAILER-DAEMON@mx.acme.example>',
    `To: <${to}>`,
    'Subject: Undelivered Mail Returned to Sender',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="dsn-boundary"',
    '',
    '--dsn-boundary',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'Your message could not be delivered to one or more recipients.',
    '--dsn-boundary',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.acme.example',
    '',
    `Final-Recipient: rfc822; ${recipient}`,
    `Action: ${action}`,
    `Status: ${status}`,
    `Diagnostic-Code: smtp; 550 ${status} <${recipient}>: Recipient address rejected: User unknown`,
    '',
    '--dsn-boundary--',
    '',
  ].join('\r\n');

await onEachDatabase(async (t) => {
  t.test(
    'a DSN mailed to the bounce listener bounces the mail it names, once; forged or unreadable reports change nothing',
    async (t) => {
      const { app, createClient, send, state, mailbox } = await buildWithMailpit(t, {
        BOUNCE_DOMAIN: 'bounces.acme.example',
        BOUNCE_SMTP_PORT: '0',
      });
      const port = app.mailcode.bounceListenerPort();
      t.ok(port, 'the listener is up');
      const relay = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
      t.teardown(() => relay.close());
      const bounceTo = (to: string, raw: string) => relay.sendMail({ envelope: { from: '', to }, raw });

      const acme = await createClient();
      const { verificationId } = await send(acme.apiKey, { email: 'late@acme.example' });
      const message = await mailbox.waitForMessage(
        { query: 'to:late@acme.example' },
        { timeout: 10_000, interval: 100 },
      );
      await waitFor('the delivery', async () => (await state(acme.apiKey, verificationId)).delivery === 'sent');
      const returnPath = (await mailbox.getMessageSummary(message.ID)).ReturnPath;
      t.match(
        returnPath,
        /^bounce\+\d+-[a-z0-9_-]{16}@bounces\.acme\.example$/,
        'the mail left with its own return path',
      );

      const refused = (to: string) =>
        bounceTo(to, report(returnPath, 'late@acme.example')).then(
          () => 250,
          (error: { responseCode?: number }) => error.responseCode,
        );
      t.equal(
        await refused(returnPath.replace(/-[a-z0-9_-]{16}@/, '-aaaaaaaaaaaaaaaa@')),
        550,
        'a forged return path is refused at RCPT',
      );
      t.equal(await refused('postmaster@bounces.acme.example'), 550);
      await bounceTo(returnPath, 'Subject: out of office\r\n\r\nI am away until Monday.\r\n');
      await bounceTo(returnPath, report(returnPath, 'late@acme.example', 'delayed', '4.4.7'));
      t.equal(
        (await state(acme.apiKey, verificationId)).delivery,
        'sent',
        'an autoreply and a delay report change nothing',
      );

      await bounceTo(returnPath, report(returnPath, 'late@acme.example'));
      const bounced = await state(acme.apiKey, verificationId);
      t.match(bounced, {
        delivery: 'bounced',
        deliveryAttempts: 1,
        enhancedStatus: '5.1.1',
        lastReply: '550 5.1.1 <l***@acme.example>: Recipient address rejected: User unknown',
      });
      t.same(
        bounced.timeline.map((e) => e.type),
        ['verification.created', 'mail.sent', 'mail.bounced', 'address.suppressed'],
      );
      t.match(bounced.timeline[2], { data: { source: 'dsn', enhancedStatus: '5.1.1' } });
      const trail = (await app.inject({ method: 'GET', url: '/events?limit=200', headers: acme.auth })).body;
      t.match(
        trail,
        /"reason":"550 5\.1\.1 <l\*\*\*@acme\.example>: Recipient address rejected/,
        'the report quoted the address: the events hold it masked',
      );
      t.notMatch(trail, /late@acme\.example/i);
      await bounceTo(returnPath, report(returnPath, 'late@acme.example'));
      t.equal(
        (await state(acme.apiKey, verificationId)).timeline.filter((e) => e.type === 'mail.bounced').length,
        1,
        'a second report of the same bounce changes nothing',
      );

      const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
      t.match(
        metrics,
        /mailcode_bounce_reports_total\{outcome="no_bounce"\} 2\n/,
        'the autoreply and the delay report, counted',
      );
      t.match(metrics, /mailcode_bounce_reports_total\{outcome="hard_bounce"\} 2\n/);
      const again = await app.inject({
        method: 'POST',
        url: '/send-code',
        headers: acme.auth,
        payload: { email: 'late@acme.example', purpose: 'signup' },
      });
      t.equal(again.statusCode, 422);
      t.match(again.json(), { code: 'address_undeliverable', reason: /User unknown/, enhancedStatus: '5.1.1' });
    },
  );
});
