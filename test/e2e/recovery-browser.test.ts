// A lost authenticator recovered by email, through the example portal in Chromium, with a
// real Mailpit: the person asks on the authenticator step, types the mailed code and sees
// when the app goes; the notice arrives in their language. Then three endings: the clock
// moves past the wait and the next log in enrols a new app (its QR code read off the page);
// a sign-in with the app during the wait cancels it (and the person is told); support
// approves one early in the console. mailcode runs in-process here, on a clock the test can
// move, listening on loopback for the portal and the browser. On SQLite, then PostgreSQL.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { MailpitClient } from 'mailpit-api';
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
const hour = 3_600_000;

const { browser, mailpit, files, close } = await fileBrowserAndMailpit('mailcode-recovery-');

await onEachDatabase(async (t) => {
  if (!browser || !mailpit) return;
  const shooting = !onPostgres;
  const mailbox = new MailpitClient(mailpit.apiUrl);
  await mailbox.deleteMessages();
  let offset = 0;
  const now = () => Date.now() + offset;
  const { app, url } = await mailcodeOnLoopback(t, { files, smtpPort: mailpit.smtpPort, now });
  const { client, apiKey } = await app.mailcode.clients.create(
    {
      name: 'Acme Portal',
      allowedDomains: ['acme.example'],
      secondFactor: 'required',
      support: 'https://help.acme.example',
    },
    byCommandLine,
  );
  await app.mailcode.operators.create({ email: 'sam@ops.example', role: 'support' }, byCommandLine);

  const portalUrl = await examplePortal(t, { url, clientId: client.id, apiKey });

  const contexts: BrowserContext[] = [];
  t.teardown(() => Promise.all(contexts.map((c) => c.close())));
  /** A browser of its own (cookies), in a language. */
  const newPage = async (locale = 'en-GB') => {
    const context = await browser.newContext({ locale, viewport: { width: 390, height: 844 } });
    contexts.push(context);
    return context.newPage();
  };
  const bodyText = (p: Page) => p.locator('body').innerText();
  /** axe, nothing wider than a phone, and a photograph (on SQLite). */
  const look = async (p: Page, name: string) => {
    const { violations } = await new AxeBuilder({ page: p }).analyze();
    t.same(
      violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help}`),
      [],
      `${name}: no serious or critical axe violation`,
    );
    t.ok(await p.evaluate(() => document.documentElement.scrollWidth <= 390), `${name}: nothing wider than a phone`);
    if (shooting) await p.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  };

  /** The mails to an address, newest first (waiting until there are more than `after`). */
  const mailsAfter = async (email: string, after: number) => {
    await waitFor(
      `mail number ${after + 1} to ${email}`,
      async () => (await mailbox.searchMessages({ query: `to:${email}` })).messages_count > after,
      15_000,
    );
    return (await mailbox.searchMessages({ query: `to:${email}` })).messages;
  };
  const count = (email: string) => mailsTo(mailbox, email);
  const subjectArrives = async (email: string, subject: RegExp) => {
    await waitFor(
      `"${subject.source}" to ${email}`,
      async () =>
        (await mailbox.searchMessages({ query: `to:${email}` })).messages.some((m) => subject.test(m.Subject)),
      15_000,
    );
    const found = (await mailbox.searchMessages({ query: `to:${email}` })).messages.find((m) =>
      subject.test(m.Subject),
    )!;
    return mailbox.getMessageSummary(found.ID);
  };

  /** Sign-up with the mailed code and a password, then the app the client requires: the phone that scanned it. */
  const signUp = async (p: Page, email: string) => {
    await p.goto(`${portalUrl}/signup`);
    await p.getByLabel('Work email').fill(email);
    await p.getByRole('button', { name: 'Send verification code' }).click();
    await p.getByLabel('Verification code').fill(await newestCode(mailbox, email, 0));
    await p.getByRole('button', { name: 'Verify' }).click();
    await p.getByLabel('New password').fill('correct horse battery');
    await p.getByRole('button', { name: 'Create account' }).click();
    const phone = await scanQr(p);
    await p.getByLabel('Code from the app').fill(phone.generate({ timestamp: now() }));
    await p.getByRole('button', { name: 'Confirm' }).click();
    await p.getByRole('button', { name: 'I have saved them: open my account' }).click();
    t.match(await bodyText(p), new RegExp(`Signed in as ${email}`), `${email} signed up, with an app`);
    return phone;
  };
  const logIn = async (p: Page, email: string) => {
    await p.context().clearCookies();
    await p.goto(`${portalUrl}/login`);
    await p.getByLabel('Work email').fill(email);
    await p.getByLabel('Password').fill('correct horse battery');
    await p.getByRole('button', { name: 'Log in' }).click();
  };
  /** On the authenticator step: "Lost your phone?", the mailed code, and the page that says when the app goes. */
  const recoverByEmail = async (p: Page, email: string, shoot = false) => {
    await logIn(p, email);
    if (shoot) await look(p, 'portal-13-authenticator-step');
    const before = await count(email);
    await p.getByRole('button', { name: 'Lost your phone? Recover by email' }).click();
    t.match(await bodyText(p), /we mailed a code to that address/);
    if (shoot) await look(p, 'portal-14-recovery-code');
    await p.getByLabel('Code from the recovery mail').fill(await newestCode(mailbox, email, before));
    await p.getByRole('button', { name: 'Recover my account' }).click();
    const status = await p.locator('#recovery-status').innerText();
    t.match(status, /Your authenticator app will be removed on \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC\./, 'the wait');
    if (shoot) await look(p, 'portal-15-recovery-waiting');
    return status;
  };
  const userRefOf = async (email: string) =>
    (await app.mailcode.people.linkedTo({ email })).find((row) => row.clientId === client.id)!.userRef;
  const recoveriesOf = async (userRef: string) =>
    (
      await app.inject({
        method: 'GET',
        url: `/people/${userRef}/recoveries`,
        headers: { authorization: `Bearer ${apiKey}` },
      })
    ).json().recoveries as { status: string; endedBy: string | null }[];

  t.test('the wait ends: the app is removed, and the next log in enrols a new one', async (t) => {
    const page = await newPage('de-DE');
    await signUp(page, 'dana@acme.example');
    const codeMailsBefore = await count('dana@acme.example');
    const status = await recoverByEmail(page, 'dana@acme.example', true);
    const codeMail = (await mailsAfter('dana@acme.example', codeMailsBefore - 1))
      .map((m) => m.Subject)
      .find((s) => /Acme Portal/.test(s));
    t.ok(codeMail, 'the recovery code came by mail');
    const notice = await subjectArrives(
      'dana@acme.example',
      /Jemand möchte die Authenticator-App aus Ihrem Konto bei Acme Portal entfernen/,
    );
    t.match(notice.Text, /Die App wird am .* entfernt\./, 'the notice, in her language, says when');
    t.match(notice.Text, /https:\/\/help\.acme\.example/, "with the client's support contact");
    t.notMatch(notice.Text, /\b\d{6}\b/, 'and no code');
    t.match(status, /removed on/);

    offset += 24 * hour + 60_000;
    const userRef = await userRefOf('dana@acme.example');
    await waitFor(
      'the recovery to complete',
      async () => (await recoveriesOf(userRef))[0]?.status === 'completed',
      20_000,
    );
    await subjectArrives('dana@acme.example', /Ihre Authenticator-App wurde aus Ihrem Konto bei Acme Portal entfernt/);

    const before = await count('dana@acme.example');
    await logIn(page, 'dana@acme.example');
    await page.getByLabel('Verification code').fill(await newestCode(mailbox, 'dana@acme.example', before));
    await page.getByRole('button', { name: 'Verify' }).click();
    t.match(await page.locator('#required-note').innerText(), /requires an authenticator app/, 'enrolment again');
    const newPhone = await scanQr(page);
    t.equal(newPhone.label, 'dana@acme.example', 'a new QR code, read off the page');
    await page.getByLabel('Code from the app').fill(newPhone.generate({ timestamp: now() }));
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByRole('button', { name: 'I have saved them: open my account' }).click();
    t.match(await bodyText(page), /Signed in as dana@acme\.example/);
  });

  t.test('a log in with the app during the wait cancels the recovery, and the person is told', async (t) => {
    const page = await newPage();
    const phone = await signUp(page, 'erik@acme.example');
    await recoverByEmail(page, 'erik@acme.example');
    await subjectArrives('erik@acme.example', /Someone asked to remove the authenticator app/);
    offset += hour;
    await logIn(page, 'erik@acme.example');
    await page.getByLabel('Code from your authenticator app').fill(phone.generate({ timestamp: now() + 30_000 }));
    await page.getByRole('button', { name: 'Verify' }).click();
    t.match(await bodyText(page), /Signed in as erik@acme\.example/);
    const canceled = await subjectArrives('erik@acme.example', /The recovery of your Acme Portal account was canceled/);
    t.match(canceled.Text, /signed in to your Acme Portal account with your authenticator app/);
    t.match((await recoveriesOf(await userRefOf('erik@acme.example')))[0], { status: 'canceled', endedBy: 'sign_in' });
    offset += 24 * hour;
    await page.getByRole('link', { name: 'Account → Security' }).click();
    t.match(await page.locator('#mfa-status').innerText(), /On since/, 'the app stays, past the wait');
    t.equal(await page.locator('#pending-recovery').count(), 0);
  });

  t.test('support approves a recovery early in the console; the person saw it pending on Security', async (t) => {
    const fay = await newPage();
    await signUp(fay, 'fay@acme.example');
    const lost = await newPage();
    await recoverByEmail(lost, 'fay@acme.example');
    // Fay is still signed in elsewhere: Account → Security says what is under way.
    await fay.getByRole('link', { name: 'Account → Security' }).click();
    t.match(await fay.locator('#pending-recovery').innerText(), /your authenticator app will be removed on/);
    await look(fay, 'portal-16-security-pending-recovery');

    const sam = await newPage();
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
    await sam.goto(`${url}/console/people?q=fay%40acme.example`);
    t.match(await sam.locator('#recoveries-h').innerText(), /Recovery by email/);
    t.match(await bodyText(sam), /waiting: the app will be removed/);
    t.match(await bodyText(sam), /a recovery by email started/, 'what Fay was told, with its mail');
    if (shooting) await sam.screenshot({ path: join(shots, 'console-10-recovery-desktop.png'), fullPage: true });
    await sam.setViewportSize({ width: 390, height: 844 });
    await look(sam, 'console-10-recovery-phone');
    await sam
      .locator('form[action="/console/people/recovery-approve"]')
      .getByLabel(/Reason/)
      .fill('Ticket 31: called, ID checked');
    await sam.getByRole('button', { name: 'Approve now (the app goes at once)…' }).click();
    t.match(await sam.locator('h1').innerText(), /Approve the recovery of .* at Acme Portal now\?/);
    await sam.getByRole('button', { name: 'Yes, approve the recovery now' }).click();
    t.match(await sam.getByRole('status').innerText(), /The recovery is approved/);
    const approved = await subjectArrives(
      'fay@acme.example',
      /Your authenticator app was removed from your Acme Portal account/,
    );
    t.match(approved.Text, /Acme Portal support approved the recovery early/);
    t.match((await recoveriesOf(await userRefOf('fay@acme.example')))[0], { status: 'completed', endedBy: 'support' });
  });
});

await close();
