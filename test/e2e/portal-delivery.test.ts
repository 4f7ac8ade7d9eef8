// The person waiting for a code hears what their mail server said, without reloading: a test
// SMTP server refuses chosen recipients, mailcode's signed webhook tells the example portal,
// the portal tells the code page (server-sent events), in a real Chromium.
import { spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { packageRoot } from '../../src/shared/paths.js';
import { launchChromium } from '../helpers/browser.js';
import { freePort, requireBuild, runCli, startMailcode, stopProcess, waitFor } from '../helpers/processes.js';
import { scriptedSmtpServer } from '../helpers/scripted-smtp.js';

const shots = join(packageRoot, 'screenshots');

t.test('the code page says at once that the mail server refused the mail', async (t) => {
  if (!requireBuild(t)) return;
  const browser = await launchChromium(t);
  if (!browser) return;
  const dir = mkdtempSync(join(tmpdir(), 'mailcode-portal-delivery-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(shots, { recursive: true });
  const smtpPort = await scriptedSmtpServer(t, {
    'nobody@acme.example': [
      '550 5.1.1 <nobody@acme.example>: Recipient address rejected: User unknown in virtual mailbox table',
    ],
    'busy@acme.example': ['421 4.3.2 Service shutting down'],
  });
  const env = {
    DATABASE_URL: `file:${join(dir, 'mailcode.db')}`,
    SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
    MAIL_FROM: 'Acme Portal <no-reply@acme.example>',
    LOG_LEVEL: 'warn',
  };
  const { clientId, apiKey } = JSON.parse(
    runCli(['clients', 'create', '--name', 'Acme Portal', '--domain', 'acme.example', '--json'], env).stdout,
  );
  const portalPort = await freePort();
  const mailEvents = ['mail.sent', 'mail.deferred', 'mail.bounced', 'mail.suppressed', 'mail.failed'].flatMap(
    (type) => ['--event', type],
  );
  const { secret } = JSON.parse(
    runCli(
      ['webhooks', 'add', clientId, `http://127.0.0.1:${portalPort}/mailcode/webhooks`, ...mailEvents, '--json'],
      env,
    ).stdout,
  );
  const mailcode = await startMailcode(t, env);

  const portal = spawn(process.execPath, [join(packageRoot, 'examples/portal/server.mjs')], {
    env: {
      ...process.env,
      MAILCODE_URL: mailcode.url,
      MAILCODE_API_KEY: apiKey,
      MAILCODE_CLIENT_ID: clientId,
      MAILCODE_WEBHOOK_SECRET: secret,
      PORT: String(portalPort),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  t.teardown(() => stopProcess(portal));
  const portalUrl = `http://127.0.0.1:${portalPort}`;
  await waitFor('the example portal', async () => (await fetch(portalUrl)).ok);

  const page = await browser.newPage({ viewport: { width: 390, height: 780 } });
  const signUp = async (email: string) => {
    await page.goto(`${portalUrl}/signup`);
    await page.getByLabel('Work email').fill(email);
    await page.getByRole('button', { name: 'Send verification code' }).click();
    await page.getByLabel('Verification code').waitFor();
    // Marks this page: a reload or a new page would lose it.
    await page.evaluate(() => Object.assign(window, { stillTheSamePage: true }));
  };
  const notice = page.locator('#delivery');

  // A mailbox that does not exist: 550 5.1.1 at RCPT, told to the page as it happens.
  await signUp('nobody@acme.example');
  await notice.waitFor({ state: 'visible', timeout: 15_000 });
  t.equal(await notice.innerText(), 'Your mail server refused the message (mailbox unknown); check the address.');
  t.equal(await notice.getAttribute('role'), 'alert', 'read out by screen readers');
  t.equal(
    await page.evaluate(() => (window as unknown as { stillTheSamePage?: boolean }).stillTheSamePage),
    true,
    'without reloading the page',
  );
  await page.screenshot({ path: join(shots, 'portal-11-mail-refused.png'), fullPage: true });

  // The address is now suppressed: asking again is answered at once, with the reason.
  await page.goto(`${portalUrl}/signup`);
  await page.getByLabel('Work email').fill('nobody@acme.example');
  await page.getByRole('button', { name: 'Send verification code' }).click();
  t.equal(
    await page.getByRole('alert').innerText(),
    'Mail to this address was refused (mailbox unknown). Check the address, or use another one.',
  );

  // A server that says "later": the page says mailcode keeps trying.
  await signUp('busy@acme.example');
  await waitFor(
    'the deferred notice',
    async () => /has not accepted the message yet/.test(await notice.innerText()),
    15_000,
  );
  t.equal(
    await notice.innerText(),
    'Your mail server has not accepted the message yet (mail system problem). We keep trying; it can take a few minutes.',
  );

  // An accepted mail says nothing: no notice, only the code form.
  await signUp('dana@acme.example');
  await page.waitForTimeout(1_500);
  t.equal(await notice.isHidden(), true, 'no notice for a delivered mail');

  // Only mailcode's signature is believed.
  const forged = await fetch(`${portalUrl}/mailcode/webhooks`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': 'msg_forged',
      'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
      'webhook-signature': 'v1,AAAA',
    },
    body: JSON.stringify({
      type: 'mail.bounced',
      timestamp: new Date().toISOString(),
      data: { id: 'ev_x', subject: 'vf_x', enhancedStatus: '5.1.1' },
    }),
  });
  t.equal(forged.status, 400, 'a forged webhook is refused');

  // Oversize bodies are refused as such (413), whether announced or streamed.
  const oversize = await fetch(`${portalUrl}/mailcode/webhooks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: 'x'.repeat(70_000),
  });
  t.equal(oversize.status, 413, 'an oversize webhook body');
  // Sent chunked, with no length announced; the portal may close before the last chunk, so
  // a write error after its answer is expected.
  const longForm = await new Promise<{ status: number }>((resolve, reject) => {
    const request = httpRequest(
      `${portalUrl}/login`,
      { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      (response) => {
        response.resume();
        resolve({ status: response.statusCode! });
      },
    );
    request.on('error', (error) => setTimeout(() => reject(error), 1_000));
    for (let i = 0; i < 4; i++) request.write(`email=${'a'.repeat(5_000)}`);
    request.end();
  });
  t.equal(longForm.status, 413, 'a form streamed past its limit');
  t.ok((await fetch(portalUrl)).ok, 'and the portal serves on');
});
