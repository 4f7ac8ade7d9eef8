// What a real SMTP server answers decides the delivery state: a test server that refuses
// chosen recipients — for now (4xx) or for good (5xx) — drives a verification through
// queued, deferred, sent, bounced, suppressed and failed, each with its event, in order.
import { smtpTransport } from '../../src/mail/transport.js';
import { build, byCommandLine } from '../helpers/build.js';
import { onEachDatabase } from '../helpers/databases.js';
import { scriptedSmtpServer } from '../helpers/scripted-smtp.js';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';

await onEachDatabase(async (t) => {
  t.test('deferred, sent, bounced, suppressed and failed, from what the server says', async (t) => {
    const port = await scriptedSmtpServer(t, {
      'greylisted@acme.example': ['451 4.7.1 Greylisted, try again later', '250'],
      'moved@acme.example': [
        '451 4.2.0 Mailbox busy',
        '550 5.1.1 <moved@acme.example>: Recipient address rejected: User unknown',
      ],
      'down@acme.example': ['421 4.3.2 Service shutting down'],
    });
    const transport = smtpTransport(`smtp://127.0.0.1:${port}`);
    const { app, clock, createClient } = await build(t, { transport });
    const acme = await createClient();
    const send = async (email: string, purpose = 'login') =>
      (await app.inject({ method: 'POST', url: '/send-code', headers: acme.auth, payload: { email, purpose } })).json();
    const state = async (id: string) =>
      (await app.inject({ method: 'GET', url: `/verifications/${id}`, headers: acme.auth })).json();
    const types = async (id: string) => (await state(id)).timeline.map((e: { type: string }) => e.type);
    const deliver = () => app.mailcode.worker.runOnce();

    // Deferred, then sent: the 250's queue id is kept.
    const grey = await send('greylisted@acme.example');
    await deliver();
    t.match(await state(grey.verificationId), {
      delivery: 'deferred',
      lastReply: '451 4.7.1 Greylisted, try again later',
      enhancedStatus: '4.7.1',
    });
    clock.advance(60_000);
    await deliver();
    t.match(await state(grey.verificationId), {
      delivery: 'sent',
      deliveryAttempts: 2,
      lastReply: /^250 .*TEST42/,
      queueId: 'TEST42',
    });
    t.same(await types(grey.verificationId), ['verification.created', 'mail.deferred', 'mail.sent']);

    // One mail to an address is deferred; the next one bounces: the first is suppressed, not sent.
    const first = await send('moved@acme.example');
    await deliver();
    t.equal((await state(first.verificationId)).delivery, 'deferred');
    const second = await send('moved@acme.example', 'signup');
    await deliver();
    t.match(
      await state(second.verificationId),
      { delivery: 'bounced', deliveryAttempts: 1, enhancedStatus: '5.1.1', lastReply: /^550 5\.1\.1 .*User unknown/ },
      'a refusal at hand-over is an attempt',
    );
    t.same(await types(second.verificationId), ['verification.created', 'mail.bounced', 'address.suppressed']);
    t.equal(
      (await state(first.verificationId)).delivery,
      'suppressed',
      'the deferred mail to the bounced address is dropped',
    );
    t.same(await types(first.verificationId), ['verification.created', 'mail.deferred', 'mail.suppressed']);
    clock.advance(3_600_000);
    t.equal(await deliver(), 0, 'and never tried again');

    // Still refused when the code expires: failed, and the verification expired.
    const down = await send('down@acme.example');
    await deliver();
    for (let i = 0; i < 12; i++) {
      clock.advance(60_000);
      await deliver();
    }
    await app.mailcode.expiry.runOnce();
    const final = await state(down.verificationId);
    t.match(final, { delivery: 'failed', status: 'expired', lastReply: '421 4.3.2 Service shutting down' });
    const story = await types(down.verificationId);
    t.equal(story[0], 'verification.created');
    t.same(story.slice(-2).sort(), ['mail.failed', 'verification.expired']);
    t.ok(story.slice(1, -2).every((type: string) => type === 'mail.deferred') && story.length >= 4, story.join(', '));
  });

  t.test(
    'replies that quote the recipient leave no whole address in events, webhook bodies or suppressions',
    async (t) => {
      const port = await scriptedSmtpServer(t, {
        'grey@acme.example': ['450 4.2.0 <grey@acme.example>: Greylisted', '250'],
        'nobody@acme.example': [
          '550 5.1.1 <NOBODY@ACME.EXAMPLE>: Recipient address rejected: User unknown (also tried nobody@mx2.acme.example)',
        ],
        'late@acme.example': ['451 4.4.1 "late"@acme.example: no answer from host'],
      });
      const { app, clock, createClient } = await build(t, { transport: smtpTransport(`smtp://127.0.0.1:${port}`) });
      const acme = await createClient();
      const receiver = await startWebhookReceiver(t);
      receiver.useSecret((await app.mailcode.webhooks.add(acme.id, receiver.url, [], byCommandLine)).secret);
      for (const email of ['grey@acme.example', 'nobody@acme.example', 'late@acme.example']) {
        t.equal(
          (await app.inject({ method: 'POST', url: '/send-code', headers: acme.auth, payload: { email } })).statusCode,
          202,
        );
      }
      await app.mailcode.worker.runOnce();
      clock.advance(60_000);
      await app.mailcode.worker.runOnce();
      for (let i = 0; i < 12; i++) {
        clock.advance(60_000);
        await app.mailcode.worker.runOnce();
      }
      const events = (await app.inject({ method: 'GET', url: '/events?limit=200', headers: acme.auth })).body;
      // The client's creation and the endpoint's own were recorded before it listened: not sent to it.
      const count = (JSON.parse(events) as { events: { type: string }[] }).events.filter(
        (e) => e.type !== 'client.created' && e.type !== 'webhook.created',
      ).length;
      for (let pass = 0; pass < 20 && receiver.received.length < count; pass++)
        await app.mailcode.webhookWorker.runOnce();
      const bodies = JSON.stringify(receiver.received.map((r) => r.data));
      const suppressions = (await app.inject({ method: 'GET', url: '/suppressions', headers: acme.auth })).json()
        .suppressions;
      t.match(
        events,
        /"type":"mail\.deferred".*"reply":"450 4\.2\.0 <g\*\*\*@acme\.example>: Greylisted"/,
        'a greylisting, masked',
      );
      t.match(
        events,
        /"reason":"550 5\.1\.1 <N\*\*\*@ACME\.EXAMPLE>: Recipient address rejected: User unknown \(also tried n\*\*\*@mx2\.acme\.example\)"/,
        'a bounce naming two addresses, both masked',
      );
      t.match(
        events,
        /"type":"mail\.deferred".*"reply":"451 4\.4\.1 l\*\*\*@acme\.example: no answer from host"/,
        'a quoted local part, masked',
      );
      t.match(suppressions, [{ email: 'nobody@acme.example', reason: /^550 5\.1\.1 <N\*\*\*@ACME\.EXAMPLE>/ }]);
      t.equal(receiver.received.length, count, 'every event reached the webhook receiver');
      for (const text of [events, bodies, JSON.stringify(suppressions.map((s: { reason: string }) => s.reason))]) {
        t.notMatch(text, /(grey|nobody|"late")@(mx2\.)?acme\.example/i, 'no whole address');
      }
    },
  );
});
