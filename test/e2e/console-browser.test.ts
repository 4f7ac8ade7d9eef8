// The support console in a real browser (Debian's Chromium through playwright-core), with a
// real Mailpit and mailcode as a process: an admin made with the CLI signs in with the code
// read from Mailpit, is made to set up an authenticator (the QR code scanned off the page),
// creates a client, adds a domain and a webhook and sends a test event; a support operator
// finds why a person's mail bounced and lifts the suppression, sees why another address is
// limited and until when, and resets a person's authenticator. Every page is checked with
// axe and photographed at phone and desktop width (screenshots/console-*.png). On SQLite,
// then on PostgreSQL + Redis, with one Chromium and one Mailpit for the file.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tap, { type Test } from 'tap';
import AxeBuilder from '@axe-core/playwright';
import jsQRModule from 'jsqr';
import { MailpitClient } from 'mailpit-api';
import * as OTPAuth from 'otpauth';
import type { Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { packageRoot } from '../../src/shared/paths.js';
import { launchChromium } from '../helpers/browser.js';
import { mailcode as cli } from '../helpers/cli-in-process.js';
import { onEachDatabase, onPostgres, processDatabaseEnv } from '../helpers/databases.js';
import { requireBuild, startMailcode, startMailpit, waitFor } from '../helpers/processes.js';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';

const jsQR = jsQRModule.default;
const shots = join(packageRoot, 'screenshots');

const files = mkdtempSync(join(tmpdir(), 'mailcode-console-'));
mkdirSync(shots, { recursive: true });
// Closed once both databases have run (a teardown on the root test would end them before the PostgreSQL half).
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
  // The screenshots are taken once, on SQLite.
  const shooting = !onPostgres;
  const env = {
    ...(await processDatabaseEnv(t, dir)),
    SMTP_URL: `smtp://127.0.0.1:${mailpit.smtpPort}`,
    MAIL_FROM: 'mailcode <no-reply@ops.example>',
    LOG_LEVEL: 'warn',
    RESEND_COOLDOWN_SECONDS: '0',
    SENDS_PER_EMAIL_HOUR: '3',
  };
  for (const [email, role] of [
    ['ada@ops.example', 'admin'],
    ['sam@ops.example', 'support'],
  ] as const) {
    t.equal(
      (await cli(['operators', 'create', '--email', email, '--role', role], env)).status,
      0,
      `${role} created with the CLI`,
    );
  }
  const acme = JSON.parse(
    (await cli(['clients', 'create', '--name', 'Acme Portal', '--domain', 'acme.example', '--json'], env)).stdout,
  ) as { clientId: string; apiKey: string };
  const server = await startMailcode(t, env);
  const api = (path: string, body?: object) =>
    fetch(`${server.url}${path}`, {
      method: body ? 'POST' : 'GET',
      headers: { authorization: `Bearer ${acme.apiKey}`, 'content-type': 'application/json' },
      body: body ? JSON.stringify(body) : undefined,
    });

  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  t.teardown(() => context.close());
  const page = await context.newPage();
  const bodyText = () => page.locator('body').innerText();
  /** axe at desktop and at phone width, and the page photographed at both. */
  const lookAt = async (p: Page, name: string) => {
    const axe = async (width: string) => {
      const { violations } = await new AxeBuilder({ page: p }).analyze();
      const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      t.same(
        bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`),
        [],
        `${name}: no serious or critical axe violation at ${width} width`,
      );
    };
    await axe('desktop');
    await p.setViewportSize({ width: 390, height: 844 });
    await axe('phone');
    t.ok(await p.evaluate(() => document.documentElement.scrollWidth <= 390), `${name}: nothing wider than a phone`);
    if (shooting) await p.screenshot({ path: join(shots, `console-${name}-phone.png`), fullPage: true });
    await p.setViewportSize({ width: 1280, height: 900 });
    if (shooting) await p.screenshot({ path: join(shots, `console-${name}-desktop.png`), fullPage: true });
  };
  const look = (name: string) => lookAt(page, name);
  const codeFor = async (email: string, after: number) => {
    await waitFor(
      `a code mail to ${email}`,
      async () => (await mailbox.searchMessages({ query: `to:${email}` })).messages_count > after,
      10_000,
    );
    const newest = (await mailbox.searchMessages({ query: `to:${email}` })).messages[0]!;
    return /^ {4}(\d{6})$/m.exec((await mailbox.getMessageSummary(newest.ID)).Text)![1]!;
  };
  /** The code mail, then the authenticator set up off the QR code: the phone that scanned it. */
  const signInFirstTime = async (p: Page, email: string, shoot: boolean) => {
    await p.goto(`${server.url}/console`);
    if (shoot) await look('1-sign-in');
    await p.getByLabel('Work email').fill(email);
    await p.getByRole('button', { name: 'Send me a code' }).click();
    if (shoot) await look('2-code');
    await p.getByLabel('Code from the mail').fill(await codeFor(email, 0));
    await p.getByRole('button', { name: 'Continue' }).click();
    t.match(
      await p.locator('h1').innerText(),
      /Set up your authenticator app/,
      `${email} is made to set up an app first`,
    );
    t.equal(
      (await p.goto(`${server.url}/console/overview`))!.url(),
      `${server.url}/console/sign-in`,
      'no page before it',
    );
    await p.goto(`${server.url}/console/sign-in/enrol`);
    if (shoot) await look('3-enrol');
    const qr = PNG.sync.read(await p.locator('#totp-qr svg').screenshot());
    const scanned = jsQR(new Uint8ClampedArray(qr.data), qr.width, qr.height);
    const phone = OTPAuth.URI.parse(scanned!.data) as OTPAuth.TOTP;
    t.equal(phone.issuer, 'mailcode console');
    t.equal(phone.label, email);
    await p.getByLabel('Code from the app').fill(phone.generate());
    await p.getByRole('button', { name: 'Confirm' }).click();
    t.equal(await p.locator('#recovery-codes li').count(), 10, 'ten recovery codes, shown once');
    if (shoot) await look('4-recovery-codes');
    await p.getByRole('link', { name: /open the console/ }).click();
    t.match(await p.locator('h1').innerText(), /Overview/);
    return phone;
  };

  // The admin: sign in, create a client, a domain, a webhook and its test event.
  const adaPhone = await signInFirstTime(page, 'ada@ops.example', true);
  await look('5-overview');
  await page.getByRole('link', { name: 'Clients' }).click();
  await look('6-clients');
  await page.getByRole('link', { name: 'New client' }).click();
  await look('6b-new-client');
  await page.getByLabel('Name (the portal').fill('Globex Licensing');
  await page.getByLabel('Company domains codes may go to').fill('globex.example');
  await page.getByRole('button', { name: 'Create the client' }).click();
  const apiKey = await page.locator('#api-key').innerText();
  t.match(apiKey, /^[A-Za-z0-9_-]{16,}$/, 'the API key, shown once');
  await look('7-client-created');
  await page.getByLabel('Company domains', { exact: true }).fill('globex.example, globex-support.example');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  t.match(await page.getByRole('status').innerText(), /Saved/);
  t.equal(
    await page.getByLabel('Company domains', { exact: true }).inputValue(),
    'globex.example, globex-support.example',
    'the domain added',
  );
  const receiver = await startWebhookReceiver(t);
  await page.getByLabel('New endpoint URL').fill(receiver.url);
  await page.getByRole('button', { name: 'Add the webhook' }).click();
  receiver.useSecret(await page.locator('#webhook-secret').innerText());
  await page.getByRole('button', { name: 'Send a test event' }).click();
  t.match(await page.getByRole('status').innerText(), /Test event ev_\S+ queued/);
  await waitFor(
    'the test event at the receiver',
    async () => receiver.received.some((r) => r.type === 'webhook.test'),
    10_000,
  );
  t.ok(receiver.received.find((r) => r.type === 'webhook.test')!.verified, 'signed with the secret the page showed');
  await waitFor(
    'the delivery on the page',
    async () => {
      await page.reload();
      return /webhook\.test\s+delivered/.test(await bodyText());
    },
    10_000,
  );
  await look('8-client');
  await page.getByRole('link', { name: 'Preview the code mail' }).click();
  await page.getByRole('link', { name: 'de', exact: true }).click();
  t.match(
    await page.frameLocator('iframe').first().locator('body').innerText(),
    /Globex Licensing/,
    'the mail in the frame',
  );
  await look('9-mail-preview');

  // What support will be asked about: a bounce, a limit, a lost phone.
  await mailbox.setChaosTriggers({ Recipient: { ErrorCode: 550, Probability: 100 } });
  t.equal((await api('/send-code', { email: 'bea@acme.example' })).status, 202);
  await waitFor(
    'the bounce recorded',
    async () => (await (await api('/events?type=mail.bounced')).json()).events.length > 0,
    15_000,
  );
  await mailbox.setChaosTriggers({ Recipient: { ErrorCode: 550, Probability: 0 } });
  for (let i = 0; i < 3; i++) t.equal((await api('/send-code', { email: 'max@acme.example' })).status, 202);
  t.equal((await api('/send-code', { email: 'max@acme.example' })).status, 429, 'max@ is limited');
  const enrolled = await (
    await api('/totp/enrollments', { userRef: 'u-dana', accountName: 'dana@acme.example' })
  ).json();
  const danaPhone = OTPAuth.URI.parse(enrolled.otpauthUri) as OTPAuth.TOTP;
  t.equal(
    (await api(`/totp/enrollments/${enrolled.enrollmentId}/confirm`, { code: danaPhone.generate() })).status,
    200,
  );
  // Dana proves her address for her user reference: support will find her by either.
  t.equal((await api('/send-code', { email: 'dana@acme.example', userRef: 'u-dana' })).status, 202);
  const danaCode = await mailbox.waitForMessage({ query: 'to:dana@acme.example' }, { timeout: 10_000, interval: 100 });
  t.equal(
    (
      await api('/verify-code', {
        email: 'dana@acme.example',
        purpose: 'login',
        code: /\b(\d{6})\b/.exec(danaCode.Subject)![1],
      })
    ).status,
    200,
  );

  // Support, in a browser of their own.
  const supportContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  t.teardown(() => supportContext.close());
  const supportPage = await supportContext.newPage();
  await signInFirstTime(supportPage, 'sam@ops.example', false);
  t.equal(await supportPage.getByRole('link', { name: 'Clients' }).count(), 0, 'no Clients for support');
  t.equal((await supportPage.goto(`${server.url}/console/clients`))!.status(), 403, 'nor the page itself');
  await supportPage.goto(`${server.url}/console/people`);
  const lookUp = async (q: string) => {
    await supportPage.getByLabel('Address or user reference').fill(q);
    await supportPage.getByRole('button', { name: 'Look up' }).click();
  };
  const shotsOf = (name: string) => lookAt(supportPage, name);
  await lookUp('bea@acme.example');
  const bounced = await supportPage.locator('body').innerText();
  t.match(
    bounced,
    /The person did not get this code: mail bounced \(the mail server said: “550 Chaos recipient error/,
    '"I never got the code", answered first',
  );
  t.ok(
    bounced.indexOf('Codes and their mails') < bounced.indexOf('Can a code be sent now?'),
    'the mail story before the limits',
  );
  t.match(
    bounced,
    /Mail bounced — the mail server said: “550 Chaos recipient error/,
    'in the delivery story, in words',
  );
  await shotsOf('09-person-bounced');
  await supportPage
    .locator('form[action$="/lift"]')
    .getByLabel('Reason (recorded)')
    .fill('Ticket 812: mailbox fixed by their IT');
  await supportPage.getByRole('button', { name: 'Lift the suppression' }).click();
  t.match(await supportPage.getByRole('status').innerText(), /suppression is lifted/);
  t.match(await supportPage.locator('body').innerText(), /The address is not suppressed/);
  t.equal((await api('/send-code', { email: 'bea@acme.example' })).status, 202, 'codes go to bea@ again');

  await lookUp('max@acme.example');
  const limited = await supportPage.locator('body').innerText();
  t.match(
    limited,
    /A code to max@acme\.example is refused now: Codes to this address, per hour\. Allowed again at .+ UTC \(in \d+ min\)/,
    'why, and until when',
  );
  await shotsOf('10-person-limited');

  // By user reference: who this is (the address the reference proved), their codes and app.
  await lookUp('u-dana');
  const byReference = await supportPage.locator('body').innerText();
  t.match(byReference, /Acme Portal: user u-dana proved dana@acme\.example \(login, .+ UTC\)\./);
  t.match(byReference, /Acme Portal · login · verified/, "the reference's verifications, found through its address");
  await supportPage.getByRole('link', { name: 'dana@acme.example' }).click();
  t.match(
    await supportPage.locator('body').innerText(),
    /Acme Portal: user u-dana proved dana@acme\.example/,
    'by address, the same person',
  );
  t.match(
    await supportPage.locator('body').innerText(),
    /user u-dana \(dana@acme\.example\), on since .+, 10 recovery codes left/,
  );
  await supportPage
    .locator('form[action$="reset-authenticator"]')
    .getByLabel('Reason (recorded)')
    .fill('Lost phone; identity checked by video call');
  await supportPage.getByRole('button', { name: /Reset the second factors/ }).click();
  // One click does not do it: a page says what will happen, and asks again.
  t.match(await supportPage.locator('h1').innerText(), /Reset the second factors of u-dana at Acme Portal\?/);
  t.match(
    await supportPage.locator('body').innerText(),
    /stops working for this person at once, and so do all their recovery codes/,
  );
  t.equal((await (await api('/totp/u-dana')).json()).enabled, true, 'not yet reset');
  await shotsOf('11-confirm-reset');
  await supportPage.getByRole('button', { name: 'Yes, reset the second factors' }).click();
  t.match(
    await supportPage.getByRole('status').innerText(),
    /second factors are removed: the authenticator app with its recovery codes, and every passkey/,
  );
  t.same(await (await api('/totp/u-dana')).json(), {
    userRef: 'u-dana',
    enabled: false,
    required: false,
    enabledSince: null,
    recoveryCodesLeft: 0,
  });
  await shotsOf('11-person-reset');
  const notice = await mailbox.waitForMessage(
    { query: 'to:dana@acme.example subject:"authenticator app was removed"' },
    { timeout: 10_000, interval: 100 },
  );
  t.match(
    (await mailbox.getMessageSummary(notice.ID)).Text,
    /Acme Portal support removed the authenticator app from your account on/,
    'and Dana is told, by mail, that support removed it',
  );

  await supportPage.getByRole('link', { name: 'Audit' }).click();
  t.notMatch(
    await supportPage.locator('table.audit').innerText(),
    /Operator signed in/,
    "the clients' events by default, not the operators' sign-ins",
  );
  await shotsOf('12-audit');
  await supportPage.getByLabel('What happened').selectOption('authenticator.reset');
  await supportPage.getByRole('button', { name: 'Filter' }).click();
  t.match(
    await supportPage.locator('table.audit').innerText(),
    /Authenticator app reset.*Acme Portal.*operator sam@ops\.example.*Lost phone; identity checked by video call/s,
  );
  await shotsOf('12b-audit-filtered');
  const trail = (await (await api('/events?type=address.lifted,authenticator.reset')).json()).events as {
    actor: string;
    actorId: string;
    data: { reason: string };
  }[];
  t.same(
    trail.map((e) => [e.actor, e.actorId.startsWith('op_'), e.data.reason]),
    [
      ['operator', true, 'Lost phone; identity checked by video call'],
      ['operator', true, 'Ticket 812: mailbox fixed by their IT'],
    ],
    "the client's GET /events carries who and why",
  );

  // The admin again: the operators page, then sign out and back in — the code, then the app.
  await page.goto(`${server.url}/console/operators`);
  t.match(await page.locator('table').innerText(), /sam@ops\.example\s+support/);
  await look('13-operators');
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  t.match(await bodyText(), /You are signed out/);
  await look('14-signed-out');
  await page.goto(`${server.url}/console/sign-in`);
  await page.getByLabel('Work email').fill('ada@ops.example');
  await page.getByRole('button', { name: 'Send me a code' }).click();
  await page.getByLabel('Code from the mail').fill(await codeFor('ada@ops.example', 1));
  await page.getByRole('button', { name: 'Continue' }).click();
  t.match(await page.locator('h1').innerText(), /Authenticator app/, 'enrolled: the app, not a new enrolment');
  await look('15-authenticator');
  // The next time step: the step used at enrolment is never accepted twice.
  await page.getByLabel('Code from your authenticator app').fill(adaPhone.generate({ timestamp: Date.now() + 30_000 }));
  await page.getByRole('button', { name: 'Sign in' }).click();
  t.match(await page.locator('h1').innerText(), /Overview/);
});

for (const close of closers.reverse()) await close();
rmSync(files, { recursive: true, force: true });
