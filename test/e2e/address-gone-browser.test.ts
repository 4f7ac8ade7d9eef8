// The mailbox as proof of membership, through the example portal in Chromium: a person signs
// up; later the company's mail server (Mailpit's chaos trigger) refuses their address with
// 550; mailcode's `person.address_gone` webhook reaches the portal (and a receiver that checks
// it with the standardwebhooks library), and the portal shows the account disabled — to the
// signed-in page and to the next log in. On SQLite, then PostgreSQL + Redis.
import { MailpitClient } from 'mailpit-api';
import type { Page } from 'playwright-core';
import { byCommandLine } from '../helpers/build.js';
import { onEachDatabase } from '../helpers/databases.js';
import { examplePortal, fileBrowserAndMailpit, mailcodeOnLoopback, newestCode } from '../helpers/portal-app.js';
import { freePort, waitFor } from '../helpers/processes.js';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';

const { browser, mailpit, files, close } = await fileBrowserAndMailpit('mailcode-gone-', ['--enable-chaos']);

await onEachDatabase(async (t) => {
  if (!browser || !mailpit) return;
  const mailbox = new MailpitClient(mailpit.apiUrl);
  await mailbox.deleteMessages();
  await mailbox.setChaosTriggers({ Recipient: { ErrorCode: 550, Probability: 0 } });
  const { app, url } = await mailcodeOnLoopback(t, { files, smtpPort: mailpit.smtpPort });
  const { client, apiKey } = await app.mailcode.clients.create(
    { name: 'Acme Portal', allowedDomains: ['acme.example'] },
    byCommandLine,
  );

  // The portal's address first: its webhook's secret goes to the portal as it starts.
  const portalPort = await freePort();
  const portalHook = await app.mailcode.webhooks.add(
    client.id,
    `http://127.0.0.1:${portalPort}/mailcode/webhooks`,
    ['person.address_gone'],
    byCommandLine,
  );
  const receiver = await startWebhookReceiver(t);
  receiver.useSecret((await app.mailcode.webhooks.add(client.id, receiver.url, [], byCommandLine)).secret);
  const portalUrl = await examplePortal(t, {
    url,
    clientId: client.id,
    apiKey,
    webhookSecret: portalHook.secret,
    port: portalPort,
  });

  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  t.teardown(() => context.close());
  const page = await context.newPage();
  const bodyText = (p: Page) => p.locator('body').innerText();

  await page.goto(`${portalUrl}/signup`);
  await page.getByLabel('Work email').fill('lee@acme.example');
  await page.getByRole('button', { name: 'Send verification code' }).click();
  await page.getByLabel('Verification code').fill(await newestCode(mailbox, 'lee@acme.example', 0));
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByLabel('New password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Create account' }).click();
  t.match(await bodyText(page), /Signed in as lee@acme\.example/);

  // Lee has left the company: its mail server refuses the address. A log in elsewhere mails a code.
  await mailbox.setChaosTriggers({ Recipient: { ErrorCode: 550, Probability: 100 } });
  const elsewhere = await (await browser.newContext()).newPage();
  await elsewhere.goto(`${portalUrl}/login`);
  await elsewhere.getByLabel('Work email').fill('lee@acme.example');
  await elsewhere.getByLabel('Password').fill('correct horse battery');
  await elsewhere.getByRole('button', { name: 'Log in' }).click();
  await waitFor(
    'person.address_gone at the receiver',
    async () => receiver.received.some((r) => r.type === 'person.address_gone'),
    20_000,
  );
  await mailbox.setChaosTriggers({ Recipient: { ErrorCode: 550, Probability: 0 } });
  const gone = receiver.received.find((r) => r.type === 'person.address_gone')!;
  t.ok(gone.verified, 'signed as Standard Webhooks say (checked with the standardwebhooks library)');
  t.match(gone.data, { subject: /^u_/, email: 'l***@acme.example' }, "the person's user reference, masked address");

  await waitFor(
    'the portal to disable the account',
    async () => (await page.goto(portalUrl))!.status() === 403,
    15_000,
  );
  t.match(
    await page.locator('#account-disabled').innerText(),
    /This account is disabled/,
    'the signed-in page says so',
  );
  await elsewhere.context().clearCookies();
  await elsewhere.goto(`${portalUrl}/login`);
  await elsewhere.getByLabel('Work email').fill('lee@acme.example');
  await elsewhere.getByLabel('Password').fill('correct horse battery');
  await elsewhere.getByRole('button', { name: 'Log in' }).click();
  t.match(await bodyText(elsewhere), /This account is disabled/, 'and so does the next log in');
  await elsewhere.context().close();
});

await close();
