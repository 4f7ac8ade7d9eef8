// What a real SMTP server answers decides the delivery state: a test server that refuses
// chosen recipients — for now (4xx) or for good (5xx) — drives a verification through
// queued, deferred, sent, bounced, suppressed and failed, each with its event, in order.
import { smtpTransport } from '../../src/mail/transport.js';
import { build } from '../helpers/build.js';
import { onEachDatabase } from '../helpers/databases.js';
import { scriptedSmtpServer } from '../helpers/scripted-smtp.js';

await onEachDatabase(async (t) => {
  t.test('deferred, sent, bounced, suppressed and failed, from what the server says', async (t) => {
    const port = await scriptedSmtpServer(t, {
      'greylisted@acme.example': ['451 4.7.1 Greylisted, try again later', '250'],
      'moved@acme.example': ['451 4.2.0 Mailbox busy', '550 5.1.1 <moved@acme.example>: Recipient address rejected: User unknown'],
      'down@acme.example': ['421 4.3.2 Service shutting down'],
    });
    const transport = smtpTransport(`smtp://127.0.0.1:${port}`);
    const { app, clock, createClient } = await build(t, { transport });
    const acme = await createClient();
    const send = async (email: string, purpose = 'login') => (await app.inject({ method: 'POST', url: '/send-code', headers: acme.auth, payload: { email, purpose } })).json();
    const state = async (id: string) => (await app.inject({ method: 'GET', url: `/verifications/${id}`, headers: acme.auth })).json();
    const types = async (id: string) => (await state(id)).timeline.map((e: { type: string }) => e.type);
    const deliver = () => app.mailcode.worker.runOnce();

    // Deferred, then sent: the 250's queue id is kept.
    const grey = await send('greylisted@acme.example');
    await deliver();
    t.match(await state(grey.verificationId), { delivery: 'deferred', lastReply: '451 4.7.1 Greylisted, try again later', enhancedStatus: '4.7.1' });
    clock.advance(60_000);
    await deliver();
    t.match(await state(grey.verificationId), { delivery: 'sent', lastReply: /^250 .*TEST42/, queueId: 'TEST42' });
    t.same(await types(grey.verificationId), ['verification.created', 'mail.deferred', 'mail.sent']);

    // One mail to an address is deferred; the next one bounces: the first is suppressed, not sent.
    const first = await send('moved@acme.example');
    await deliver();
    t.equal((await state(first.verificationId)).delivery, 'deferred');
    const second = await send('moved@acme.example', 'signup');
    await deliver();
    t.match(await state(second.verificationId), { delivery: 'bounced', enhancedStatus: '5.1.1', lastReply: /^550 5\.1\.1 .*User unknown/ });
    t.same(await types(second.verificationId), ['verification.created', 'mail.bounced', 'address.suppressed']);
    t.equal((await state(first.verificationId)).delivery, 'suppressed', 'the deferred mail to the bounced address is dropped');
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
});
