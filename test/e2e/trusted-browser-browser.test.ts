// Trusted browsers through the example portal in Chromium, with a real Mailpit: "Remember
// this browser" → the next log in skips the authenticator; past the membership window a code
// is asked even there; a token used twice ends the trust; a browser with the token but not
// the cookie is refused; support revokes in the console → the app is asked again. mailcode
// runs in-process on a clock the test moves. On SQLite, then PostgreSQL + Redis.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { MailpitClient } from 'mailpit-api';
import type * as OTPAuth from 'otpauth';
import type { BrowserContext, Page } from 'playwright-core';
import { packageRoot } from '../../src/shared/paths.js';
import { byCommandLine } from '../helpers/build.js';
import { onEachDatabase, onPostgres } from '../helpers/databases.js';
import {
  examplePortal,
  fileBrowserAndMailpit,
  mailcodeOnLoopback,
  mailsTo,
  newestCode,
  scanQr,
} from '../helpers/portal-app.js';
import { waitFor } from '../helpers/processes.js';

const shots = join(packageRoot, 'screenshots');
mkdirSync(shots, { recursive: true });
const day = 24 * 3_600_000;

const { browser, mailpit, files, close } = await fileBrowserAndMailpit('mailcode-trusted-');

await onEachDatabase(async (t) => {
  if (!browser || !mailpit) return;
  const mailbox = new MailpitClient(mailpit.apiUrl);
  await mailbox.deleteMessages();
  let offset = 0;
  const now = () => Date.now() + offset;
  const { app, url } = await mailcodeOnLoopback(t, { files, smtpPort: mailpit.smtpPort, now });
  const { client, apiKey } = await app.mailcode.clients.create(
    { name: 'Acme Portal', allowedDomains: ['acme.example'], secondFactor: 'required', trustedBrowserDays: 90 },
    byCommandLine,
  );
  await app.mailcode.operators.create({ email: 'sam@ops.example', role: 'support' }, byCommandLine);
  const portalUrl = await examplePortal(t, { url, clientId: client.id, apiKey });

  const contexts: BrowserContext[] = [];
  t.teardown(() => Promise.all(contexts.map((c) => c.close())));
  const newContext = async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    contexts.push(context);
    return context;
  };
  const bodyText = (p: Page) => p.locator('body').innerText();
  const count = (email: string) => mailsTo(mailbox, email);
  /** The app's code a step after enrolment's (a step is accepted once; the clock moves days between). */
  const appCode = (phone: OTPAuth.TOTP) => phone.generate({ timestamp: now() + 30_000 });

  // Kim signs up (the client requires an app) on her laptop.
  const laptop = await newContext();
  const page = await laptop.newPage();
  await page.goto(`${portalUrl}/signup`);
  await page.getByLabel('Work email').fill('kim@acme.example');
  await page.getByRole('button', { name: 'Send verification code' }).click();
  await page.getByLabel('Verification code').fill(await newestCode(mailbox, 'kim@acme.example', 0));
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByLabel('New password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Create account' }).click();
  const phone = await scanQr(page);
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
  await page.getByLabel('Verification code').fill(await newestCode(mailbox, 'kim@acme.example', before));
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
  await sam.getByLabel('Code from the mail').fill(await newestCode(mailbox, 'sam@ops.example', 0));
  await sam.getByRole('button', { name: 'Continue' }).click();
  const samPhone = await scanQr(sam);
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

await close();
