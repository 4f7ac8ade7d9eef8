// Trusted browsers through the example portal in Chromium, with a real Mailpit: "Remember
// this browser" → the next log in skips the authenticator; past the membership window a code
// is asked even there; a token used twice ends the trust; a browser with the token but not
// the cookie is refused; support revokes in the console → the app is asked again. mailcode
// runs in-process on a clock the test moves. On SQLite, then PostgreSQL + Redis.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import jsQRModule from 'jsqr';
import { MailpitClient } from 'mailpit-api';
import * as OTPAuth from 'otpauth';
import type { BrowserContext, Page } from 'playwright-core';
import { PNG } from 'pngjs';
import tap, { type Test } from 'tap';
import { buildApp } from '../../src/main/app.js';
import { packageRoot } from '../../src/shared/paths.js';
import { launchChromium } from '../helpers/browser.js';
import { byCommandLine, testConfig } from '../helpers/build.js';
import { onEachDatabase, onPostgres, postgresTestEnv } from '../helpers/databases.js';
import { freePort, requireBuild, startMailpit, stopProcess, waitFor } from '../helpers/processes.js';

const jsQR = jsQRModule.default;
const shots = join(packageRoot, 'screenshots');
const day = 24 * 3_600_000;

const files = mkdtempSync(join(tmpdir(), 'mailcode-trusted-'));
mkdirSync(shots, { recursive: true });
const closers: (() => unknown)[] = [];
const fileScope = {
  teardown: (close: () => unknown) => closers.push(close),
  fail: (m: string) => tap.fail(m),
  plan: (_n: number, why: string) => tap.comment(`skipped: ${why}`),
} as unknown as Test;
const browser = requireBuild(tap) ? await launchChromium(fileScope) : undefined;
const mailpit = browser ? await startMailpit(fileScope, files) : undefined;

