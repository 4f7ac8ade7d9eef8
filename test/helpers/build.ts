// Builds the real app on a temp SQLite database (or its own PostgreSQL database, see
// databases.ts) with an injected clock, a mail transport
// that keeps what it is given (so tests read codes like a person reads the mail), and the
// log lines captured for inspection.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Test } from 'tap';
import type Mail from 'nodemailer/lib/mailer/index.js';
import { buildApp, openStore } from '../../src/main/app.js';
import { loadConfig, type Config } from '../../src/shared/config.js';
import type { MailTransport } from '../../src/mail/transport.js';
import type { ClientSettings } from '../../src/clients/model.js';
import type { ClientsService } from '../../src/clients/service.js';
import { byCommandLine } from '../../src/events/model.js';
import { onPostgres, postgresTestEnv } from './databases.js';

export const startOfTest = Date.parse('2026-03-02T09:00:00.000Z');

export class TestClock {
  constructor(public time = startOfTest) {}
  now = () => this.time;
  advance(ms: number) {
    this.time += ms;
  }
}

export class CapturingTransport implements MailTransport {
  readonly kind = 'smtp' as const;
  readonly sent: Mail.Options[] = [];
  failWith: Error | undefined;
  async send(message: Mail.Options) {
    if (this.failWith) throw this.failWith;
    this.sent.push(message);
    return { messageId: `<${this.sent.length}@test>` };
  }
  async ready() {
    return !this.failWith;
  }
  close() {}
  /** The code in the newest mail to this address, read from its plain-text part. */
  codeFor(email: string): string {
    const mail = [...this.sent].reverse().find((m) => m.to === email);
    const code = /^\s+(\d{6})$/m.exec(String(mail?.text ?? ''))?.[1];
    if (!code) throw new Error(`no code mailed to ${email}`);
    return code;
  }
}

export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void) {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
  get text() {
    return this.lines.join('\n');
  }
}

/** Limits out of the way, for tests about answers and policy rather than throttling. */
export const unthrottled: Readonly<Record<string, string>> = {
  CLIENT_REQUESTS_PER_SECOND: '1000000',
  SENDS_PER_EMAIL_HOUR: '100000',
  SENDS_PER_EMAIL_DAY: '100000',
  SENDS_PER_IP_HOUR: '100000',
  RESEND_COOLDOWN_SECONDS: '0',
  DOMAIN_MAILS_PER_HOUR: '100000000',
  GLOBAL_MAILS_PER_MINUTE: '100000000',
  WRONG_CODES_PER_EMAIL_HOUR: '100000',
  UNKNOWN_LINKS_PER_IP_HOUR: '100000',
};

export interface BuildOptions {
  env?: Record<string, string>;
  /** Where mail goes instead of the capturing transport (a real SMTP server of the test's own). */
  transport?: MailTransport;
}

export function testConfig(dir: string, env: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: `file:${join(dir, 'mailcode.db')}`,
    MAIL_DIR: join(dir, 'mail'),
    CODE_SECRET: 'test-secret-0123456789abcdef0123456789abcdef',
    LOG_LEVEL: 'info',
    PUBLIC_URL: 'http://mailcode.test',
    ...env,
  });
}

/** What a test does as a portal is recorded as the API records a portal's request. */
export const byPortal = { actor: 'portal', requestId: null } as const;

/** What a test does as the operator is recorded as `mailcode …` commands record it. */
export { byCommandLine };

/** A portal client as `mailcode clients create` makes it (through the clients service), with its API key and auth header. */
export async function addClient(clients: ClientsService, settings: Partial<ClientSettings> = {}) {
  const { client, apiKey } = await clients.create(
    { name: 'Acme Portal', allowedDomains: ['acme.example'], ...settings },
    byCommandLine,
  );
  return { ...client, apiKey, auth: { authorization: `Bearer ${apiKey}` } };
}

export async function build(t: Test, options: BuildOptions = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'mailcode-test-'));
  // On PostgreSQL every test has a database of its own; the rest of the test is the same.
  const databaseEnv = onPostgres ? await postgresTestEnv(t) : {};
  /** The configuration of this test's database, with other settings (a restart with new ones). */
  const configWith = (env: Record<string, string> = {}) => testConfig(dir, { ...databaseEnv, ...options.env, ...env });
  const config = configWith();
  const clock = new TestClock();
  const mail = new CapturingTransport();
  const logs = new LogCapture();
  const app = await buildApp(config, {
    now: clock.now,
    transport: options.transport ?? mail,
    logStream: logs,
    startWorker: false,
  });
  await app.ready();
  t.teardown(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const createClient = async (name = 'Acme Portal', domains: string[] = ['acme.example'], defaultLocale = 'en') =>
    addClient(app.mailcode.clients, { name, allowedDomains: domains, defaultLocale });

  async function sendCode(apiKey: string, body: Record<string, unknown>) {
    const response = await app.inject({
      method: 'POST',
      url: '/send-code',
      headers: { authorization: `Bearer ${apiKey}` },
      payload: body,
    });
    await app.mailcode.worker.runOnce();
    return response;
  }

  async function verifyCode(apiKey: string, body: Record<string, unknown>) {
    return app.inject({
      method: 'POST',
      url: '/verify-code',
      headers: { authorization: `Bearer ${apiKey}` },
      payload: body,
    });
  }

  return { app, config, configWith, clock, mail, logs, dir, createClient, sendCode, verifyCode };
}

export { openStore };
