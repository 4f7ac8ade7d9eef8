// The continue link against a mail scanner, in Chromium (Debian's, through playwright-core),
// with the example portal, a real Mailpit and mailcode as a process, on each database. A
// scanner opens the link first — a plain GET and HEAD, then a browser without the portal's
// cookie that loads the page, runs its script, waits, and clicks every button and link —
// and nothing is used up: the verification stays pending with its attempts untouched, and
// the person's own click signs them in.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tap, { type Test } from 'tap';
import AxeBuilder from '@axe-core/playwright';
import { MailpitClient } from 'mailpit-api';
import type { Browser, Page } from 'playwright-core';
import { packageRoot } from '../../src/shared/paths.js';
import { launchChromium } from '../helpers/browser.js';
import { onEachDatabase, onPostgres, processDatabaseEnv } from '../helpers/databases.js';
import { freePort, requireBuild, startMailcode, startMailpit, stopProcess, waitFor } from '../helpers/processes.js';
import { mailcode as cli } from '../helpers/cli-in-process.js';

const shots = join(packageRoot, 'screenshots');
const files = mkdtempSync(join(tmpdir(), 'mailcode-continue-'));
// One Chromium and one Mailpit for the file, closed once both databases have run (a
// teardown on the root test would end it before the PostgreSQL half).
const closers: (() => unknown)[] = [];
const fileScope = {
  teardown: (close: () => unknown) => closers.push(close),
  fail: (m: string) => tap.fail(m),
  plan: (_n: number, why: string) => tap.comment(`skipped: ${why}`),
} as unknown as Test;
const browser: Browser | undefined = requireBuild(tap) ? await launchChromium(fileScope) : undefined;
const mailpit = browser ? await startMailpit(fileScope, files) : undefined;

/** Opens the link as a new document (from the same path, a fragment alone would not reload the page). */
async function open(page: Page, link: string) {
  await page.goto('about:blank');
  await page.goto(link);
}

/** No serious or critical accessibility violation on the page. */
async function accessible(t: Test, page: Page, name: string) {
  const { violations } = await new AxeBuilder({ page }).analyze();
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  t.same(
    bad.map((v) => `${v.id}: ${v.help}`),
    [],
    `${name}: no serious or critical axe violation`,
  );
}

