// Webhooks end to end: a real Mailpit refusing mail on purpose, a real HTTP receiver
// checking every signature with the standardwebhooks library, on both databases.
import { WebhookVerifier } from '../../src/sdk/webhooks.js';
import { onEachDatabase } from '../helpers/databases.js';
import { byCommandLine } from '../helpers/build.js';
import { buildWithMailpit } from '../helpers/mailpit-app.js';
import { waitFor } from '../helpers/processes.js';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';

await onEachDatabase(async (t) => {
  t.test(
    'the portal hears every state of a verification, in order, signed: bounced, deferred then sent, verified',
    async (t) => {
      const { app, createClient, send, mailbox } = await buildWithMailpit(t, {}, ['--enable-chaos']);
      const acme = await createClient();
      const receiver = await startWebhookReceiver(t);
      const { endpoint, secret } = await app.mailcode.webhooks.add(acme.id, receiver.url, [], byCommandLine);
      receiver.useSecret(secret);
      t.match(endpoint, { clientId: acme.id, status: 'active', eventTypes: [] });

      await mailbox.setChaosTriggers({ Recipient: { ErrorCode: 550, Probability: 100 } });
      const bounced = await send(acme.apiKey, { email: 'gone@acme.example' });
      await waitFor(
        'the bounce to reach the portal',
        async () => receiver.story(bounced.verificationId).includes('address.suppressed'),
        15_000,
      );
      t.same(receiver.story(bounced.verificationId), ['verification.created', 'mail.bounced', 'address.suppressed']);

      await mailbox.setChaosTriggers({
        Recipient: { ErrorCode: 550, Probability: 0 },
        Sender: { ErrorCode: 451, Probability: 100 },
      });
      const patient = await send(acme.apiKey, { email: 'patient@acme.example' });
      await waitFor(
        'a deferral to reach the portal',
        async () => receiver.story(patient.verificationId).includes('mail.deferred'),
        15_000,
      );
      await mailbox.setChaosTriggers({ Sender: { ErrorCode: 451, Probability: 0 } });
      const message = await mailbox.waitForMessage(
        { query: 'to:patient@acme.example' },
        { timeout: 20_000, interval: 100 },
      );
      await waitFor(
        'the delivery to reach the portal',
        async () => receiver.story(patient.verificationId).includes('mail.sent'),
        15_000,
      );
      const code = /\b(\d{6})\b/.exec((await mailbox.getMessageSummary(message.ID)).Text)![1]!;
      const verified = await app.inject({
        method: 'POST',
        url: '/verify-code',
        headers: acme.auth,
        payload: { verificationId: patient.verificationId, code },
      });
      t.equal(verified.statusCode, 200);
      await waitFor(
        'the verification to reach the portal',
        async () => receiver.story(patient.verificationId).includes('verification.verified'),
        15_000,
      );
      const story = receiver.story(patient.verificationId);
      t.equal(story[0], 'verification.created');
      t.same(story.slice(-2), ['mail.sent', 'verification.verified']);
      t.ok(
        story.slice(1, -2).every((type) => type === 'mail.deferred') && story.length >= 4,
        `created, deferred…, sent, verified: ${story.join(', ')}`,
      );

      t.ok(
        receiver.received.every((r) => r.verified),
        'every request carries a valid Standard Webhooks signature',
      );
      t.ok(
        receiver.received.every((r) => r.id === r.data.id && /^ev_/.test(r.id)),
        'the webhook-id is the event id',
      );
      const trail = (
        await app.inject({ method: 'GET', url: `/events?subject=${patient.verificationId}`, headers: acme.auth })
      ).json();
      t.same(
        trail.events.map((e: { id: string }) => e.id).reverse(),
        receiver.received.filter((r) => r.data.subject === patient.verificationId).map((r) => r.id),
        'exactly the trail, in its order',
      );
      const first = receiver.received[0]!;
      const verifier = new WebhookVerifier(secret);
      t.throws(
        () => verifier.verify('{"type":"forged"}', first.headers as Record<string, string>),
        'mailcode/client refuses a body that was not signed',
      );
    },
  );

  t.test(
    'a receiver that fails gets the same webhook-id again until it answers 2xx, and nothing after it overtakes it',
    async (t) => {
      const { app, createClient, send } = await buildWithMailpit(t);
      const acme = await createClient();
      const receiver = await startWebhookReceiver(t, (n) => (n === 1 ? 503 : 204));
      const { secret } = await app.mailcode.webhooks.add(
        acme.id,
        receiver.url,
        ['verification.created', 'mail.sent'],
        byCommandLine,
      );
      receiver.useSecret(secret);
      const { verificationId } = await send(acme.apiKey, { email: 'ann@acme.example' });
      await waitFor('the retry', async () => receiver.received.length >= 3, 20_000);
      const ids = receiver.received.map((r) => `${r.type}:${r.id}`);
      t.equal(ids[0], ids[1], `the first delivery again, with its webhook-id: ${ids.join(' ')}`);
      t.same(
        receiver.story(verificationId),
        ['verification.created', 'verification.created', 'mail.sent'],
        'the mail.sent event waited for it',
      );
      // The receiver holds the third delivery a moment before the worker has read its answer
      // and marked it delivered (a pass marks its successes together, once all have answered).
      const scrape = async () => (await app.inject({ method: 'GET', url: '/metrics' })).body;
      await waitFor(
        'the third delivery marked',
        async () => /^mailcode_webhook_queue_depth 0$/m.test(await scrape()),
        10_000,
      );
      const metrics = await scrape();
      t.match(metrics, /^mailcode_webhook_deliveries_total\{outcome="retried"\} 1$/m);
      t.match(metrics, /^mailcode_webhook_deliveries_total\{outcome="delivered"\} 2$/m);
      t.match(metrics, /^mailcode_webhook_queue_depth 0$/m);
    },
  );
});
