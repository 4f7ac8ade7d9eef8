// What the browser tests of the example portal share: one Chromium and one Mailpit for the
// file (closed once both databases ran), mailcode in-process on a clock the test may move
// (listening on loopback, mailing that Mailpit), the example portal as a process talking to
// it, and reading a code or an authenticator's QR code the way a person would.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jsQRModule from 'jsqr';
import type { MailpitClient } from 'mailpit-api';
import * as OTPAuth from 'otpauth';
import type { Page } from 'playwright-core';
import { PNG } from 'pngjs';
import tap, { type Test } from 'tap';
import { buildApp } from '../../src/main/app.js';
import { packageRoot } from '../../src/shared/paths.js';
import { launchChromium } from './browser.js';
import { testConfig } from './build.js';
import { onPostgres, postgresTestEnv } from './databases.js';
import { freePort, requireBuild, startMailpit, stopProcess, waitFor } from './processes.js';

const jsQR = jsQRModule.default; // CommonJS, its function on exports.default

/** One Chromium and one Mailpit for a test file; `close` after both databases ran. */
export async function fileBrowserAndMailpit(prefix: string, mailpitArgs: string[] = []) {
  const files = mkdtempSync(join(tmpdir(), prefix));
  const closers: (() => unknown)[] = [];
  const fileScope = {
    teardown: (close: () => unknown) => closers.push(close),
    fail: (m: string) => tap.fail(m),
    plan: (_n: number, why: string) => tap.comment(`skipped: ${why}`),
  } as unknown as Test;
  const browser = requireBuild(tap) ? await launchChromium(fileScope) : undefined;
  const mailpit = browser ? await startMailpit(fileScope, files, mailpitArgs) : undefined;
  return {
    browser,
    mailpit,
    files,
    async close() {
      for (const close of closers.reverse()) await close();
      rmSync(files, { recursive: true, force: true });
    },
  };
}

/** mailcode in-process on the database under test, mailing `smtpPort`, listening on loopback. */
export async function mailcodeOnLoopback(
  t: Test,
  options: { files: string; smtpPort: number; now?: () => number; env?: Record<string, string> },
) {
  const dir = mkdtempSync(join(options.files, 'db-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = testConfig(dir, {
    ...(onPostgres ? await postgresTestEnv(t) : {}),
    SMTP_URL: `smtp://127.0.0.1:${options.smtpPort}`,
    MAIL_FROM: 'Acme Portal <no-reply@acme.example>',
    PUBLIC_URL: url,
    LOG_LEVEL: 'warn',
    RESEND_COOLDOWN_SECONDS: '0',
    ...options.env,
  });
  const app = await buildApp(config, options.now ? { now: options.now } : {});
  await app.listen({ port, host: '127.0.0.1' });
  t.teardown(() => app.close());
  return { app, url, config };
}

/** The example portal as a process, for a client of the mailcode at `url`; its address. */
export async function examplePortal(
  t: Test,
  options: { url: string; clientId: string; apiKey: string; webhookSecret?: string; port?: number },
) {
  const port = options.port ?? (await freePort());
  const portal = spawn(process.execPath, [join(packageRoot, 'examples/portal/server.mjs')], {
    env: {
      ...process.env,
      MAILCODE_URL: options.url,
      MAILCODE_API_KEY: options.apiKey,
      MAILCODE_CLIENT_ID: options.clientId,
      MAILCODE_ISSUER: options.url,
      ...(options.webhookSecret ? { MAILCODE_WEBHOOK_SECRET: options.webhookSecret } : {}),
      PORT: String(port),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  t.teardown(() => stopProcess(portal));
  const portalUrl = `http://127.0.0.1:${port}`;
  await waitFor('the example portal', async () => (await fetch(portalUrl)).ok);
  return portalUrl;
}

/** How many mails an address has in Mailpit. */
export const mailsTo = async (mailbox: MailpitClient, email: string) =>
  (await mailbox.searchMessages({ query: `to:${email}` })).messages_count;

/** The code in the newest mail to `email`, once there are more than `after`. */
export async function newestCode(mailbox: MailpitClient, email: string, after: number): Promise<string> {
  await waitFor(`mail ${after + 1} to ${email}`, async () => (await mailsTo(mailbox, email)) > after, 15_000);
  const [newest] = (await mailbox.searchMessages({ query: `to:${email}` })).messages;
  return /^ {4}(\d{6})$/m.exec((await mailbox.getMessageSummary(newest!.ID)).Text)![1]!;
}

/** The authenticator app that scanned the QR code on the page. */
export async function scanQr(page: Page): Promise<OTPAuth.TOTP> {
  const qr = PNG.sync.read(await page.locator('#totp-qr svg').screenshot());
  return OTPAuth.URI.parse(jsQR(new Uint8ClampedArray(qr.data), qr.width, qr.height)!.data) as OTPAuth.TOTP;
}