await onEachDatabase(async (t) => {
  if (!browser || !mailpit) return;
  const dir = mkdtempSync(join(files, 'db-'));
  const mailbox = new MailpitClient(mailpit.apiUrl);
  const env = {
    ...(await processDatabaseEnv(t, dir)),
    SMTP_URL: `smtp://127.0.0.1:${mailpit.smtpPort}`,
    MAIL_FROM: 'Acme Portal <no-reply@acme.example>',
    LOG_LEVEL: 'warn',
    RESEND_COOLDOWN_SECONDS: '0',
  };
  const portalPort = await freePort();
  const portalUrl = `http://127.0.0.1:${portalPort}`;
  const created = await cli(['clients', 'create', '--name', 'Acme Portal', '--domain', 'acme.example', '--json'], env);
  const { clientId, apiKey } = JSON.parse(created.stdout);
  const updated = await cli(['clients', 'update', clientId, '--continue-url', `${portalUrl}/verify-email`], env);
  t.match(updated.stdout, `continue link: ${portalUrl}/verify-email (only in the browser that asked)`);
  const mailcode = await startMailcode(t, { ...env, PUBLIC_URL: 'http://mailcode.portal.test' });
  const portal = spawn(process.execPath, [join(packageRoot, 'examples/portal/server.mjs')], {
    env: {
      ...process.env,
      MAILCODE_URL: mailcode.url,
      MAILCODE_API_KEY: apiKey,
      MAILCODE_CLIENT_ID: clientId,
      MAILCODE_ISSUER: 'http://mailcode.portal.test',
      PORT: String(portalPort),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  t.teardown(() => stopProcess(portal));
  await waitFor('the example portal', async () => (await fetch(portalUrl)).ok);

  const db = onPostgres ? 'pg' : 'sqlite';
  const state = async (id: string) =>
    (await fetch(`${mailcode.url}/verifications/${id}`, { headers: { authorization: `Bearer ${apiKey}` } })).json();
  /** The newest mail to `email` once there are `count` (or the one `back` mails before it): its continue link, its code, its verification. */
  const newestMail = async (email: string, count: number, back = 0) => {
    await waitFor(
      `mail ${count} to ${email}`,
      async () => (await mailbox.searchMessages({ query: `to:${email}` })).messages_count >= count,
      10_000,
    );
    const message = await mailbox.getMessageSummary(
      (await mailbox.searchMessages({ query: `to:${email}` })).messages[back]!.ID,
    );
    return {
      link: /<(http:\/\/[^>]+#mc=[A-Za-z0-9_-]{32})>/.exec(message.Text)![1]!,
      code: /^ {4}(\d{6})$/m.exec(message.Text)![1]!,
      verificationId: /vf_[A-Za-z0-9_-]+/.exec(message.MessageID)![0],
    };
  };

  /** What a mail gateway's scanner does with a link, in a browser context of its own. */
  async function scan(link: string) {
    for (const method of ['GET', 'HEAD'])
      t.equal((await fetch(link, { method })).status, 200, `the scanner's ${method}`);
    const scanner = await browser!.newContext();
    try {
      const page = await scanner.newPage();
      await open(page, link);
      await page.waitForTimeout(500);
      const clickable = await page.locator('button, a').count();
      t.ok(clickable >= 2, 'the page has its button and links');
      for (let i = 0; i < clickable; i++) {
        await open(page, link);
        await page.waitForTimeout(100);
        await page.locator('button, a').nth(i).click();
        await page.waitForLoadState();
        // …and on the page that click opened, every button and link too.
        const next = await page.locator('button, a').count();
        for (let j = 0; j < next; j++) {
          const here = page.url();
          await page
            .locator('button, a')
            .nth(j)
            .click()
            .catch(() => undefined);
          await page.waitForLoadState();
          if (page.url() !== here) await page.goBack().catch(() => undefined);
        }
      }
      await open(page, link);
      await page.getByRole('button', { name: 'Continue to Acme Portal' }).click();
      t.match(
        await page.locator('body').innerText(),
        /works only in the browser where you asked for the code/,
        'the scanner is told to use the right browser',
      );
      return page;
    } finally {
      await scanner.close();
    }
  }

  t.test(
    'a scanner opens the link first; the verification stays pending, untouched; then the person’s click signs them up',
    async (t) => {
      const person = await browser!.newContext({ viewport: { width: 390, height: 780 } });
      t.teardown(() => person.close());
      const page = await person.newPage();
      await page.goto(`${portalUrl}/signup`);
      await page.getByLabel('Work email').fill(`dana-${db}@acme.example`);
      await page.getByRole('button', { name: 'Send verification code' }).click();
      const mail = await newestMail(`dana-${db}@acme.example`, 1);
      t.match(mail.link, `${portalUrl}/verify-email#mc=`);

      await scan(mail.link);
      t.match(
        await state(mail.verificationId),
        { status: 'pending', attemptsRemaining: 5, verifiedWith: null },
        'still pending, no attempt spent',
      );

      await open(page, mail.link);
      t.equal(
        await page.locator('#token').inputValue(),
        mail.link.split('#mc=')[1],
        'the page read the token from the fragment',
      );
      mkdirSync(shots, { recursive: true });
      if (!onPostgres) await page.screenshot({ path: join(shots, 'portal-continue-link.png'), fullPage: true });
      await accessible(t, page, 'the landing page');
      await page.getByRole('button', { name: 'Continue to Acme Portal' }).click();
      t.match(await page.locator('body').innerText(), /Choose a password/, 'signed up with one click');
      t.match(await state(mail.verificationId), { status: 'verified', verifiedWith: 'link' });

      await open(page, mail.link);
      await page.getByRole('button', { name: 'Continue to Acme Portal' }).click();
      t.match(
        await page.locator('body').innerText(),
        /This link was already used/,
        'a link used once is refused the second time',
      );
      await accessible(t, page, 'the used-link page');
      if (!onPostgres) await page.screenshot({ path: join(shots, 'portal-continue-used.png'), fullPage: true });
    },
  );

  t.test('the code from a mail whose link a scanner opened still verifies', async (t) => {
    const person = await browser!.newContext();
    t.teardown(() => person.close());
    const page = await person.newPage();
    await page.goto(`${portalUrl}/signup`);
    await page.getByLabel('Work email').fill(`erin-${db}@acme.example`);
    await page.getByRole('button', { name: 'Send verification code' }).click();
    const mail = await newestMail(`erin-${db}@acme.example`, 1);
    const scanned = await browser!.newContext();
    const scannerPage = await scanned.newPage();
    await scannerPage.goto(mail.link);
    await scannerPage.getByRole('button', { name: 'Continue to Acme Portal' }).click();
    await accessible(t, scannerPage, 'the other-browser page');
    if (!onPostgres)
      await scannerPage.screenshot({ path: join(shots, 'portal-continue-elsewhere.png'), fullPage: true });
    await scanned.close();
    await page.getByLabel('Verification code').fill(mail.code);
    await page.getByRole('button', { name: 'Verify' }).click();
    t.match(await page.locator('body').innerText(), /Choose a password/);
    t.match(await state(mail.verificationId), { status: 'verified', verifiedWith: 'code' });
  });

  t.test("a resend's older link still signs in; a canceled verification's link says it was canceled", async (t) => {
    const person = await browser!.newContext();
    t.teardown(() => person.close());
    const page = await person.newPage();
    await page.goto(`${portalUrl}/signup`);
    await page.getByLabel('Work email').fill(`frank-${db}@acme.example`);
    await page.getByRole('button', { name: 'Send verification code' }).click();
    await newestMail(`frank-${db}@acme.example`, 1);
    await page.getByRole('button', { name: 'Send a new code' }).click();
    const older = await newestMail(`frank-${db}@acme.example`, 2, 1);
    const newer = await newestMail(`frank-${db}@acme.example`, 2);
    t.equal(older.verificationId, newer.verificationId, 'the resend joined the verification');
    t.not(older.link, newer.link, 'each mail its own link');
    await open(page, older.link);
    await page.getByRole('button', { name: 'Continue to Acme Portal' }).click();
    t.match(await page.locator('body').innerText(), /Choose a password/, 'the older link signs up');

    await page.goto(`${portalUrl}/signup`);
    await page.getByLabel('Work email').fill(`grace-${db}@acme.example`);
    await page.getByRole('button', { name: 'Send verification code' }).click();
    const mail = await newestMail(`grace-${db}@acme.example`, 1);
    const canceled = await fetch(`${mailcode.url}/verifications/${mail.verificationId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${apiKey}` },
    });
    t.equal(canceled.status, 204);
    await open(page, mail.link);
    await page.getByRole('button', { name: 'Continue to Acme Portal' }).click();
    t.match(await page.locator('body').innerText(), /This link's sign-in was canceled/);
    t.match(await state(mail.verificationId), { status: 'canceled' });
  });
});

for (const close of closers.reverse()) await close();
rmSync(files, { recursive: true, force: true });
