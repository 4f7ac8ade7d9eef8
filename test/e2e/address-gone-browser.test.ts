// The mailbox as proof of membership, through the example portal in Chromium: a person signs
// up; later the company's mail server (Mailpit's chaos trigger) refuses their address with
// 550; mailcode's `person.address_gone` webhook reaches the portal (and a receiver that checks
// it with the standardwebhooks library), and the portal shows the account disabled — to the
// signed-in page and to the next log in. On SQLite, then PostgreSQL + Redis.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MailpitClient } from 'mailpit-api';
import type { Page } from 'playwright-core';
import tap, { type Test } from 'tap';
import { buildApp } from '../../src/main/app.js';
import { packageRoot } from '../../src/shared/paths.js';
import { launchChromium } from '../helpers/browser.js';
import { byCommandLine, testConfig } from '../helpers/build.js';
import { onEachDatabase, onPostgres, postgresTestEnv } from '../helpers/databases.js';
import { freePort, requireBuild, startMailpit, stopProcess, waitFor } from '../helpers/processes.js';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';

const files = mkdtempSync(join(tmpdir(), 'mailcode-gone-'));
const closers: (() => unknown)[] = [];
const fileScope = {
  teardown: (close: () => unknown) => closers.push(close),
  fail: (m: string) => tap.fail(m),
  plan: (_n: number, why: string) => tap.comment(`skipped: ${why}`),
} as unknown as Test;
const browser = requireBuild(tap) ? await launchChromium(fileScope) : undefined;
const mailpit = browser ? await startMailpit(fileScope, files, ['--enable-chaos']) : undefined;

await onEachDatabase(async (t) => {
  if (!browser || !mailpit) return;
  const dir = mkdtempSync(join(files, 'db-'));
  const mailbox = new MailpitClient(mailpit.apiUrl);
  await mailbox.deleteMessages();
  await mailbox.setChaosTriggers({ Recipient: { ErrorCode: 550, Probability: 0 } });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = testConfig(dir, {
    ...(onPostgres ? await postgresTestEnv(t) : {}),
    SMTP_URL: `smtp://127.0.0.1:${mailpit.smtpPort}`,
    MAIL_FROM: 'Acme Portal <no-reply@acme.example>',
    PUBLIC_URL: url,
    LOG_LEVEL: 'warn',
    RESEND_COOLDOWN_SECONDS: '0',
  });
  const app = await buildApp(config);
  await app.listen({ port, host: '127.0.0.1' });
  t.teardown(() => app.close());
  const { client, apiKey } = await app.mailcode.clients.create(
    { name: 'Acme Portal', allowedDomains: ['acme.example'] },
    byCommandLine,
  );

  const portalPort = await freePort();
  const portalUrl = `http://127.0.0.1:${portalPort}`;
  const portalHook = await app.mailcode.webhooks.add(
    client.id,
    `${portalUrl}/mailcode/webhooks`,
    ['person.address_gone'],
    byCommandLine,
  );
  const receiver = await startWebhookReceiver(t);
  receiver.useSecret((await app.mailcode.webhooks.add(client.id, receiver.url, [], byCommandLine)).secret);
  const portal = spawn(process.execPath, [join(packageRoot, 'examples/portal/server.mjs')], {
    env: {
      ...process.env,
      MAILCODE_URL: url,
      MAILCODE_API_KEY: apiKey,
      MAILCODE_CLIENT_ID: client.id,
      MAILCODE_ISSUER: url,
      MAILCODE_WEBHOOK_SECRET: portalHook.secret,
      PORT: String(portalPort),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  t.teardown(() => stopProcess(portal));
  await waitFor('the example portal', async () => (await fetch(portalUrl)).ok);

  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  t.teardown(() => context.close());
  const page = await context.newPage();
  const bodyText = (p: Page) => p.locator('body').innerText();
  const newestCode = async (email: string, after: number) => {
    await waitFor(
      `mail ${after + 1} to ${email}`,
      async () => (await mailbox.searchMessages({ query: `to:${email}` })).messages_count > after,
      10_000,
    );
    const [newest] = (await mailbox.searchMessages({ query: `to:${email}` })).messages;
    return /^ {4}(\d{6})$/m.exec((await mailbox.getMessageSummary(newest!.ID)).Text)![1]!;
  };

  await page.goto(`${portalUrl}/signup`);
  await page.getByLabel('Work email').fill('lee@acme.example');
  await page.getByRole('button', { name: 'Send verification code' }).click();
  await page.getByLabel('Verification code').fill(await newestCode('lee@acme.example', 0));
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

for (const close of closers.reverse()) await close();
rmSync(files, { recursive: true, force: true });
