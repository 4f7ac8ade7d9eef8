// The example portal in a real browser (Debian's Chromium, driven by playwright-core):
// sign-up and returning login with codes read from a real Mailpit, plus the wrong-code and
// non-company paths. Screenshots of each step go to screenshots/ (not committed).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { MailpitClient } from 'mailpit-api';
import jsQRModule from 'jsqr';
import * as OTPAuth from 'otpauth';
import type { Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { packageRoot } from '../../src/shared/paths.js';
import { launchChromium } from '../helpers/browser.js';
import {
  freePort,
  requireBuild,
  runCli,
  startMailcode,
  startMailpit,
  stopProcess,
  waitFor,
} from '../helpers/processes.js';
import { mailcode as cli } from '../helpers/cli-in-process.js';

const jsQR = jsQRModule.default; // CommonJS, its function on exports.default
const shots = join(packageRoot, 'screenshots');

t.test('sign up and log in through the example portal, in Chromium', async (t) => {
  if (!requireBuild(t)) return;
  const browser = await launchChromium(t);
  if (!browser) return;
  const dir = mkdtempSync(join(tmpdir(), 'mailcode-portal-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(shots, { recursive: true });
  const mailpit = await startMailpit(t, dir);
  const mailbox = new MailpitClient(mailpit.apiUrl);
  const env = {
    DATABASE_URL: `file:${join(dir, 'mailcode.db')}`,
    SMTP_URL: `smtp://127.0.0.1:${mailpit.smtpPort}`,
    MAIL_FROM: 'Acme Portal <no-reply@acme.example>',
    LOG_LEVEL: 'warn',
    RESEND_COOLDOWN_SECONDS: '30',
  };
  const { clientId, apiKey } = JSON.parse(
    runCli(['clients', 'create', '--name', 'Acme Portal', '--domain', 'acme.example', '--json'], env).stdout,
  );
  const mailcode = await startMailcode(t, { ...env, PUBLIC_URL: 'http://mailcode.portal.test' });

  const portalPort = await freePort();
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
  const portalUrl = `http://127.0.0.1:${portalPort}`;
  await waitFor('the example portal', async () => (await fetch(portalUrl)).ok);

  const page = await browser.newPage({ viewport: { width: 390, height: 780 } });
  const shot = (name: string) => page.screenshot({ path: join(shots, `portal-${name}.png`), fullPage: true });
  const latestCode = async (email: string, after: number) => {
    await waitFor(
      `a new mail to ${email}`,
      async () => (await mailbox.searchMessages({ query: `to:${email}` })).messages_count > after,
      10_000,
    );
    const newest = (await mailbox.searchMessages({ query: `to:${email}` })).messages[0]!;
    const message = await mailbox.getMessageSummary(newest.ID);
    return /^ {4}(\d{6})$/m.exec(message.Text)![1]!;
  };
  const bodyText = (p: Page) => p.locator('body').innerText();

  // A personal address is refused with a clear message.
  await page.goto(`${portalUrl}/signup`);
  await page.getByLabel('Work email').fill('dana@gmail.com');
  await page.getByRole('button', { name: 'Send verification code' }).click();
  t.match(await page.getByRole('alert').innerText(), /company email address/);
  await shot('1-non-company-address');

  // Sign up: company address → code → a wrong code first → the right code → password.
  await page.getByLabel('Work email').fill('dana@acme.example');
  await page.getByRole('button', { name: 'Send verification code' }).click();
  t.match(await bodyText(page), /We sent a code to d…@acme\.example/);
  const codeInput = page.getByLabel('Verification code');
  t.equal(await codeInput.getAttribute('autocomplete'), 'one-time-code');
  t.equal(await codeInput.getAttribute('inputmode'), 'numeric');
  t.match(
    await page.locator('#resend').innerText(),
    /Send a new code in \d+ s/,
    'a visible countdown before resending',
  );
  await shot('2-code-sent');
  const signupCode = await latestCode('dana@acme.example', 0);
  await codeInput.fill(signupCode === '000000' ? '111111' : '000000');
  await page.getByRole('button', { name: 'Verify' }).click();
  t.match(await page.getByRole('alert').innerText(), /That code is not right\. 4 attempts left\./);
  await shot('3-wrong-code');
  await page.getByLabel('Verification code').fill(signupCode);
  await page.getByRole('button', { name: 'Verify' }).click();
  t.match(await bodyText(page), /Choose a password/);
  await shot('4-choose-password');
  await page.getByLabel('New password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Create account' }).click();
  t.match(await bodyText(page), /Signed in as dana@acme\.example/);
  await shot('5-account-created');

  // Returning login: password, then the code from a new mail.
  await page.context().clearCookies();
  await page.goto(`${portalUrl}/login`);
  await page.getByLabel('Work email').fill('dana@acme.example');
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Log in' }).click();
  t.match(await bodyText(page), /We sent a code to d…@acme\.example/);
  await shot('6-login-code');
  const loginCode = await latestCode('dana@acme.example', 1);
  await page.getByLabel('Verification code').fill(loginCode);
  await page.getByRole('button', { name: 'Verify' }).click();
  t.match(await bodyText(page), /Signed in as dana@acme\.example/);
  await shot('7-signed-in');

  // Account → Security → Multi-factor authentication → Activate, with the QR code read off
  // the page the way a phone's camera reads it.
  await page.getByRole('link', { name: 'Account → Security' }).click();
  t.match(await bodyText(page), /Multi-factor authentication\s+Off/);
  await page.getByRole('button', { name: 'Activate' }).click();
  const qr = PNG.sync.read(await page.locator('#totp-qr svg').screenshot());
  const scanned = jsQR(new Uint8ClampedArray(qr.data), qr.width, qr.height);
  t.ok(scanned, 'the QR code on the page decodes');
  const phone = OTPAuth.URI.parse(scanned!.data) as OTPAuth.TOTP;
  t.equal(phone.issuer, 'Acme Portal');
  t.equal(phone.label, 'dana@acme.example');
  t.equal(
    (await page.locator('#totp-secret').innerText()).replace(/\s/g, ''),
    phone.secret.base32,
    'the key for typing in is the same secret',
  );
  await shot('8-totp-setup');
  const appCode = (offsetSteps = 0) => phone.generate({ timestamp: Date.now() + offsetSteps * 30_000 });
  await page.getByLabel('Code from the app').fill(appCode() === '000000' ? '111111' : '000000');
  await page.getByRole('button', { name: 'Confirm' }).click();
  t.match(await page.getByRole('alert').innerText(), /That code is not right\. 4 attempts left\./);
  t.equal(await page.locator('#totp-qr svg').count(), 1, 'the same QR code is shown again');
  await page.getByLabel('Code from the app').fill(appCode());
  await page.getByRole('button', { name: 'Confirm' }).click();
  const recoveryCodes = await page.locator('#recovery-codes li').allInnerTexts();
  t.equal(recoveryCodes.length, 10, 'ten recovery codes, shown once');
  await shot('9-recovery-codes');
  await page.getByRole('link', { name: 'Done' }).click();
  t.match(
    await page.locator('#mfa-status').innerText(),
    /On since \d{4}-\d{2}-\d{2}: authenticator app\. 10 recovery codes left\./,
  );

  // From now on every login asks for the app's code (the next step's: the current one
  // confirmed the app and is never accepted twice).
  const logIn = async () => {
    await page.context().clearCookies();
    await page.goto(`${portalUrl}/login`);
    await page.getByLabel('Work email').fill('dana@acme.example');
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Log in' }).click();
  };
  const mailsBefore = (await mailbox.searchMessages({ query: 'to:dana@acme.example' })).messages_count;
  await logIn();
  await page.getByLabel('Code from your authenticator app').fill(appCode(1));
  await shot('10-totp-login');
  await page.getByRole('button', { name: 'Verify' }).click();
  t.match(await bodyText(page), /Signed in as dana@acme\.example/);
  t.equal(
    (await mailbox.searchMessages({ query: 'to:dana@acme.example' })).messages_count,
    mailsBefore,
    'no mail: the app is the second factor',
  );

  // A lost phone: a recovery code works once.
  await logIn();
  await page.getByRole('button', { name: 'Use a recovery code' }).click();
  await page.getByLabel('Recovery code').fill(recoveryCodes[0]!);
  await page.getByRole('button', { name: 'Verify' }).click();
  t.match(await bodyText(page), /Signed in as dana@acme\.example/);
  await page.getByRole('link', { name: 'Account → Security' }).click();
  t.match(await page.locator('#mfa-status').innerText(), /9 recovery codes left/);
  await shot('11-security');

  // A client that requires a second factor: a new person is enrolled right after their
  // first email code (and password), before the account opens.
  const secure = await cli(
    ['clients', 'create', '--name', 'Acme Portal', '--domain', 'acme.example', '--second-factor', 'required', '--json'],
    env,
  );
  t.equal(secure.status, 0, secure.stderr);
  const strict = JSON.parse(secure.stdout) as { clientId: string; apiKey: string };
  const strictPort = await freePort();
  const strictPortal = spawn(process.execPath, [join(packageRoot, 'examples/portal/server.mjs')], {
    env: {
      ...process.env,
      MAILCODE_URL: mailcode.url,
      MAILCODE_API_KEY: strict.apiKey,
      MAILCODE_CLIENT_ID: strict.clientId,
      MAILCODE_ISSUER: 'http://mailcode.portal.test',
      PORT: String(strictPort),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  t.teardown(() => stopProcess(strictPortal));
  const strictUrl = `http://127.0.0.1:${strictPort}`;
  await waitFor('the second portal', async () => (await fetch(strictUrl)).ok);
  await page.context().clearCookies();
  await page.goto(`${strictUrl}/signup`);
  await page.getByLabel('Work email').fill('erin@acme.example');
  await page.getByRole('button', { name: 'Send verification code' }).click();
  await page.getByLabel('Verification code').fill(await latestCode('erin@acme.example', 0));
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByLabel('New password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Create account' }).click();
  t.match(
    await page.locator('#required-note').innerText(),
    /requires an authenticator app/,
    'enrolment before the account opens',
  );
  t.notMatch(await bodyText(page), /Signed in/);
  await shot('12-required-enrolment');
  const erinQr = PNG.sync.read(await page.locator('#totp-qr svg').screenshot());
  const erinPhone = OTPAuth.URI.parse(
    jsQR(new Uint8ClampedArray(erinQr.data), erinQr.width, erinQr.height)!.data,
  ) as OTPAuth.TOTP;
  t.equal(erinPhone.label, 'erin@acme.example');
  await page.getByLabel('Code from the app').fill(erinPhone.generate());
  await page.getByRole('button', { name: 'Confirm' }).click();
  t.equal(await page.locator('#recovery-codes li').count(), 10);
  await page.getByRole('button', { name: 'I have saved them: open my account' }).click();
  t.match(await bodyText(page), /Signed in as erin@acme\.example/);
  await page.getByRole('link', { name: 'Account → Security' }).click();
  t.match(await page.locator('#mfa-status').innerText(), /On since/);
});
