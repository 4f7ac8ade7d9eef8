// Headers, DKIM and delivery faults, against a real Mailpit.
import { generateKeyPairSync } from 'node:crypto';
import { createRequire } from 'node:module';

import { buildWithMailpit } from '../helpers/mailpit-app.js';
import { waitFor } from '../helpers/processes.js';
import { onEachDatabase } from '../helpers/databases.js';

await onEachDatabase(async (t) => {
  const require = createRequire(import.meta.url);
  const { dkimVerify } = require('mailauth/lib/dkim/verify') as {
    dkimVerify(
      message: Buffer,
      options: { resolver: (name: string, type: string) => Promise<string[][]> },
    ): Promise<{ results: { status: { result: string }; signingDomain: string; selector: string }[] }>;
  };

  t.test('a code mail carries the headers of a good transactional mail', async (t) => {
    const { createClient, send, mailbox } = await buildWithMailpit(t);
    const acme = await createClient({ replyTo: 'Acme Support <help@acme.example>' });
    const { verificationId } = await send(acme.apiKey, { email: 'h1@acme.example' });
    await send(acme.apiKey, { email: 'h2@acme.example', purpose: 'signup', locale: 'de' });
    const first = await mailbox.waitForMessage({ query: 'to:h1@acme.example' }, { timeout: 10_000, interval: 100 });
    const second = await mailbox.waitForMessage({ query: 'to:h2@acme.example' }, { timeout: 10_000, interval: 100 });
    const h1 = await mailbox.getMessageHeaders(first.ID);
    const h2 = await mailbox.getMessageHeaders(second.ID);
    // One Message-ID per outbox row (verification id + row id): a mail sent again after a crash
    // is the same message, and two mails are never the same message.
    t.match(
      h1['Message-Id']?.[0] ?? h1['Message-ID']?.[0],
      /^<vf_[A-Za-z0-9_-]+\.\d+@acme\.example>$/,
      'Message-ID on the sending domain',
    );
    t.not(
      h1['Message-Id']?.[0] ?? h1['Message-ID']?.[0],
      h2['Message-Id']?.[0] ?? h2['Message-ID']?.[0],
      'each mail its own Message-ID',
    );
    t.ok(h1.Date?.[0], 'Date');
    t.same(h1['Auto-Submitted'], ['auto-generated']);
    t.ok(h1['X-Entity-Ref-Id']?.[0] ?? h1['X-Entity-Ref-ID']?.[0], 'an entity reference');
    t.not(
      JSON.stringify(h1['X-Entity-Ref-Id'] ?? h1['X-Entity-Ref-ID']),
      JSON.stringify(h2['X-Entity-Ref-Id'] ?? h2['X-Entity-Ref-ID']),
      'different per mail, so codes are not threaded',
    );
    t.equal(first.ReplyTo[0]?.Address, 'help@acme.example');
    t.equal(first.From.Name, 'Acme Portal');
    t.same(h1['X-Tags'], ['login, en, Acme Portal'], 'Mailpit tags: purpose, language, client');
    t.same([...second.Tags].sort(), ['Acme Portal', 'de', 'signup']);
    const byId = await mailbox.searchMessages({ query: `message-id:${verificationId}` });
    t.same(
      byId.messages.map((m) => m.ID),
      [first.ID],
      "QA finds a verification's mail by its id",
    );
  });

  t.test('the code can be kept out of the subject', async (t) => {
    const { createClient, send, mailbox } = await buildWithMailpit(t);
    const acme = await createClient({ codeInSubject: false });
    await send(acme.apiKey, { email: 'quiet@acme.example' });
    const message = await mailbox.waitForMessage(
      { query: 'to:quiet@acme.example' },
      { timeout: 10_000, interval: 100 },
    );
    t.equal(message.Subject, 'Your Acme Portal verification code');
  });

  t.test('with DKIM settings the mail is signed and verifies with an independent verifier', async (t) => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const { createClient, send, mailbox } = await buildWithMailpit(t, {
      DKIM_DOMAIN: 'acme.example',
      DKIM_SELECTOR: 'mailcode2026',
      DKIM_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    });
    const acme = await createClient();
    await send(acme.apiKey, { email: 'signed@acme.example' });
    const message = await mailbox.waitForMessage(
      { query: 'to:signed@acme.example' },
      { timeout: 10_000, interval: 100 },
    );
    const source = Buffer.from(await mailbox.getMessageSource(message.ID));
    const dnsRecord = `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`;
    const resolver = async (name: string, type: string) => {
      if (type === 'TXT' && name === 'mailcode2026._domainkey.acme.example') return [[dnsRecord]];
      throw Object.assign(new Error(`no ${type} record for ${name}`), { code: 'ENOTFOUND' });
    };
    const { results } = await dkimVerify(source, { resolver });
    t.equal(results.length, 1);
    t.match(results[0], { status: { result: 'pass' }, signingDomain: 'acme.example', selector: 'mailcode2026' });
    const tampered = Buffer.from(source.toString('latin1').replace(/Subject: \d{6}/, 'Subject: 000000'), 'latin1');
    const { results: tamperedResults } = await dkimVerify(tampered, { resolver });
    t.not(tamperedResults[0]?.status.result, 'pass', 'a changed subject no longer verifies');
  });

  t.test('SMTP refusing for a while: the mail arrives once it accepts again, inside the lifetime', async (t) => {
    const { createClient, send, state, mailbox } = await buildWithMailpit(t, {}, ['--enable-chaos']);
    const acme = await createClient();
    await mailbox.setChaosTriggers({ Sender: { ErrorCode: 451, Probability: 100 } });
    const { verificationId } = await send(acme.apiKey, { email: 'patient@acme.example' });
    await waitFor(
      'two refused attempts',
      async () => (await state(acme.apiKey, verificationId)).deliveryAttempts >= 2,
      10_000,
    );
    const refused = await state(acme.apiKey, verificationId);
    t.match(refused, { delivery: 'deferred', lastDeliveryError: /451/, lastReply: '451 Chaos sender error' });
    await mailbox.setChaosTriggers({ Sender: { ErrorCode: 451, Probability: 0 } });
    const message = await mailbox.waitForMessage(
      { query: 'to:patient@acme.example' },
      { timeout: 15_000, interval: 100 },
    );
    t.ok(message.ID, 'delivered after the outage');
    await waitFor('delivery recorded', async () => (await state(acme.apiKey, verificationId)).delivery === 'sent');
    t.equal((await mailbox.searchMessages({ query: 'to:patient@acme.example' })).messages_count, 1, 'exactly one copy');
    const delivered = await state(acme.apiKey, verificationId);
    t.match(
      delivered,
      { lastReply: /^250 2\.0\.0 Ok: queued as /, queueId: message.ID },
      "Mailpit's 250 reply and its queue id (its message id) are kept",
    );
    const story = delivered.timeline.map((e: { type: string }) => e.type);
    t.equal(story[0], 'verification.created');
    t.equal(story.at(-1), 'mail.sent');
    t.ok(
      story.slice(1, -1).length >= 2 && story.slice(1, -1).every((type: string) => type === 'mail.deferred'),
      `deferred before it was sent: ${story.join(', ')}`,
    );
  });

  t.test(
    'a mail server refusing the recipient for good: bounced, the address suppressed, the next send refused at once',
    async (t) => {
      const { app, createClient, send, state, mailbox } = await buildWithMailpit(t, {}, ['--enable-chaos']);
      const acme = await createClient();
      await mailbox.setChaosTriggers({ Recipient: { ErrorCode: 550, Probability: 100 } });
      const { verificationId } = await send(acme.apiKey, { email: 'nobody@acme.example' });
      await waitFor(
        'the bounce',
        async () => (await state(acme.apiKey, verificationId)).delivery === 'bounced',
        10_000,
      );
      const bounced = await state(acme.apiKey, verificationId);
      t.match(
        bounced,
        { delivery: 'bounced', deliveryAttempts: 1, lastReply: '550 Chaos recipient error' },
        'the refused hand-over counts',
      );
      t.same(
        bounced.timeline.map((e: { type: string }) => e.type),
        ['verification.created', 'mail.bounced', 'address.suppressed'],
        'no retry after a 5xx',
      );
      await mailbox.setChaosTriggers({ Recipient: { ErrorCode: 550, Probability: 0 } });
      const again = await app.inject({
        method: 'POST',
        url: '/send-code',
        headers: acme.auth,
        payload: { email: 'nobody@acme.example', purpose: 'signup' },
      });
      t.equal(again.statusCode, 422);
      t.match(again.json(), {
        code: 'address_undeliverable',
        reason: '550 Chaos recipient error',
        enhancedStatus: null,
        suppressedUntil: /^\d{4}-/,
      });
      const listed = (await app.inject({ method: 'GET', url: '/suppressions', headers: acme.auth })).json();
      t.match(listed.suppressions, [
        { email: 'nobody@acme.example', reason: '550 Chaos recipient error', verificationId },
      ]);
      const events = (
        await app.inject({ method: 'GET', url: '/events?type=mail.bounced,address.suppressed', headers: acme.auth })
      ).json();
      t.same(
        events.events.map((e: { type: string }) => e.type),
        ['address.suppressed', 'mail.bounced'],
        'newest first',
      );
      const typo = await app.inject({
        method: 'GET',
        url: '/events?type=mail.bounced,mail.bouncd',
        headers: acme.auth,
      });
      t.equal(typo.statusCode, 400, 'an unknown event type is refused, not answered with an empty page');
      t.match(typo.json(), { code: 'invalid_request' });
      t.match(events.events[1], {
        subject: verificationId,
        email: 'n***@acme.example',
        actor: 'mailcode',
        data: { reply: '550 Chaos recipient error', source: 'smtp' },
      });
      const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
      t.match(metrics, /^mailcode_mail_bounced_total\{domain="acme\.example"\} 1$/m);
      const lift = await app.inject({
        method: 'DELETE',
        url: '/suppressions/nobody%40acme.example',
        headers: acme.auth,
      });
      t.equal(lift.statusCode, 204);
      t.equal(
        (await app.inject({ method: 'DELETE', url: '/suppressions/nobody%40acme.example', headers: acme.auth }))
          .statusCode,
        404,
        'lifted once',
      );
      const resent = await app.inject({
        method: 'POST',
        url: '/send-code',
        headers: acme.auth,
        payload: { email: 'nobody@acme.example', purpose: 'signup' },
      });
      t.equal(resent.statusCode, 202, 'mail goes out again once lifted');
      await mailbox.waitForMessage({ query: 'to:nobody@acme.example' }, { timeout: 10_000, interval: 100 });
    },
  );

  t.test('SMTP down past the code lifetime: delivery failed, and a metric counts it', async (t) => {
    // The clock runs as real time does, until the test moves it past the code's lifetime.
    let skipped = 0;
    const { app, createClient, send, state, mailbox } = await buildWithMailpit(
      t,
      { CODE_TTL_SECONDS: '30' },
      ['--enable-chaos'],
      { now: () => Date.now() + skipped },
    );
    const acme = await createClient();
    await mailbox.setChaosTriggers({ Sender: { ErrorCode: 421, Probability: 100 } });
    const { verificationId } = await send(acme.apiKey, { email: 'unlucky@acme.example' });
    await waitFor(
      'two refused attempts',
      async () => (await state(acme.apiKey, verificationId)).deliveryAttempts >= 2,
      15_000,
    );
    skipped = 31_000;
    await waitFor(
      'the mail to be given up',
      async () => (await state(acme.apiKey, verificationId)).delivery === 'failed',
      15_000,
    );
    const final = await state(acme.apiKey, verificationId);
    t.ok(final.deliveryAttempts >= 2, `retried ${final.deliveryAttempts} times while the code lived`);
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    t.match(metrics, /^mailcode_mail_failed_total 1$/m);
    t.match(metrics, /^mailcode_mail_retries_total [1-9]\d*$/m);
    t.equal(await app.mailcode.store.outbox.countQueued(), 0, 'nothing left queued, and the payload is erased');
  });
});