await onEachDatabase(async (t) => {
  if (!browser || !mailpit) return;
  const dir = mkdtempSync(join(files, 'db-'));
  const mailbox = new MailpitClient(mailpit.apiUrl);
  await mailbox.deleteMessages();
  let offset = 0;
  const now = () => Date.now() + offset;
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
  const app = await buildApp(config, { now });
  await app.listen({ port, host: '127.0.0.1' });
  t.teardown(() => app.close());
  const { client, apiKey } = await app.mailcode.clients.create(
    { name: 'Acme Portal', allowedDomains: ['acme.example'], secondFactor: 'required', trustedBrowserDays: 90 },
    byCommandLine,
  );
  await app.mailcode.operators.create({ email: 'sam@ops.example', role: 'support' }, byCommandLine);
  const portalPort = await freePort();
  const portal = spawn(process.execPath, [join(packageRoot, 'examples/portal/server.mjs')], {
    env: {
      ...process.env,
      MAILCODE_URL: url,
      MAILCODE_API_KEY: apiKey,
      MAILCODE_CLIENT_ID: client.id,
      MAILCODE_ISSUER: url,
      PORT: String(portalPort),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  t.teardown(() => stopProcess(portal));
  const portalUrl = `http://127.0.0.1:${portalPort}`;
  await waitFor('the example portal', async () => (await fetch(portalUrl)).ok);

  const contexts: BrowserContext[] = [];
  t.teardown(() => Promise.all(contexts.map((c) => c.close())));
  const newContext = async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    contexts.push(context);
    return context;
  };
  const bodyText = (p: Page) => p.locator('body').innerText();
  const count = async (email: string) => (await mailbox.searchMessages({ query: `to:${email}` })).messages_count;
  const newestCode = async (email: string, after: number) => {
    await waitFor(`mail ${after + 1} to ${email}`, async () => (await count(email)) > after, 15_000);
    const [newest] = (await mailbox.searchMessages({ query: `to:${email}` })).messages;
    return /^ {4}(\d{6})$/m.exec((await mailbox.getMessageSummary(newest!.ID)).Text)![1]!;
  };
  const scan = async (p: Page) => {
    const qr = PNG.sync.read(await p.locator('#totp-qr svg').screenshot());
    return OTPAuth.URI.parse(jsQR(new Uint8ClampedArray(qr.data), qr.width, qr.height)!.data) as OTPAuth.TOTP;
  };
  /** The app's code a step after enrolment's (a step is accepted once; the clock moves days between). */
  const appCode = (phone: OTPAuth.TOTP) => phone.generate({ timestamp: now() + 30_000 });

  // Kim signs up (the client requires an app) on her laptop.
  const laptop = await newContext();
  const page = await laptop.newPage();
  await page.goto(`${portalUrl}/signup`);
  await page.getByLabel('Work email').fill('kim@acme.example');
  await page.getByRole('button', { name: 'Send verification code' }).click();
  await page.getByLabel('Verification code').fill(await newestCode('kim@acme.example', 0));
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByLabel('New password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Create account' }).click();
  const phone = await scan(page);
  await page.getByLabel('Code from the app').fill(phone.generate({ timestamp: now() }));
  await page.getByRole('button', { name: 'Confirm' }).click();
  await page.getByRole('button', { name: 'I have saved them: open my account' }).click();

  /** Password, then whatever the portal asks next: the page after the password. */
  const logIn = async (p: Page) => {
    await p.context().clearCookies({ name: 'sid' });
    await p.goto(`${portalUrl}/login`);
    await p.getByLabel('Work email').fill('kim@acme.example');
    await p.getByLabel('Password').fill('correct horse battery');
    await p.getByRole('button', { name: 'Log in' }).click();
    return bodyText(p);
  };
  const asksForApp = async (p: Page) => /Code from your authenticator app/.test(await logIn(p));
  const trustCookie = async (context: BrowserContext) =>
    (await context.cookies()).find((c) => c.name === 'mc_trust')?.value ?? '';

  // "Remember this browser": the next log in skips the app.
  t.ok(await asksForApp(page), 'the app is asked');
  await page.getByLabel('Code from your authenticator app').fill(appCode(phone));
  await page.getByLabel('Remember this browser for 30 days').check();
  if (!onPostgres) {
    const { violations } = await new AxeBuilder({ page }).analyze();
    t.same(
      violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id),
      [],
      'axe',
    );
    await page.screenshot({ path: join(shots, 'portal-17-remember-browser.png'), fullPage: true });
  }
  await page.getByRole('button', { name: 'Verify' }).click();
  t.match(await bodyText(page), /Signed in as kim@acme\.example/);
  const notice = await waitFor(
    'the notice that a browser was trusted',
    async () => (await mailbox.searchMessages({ query: 'to:kim@acme.example subject:trusted' })).messages_count > 0,
    15_000,
  );
  void notice;
  t.match(await logIn(page), /Signed in as kim@acme\.example/, 'the next log in skips the app');

  // The membership window: used every 13 days, the trust holds; 32 days after the last email
  // proof, a code is asked even here.
  offset += 13 * day;
  t.match(await logIn(page), /Signed in as/, '13 days on');
  offset += 13 * day;
  t.match(await logIn(page), /Signed in as/, '26 days on');
  offset += 6 * day;
  const before = await count('kim@acme.example');
  t.match(await logIn(page), /We sent a code to/, '32 days after the last email proof: a code first');
  await page.getByLabel('Verification code').fill(await newestCode('kim@acme.example', before));
  await page.getByRole('button', { name: 'Verify' }).click();
  t.match(await bodyText(page), /Signed in as/);
  t.match(await logIn(page), /Signed in as/, 'the code renewed the membership; the browser stands in again');

  // A browser with the token but not its cookie is refused.
  const stolen = await trustCookie(laptop);
  const elsewhere = await newContext();
  await elsewhere.addCookies([{ name: 'mc_trust', value: stolen, url: portalUrl }]);
  t.ok(await asksForApp(await elsewhere.newPage()), 'the token alone, in another browser: the app is asked');
  t.match(await logIn(page), /Signed in as/, 'and the trust was not ended by that');

  // A token used twice ends the trust.
  const old = await trustCookie(laptop);
  t.match(await logIn(page), /Signed in as/);
  await laptop.addCookies([{ name: 'mc_trust', value: old, url: portalUrl }]);
  t.ok(await asksForApp(page), 'the replaced token, used again: refused');
  await page.getByLabel('Code from your authenticator app').fill(appCode(phone));
  await page.getByLabel('Remember this browser for 30 days').check();
  await page.getByRole('button', { name: 'Verify' }).click();
  t.match(await bodyText(page), /Signed in as/, 'trusted again, with the app');
  t.match(await logIn(page), /Signed in as/);

  // Support revokes it in the console.
  const sam = await (await newContext()).newPage();
  await sam.setViewportSize({ width: 1280, height: 900 });
  await sam.goto(`${url}/console`);
  await sam.getByLabel('Work email').fill('sam@ops.example');
  await sam.getByRole('button', { name: 'Send me a code' }).click();
  await sam.getByLabel('Code from the mail').fill(await newestCode('sam@ops.example', 0));
  await sam.getByRole('button', { name: 'Continue' }).click();
  const samPhone = await scan(sam);
  await sam.getByLabel('Code from the app').fill(samPhone.generate({ timestamp: now() }));
  await sam.getByRole('button', { name: 'Confirm' }).click();
  await sam.getByRole('link', { name: /open the console/ }).click();
  await sam.goto(`${url}/console/people?q=kim%40acme.example`);
  t.match(await sam.locator('#browsers-h').innerText(), /Trusted browsers/);
  t.match(await bodyText(sam), /Chrome on Linux: trusted/);
  await sam
    .locator('form[action="/console/people/revoke-browsers"]')
    .getByLabel(/Reason/)
    .fill('Ticket 40: laptop stolen');
  await sam.getByRole('button', { name: 'Trust none of these browsers any more' }).click();
  t.match(await sam.getByRole('status').innerText(), /trusted no more/);
  t.ok(await asksForApp(page), 'revoked by support: the app is asked again');
});

for (const close of closers.reverse()) await close();
rmSync(files, { recursive: true, force: true });
