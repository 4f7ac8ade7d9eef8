// The mailbox as proof of membership: when a company's mail server refuses a person's proven
// address for good, each person of the client who proved it is named in a
// `person.address_gone` event and webhook (checked with the standardwebhooks library) — with
// the address masked; a policy refusal or a full mailbox names nobody. Mailpit's chaos
// trigger plays the company's mail server.
import t from 'tap';
import { addressGone } from '../../src/people/address-gone.js';
import { byCommandLine } from '../helpers/build.js';
import { onEachDatabase } from '../helpers/databases.js';
import { buildWithMailpit } from '../helpers/mailpit-app.js';
import { waitFor } from '../helpers/processes.js';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';

t.test('which refusals say the mailbox is gone', async (t) => {
  t.ok(addressGone('550 5.1.1 <a***@acme.example>: User unknown', '5.1.1'), 'no such mailbox');
  t.ok(addressGone('550 5.2.1 Mailbox disabled', '5.2.1'), 'disabled');
  t.ok(addressGone('551 5.1.6 moved', '5.1.6'), 'moved away');
  t.ok(addressGone('550 Chaos recipient error', null), "a bare 550: RFC 5321's mailbox unavailable");
  t.notOk(addressGone('550 5.7.1 Message rejected as spam', '5.7.1'), 'a policy refusal');
  t.notOk(addressGone('552 5.2.2 Mailbox full', '5.2.2'), 'a full mailbox');
  t.notOk(addressGone('554 Transaction failed', null), 'another code');
});

await onEachDatabase(async (t) => {
  t.test('a refused address names every person who proved it at the client, in an event and a webhook', async (t) => {
    const { app, createClient, send, mailbox } = await buildWithMailpit(t, {}, ['--enable-chaos']);
    const acme = await createClient();
    const other = await createClient({ name: 'Other' });
    const receiver = await startWebhookReceiver(t);
    receiver.useSecret((await app.mailcode.webhooks.add(acme.id, receiver.url, [], byCommandLine)).secret);
    const events = async (apiKey: string) =>
      (
        await app.inject({
          method: 'GET',
          url: '/events?type=person.address_gone',
          headers: { authorization: `Bearer ${apiKey}` },
        })
      ).json().events as { subject: string; email: string; data: { enhancedStatus: string | null } }[];

    // Two people of Acme proved pat@ (a shared mailbox, say), and one of Other.
    let mails = 0;
    for (const [client, userRef] of [
      [acme, 'u-1'],
      [acme, 'u-2'],
      [other, 'o-1'],
    ] as const) {
      const { verificationId } = await send(client.apiKey, { email: 'pat@acme.example', userRef });
      mails++;
      await waitFor(
        `code mail ${mails}`,
        async () => (await mailbox.searchMessages({ query: 'to:pat@acme.example' })).messages_count >= mails,
        10_000,
      );
      const [newest] = (await mailbox.searchMessages({ query: 'to:pat@acme.example' })).messages;
      const code = /\b(\d{6})\b/.exec(newest!.Subject)![1];
      const verified = await app.inject({
        method: 'POST',
        url: '/verify-code',
        headers: client.auth,
        payload: { verificationId, code },
      });
      t.equal(verified.statusCode, 200, `${userRef} proved the address`);
    }

    // u-1 trusts a browser: it goes with the address.
    const trusted = await app.inject({
      method: 'POST',
      url: '/people/u-1/trusted-browsers',
      headers: acme.auth,
      payload: { browserBinding: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', label: 'Laptop' },
    });
    t.equal(trusted.statusCode, 201);

    // The mailbox is closed: the company's server refuses it at RCPT.
    await mailbox.setChaosTriggers({ Recipient: { ErrorCode: 550, Probability: 100 } });
    await send(acme.apiKey, { email: 'pat@acme.example', purpose: 'login' });
    await waitFor('the address named gone', async () => (await events(acme.apiKey)).length >= 2, 15_000);
    await mailbox.setChaosTriggers({ Recipient: { ErrorCode: 550, Probability: 0 } });
    const gone = await events(acme.apiKey);
    t.same(gone.map((e) => e.subject).sort(), ['u-1', 'u-2'], "each of Acme's people who proved it, once");
    t.ok(
      gone.every((e) => e.email === 'p***@acme.example'),
      'the address masked',
    );
    t.same(await events(other.apiKey), [], "Other's person is Other's: Other's mail did not bounce");
    await waitFor(
      "u-1's trusted browsers ended",
      async () =>
        (await app.inject({ method: 'GET', url: '/people/u-1/trusted-browsers', headers: acme.auth })).json()
          .trustedBrowsers.length === 0,
      10_000,
    );
    const arrived = () => receiver.received.filter((r) => r.type === 'person.address_gone').length;
    await waitFor('both webhooks', async () => arrived() >= 2, 15_000);
    const hooks = receiver.received.filter((r) => r.type === 'person.address_gone');
    t.same(hooks.map((r) => r.data.subject).sort(), ['u-1', 'u-2'], 'the webhook names them');
    t.ok(
      hooks.every((r) => r.verified),
      'signed as Standard Webhooks say',
    );
    t.notMatch(JSON.stringify(hooks.map((r) => r.data)), /pat@acme\.example/, 'never the whole address');
  });
});
