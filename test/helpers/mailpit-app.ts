// The real app with real SMTP delivery to a Mailpit of the test's own, and the worker
// running on real timers, as in production.
import type { Verification } from '../../src/http/schemas/verification.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { MailpitClient } from 'mailpit-api';
import { buildApp } from '../../src/main/app.js';
import type { ClientSettings } from '../../src/clients/model.js';
import { addClient, LogCapture, testConfig } from './build.js';
import { onPostgres, postgresTestEnv } from './databases.js';
import { startMailpit } from './processes.js';

export async function buildWithMailpit(
  t: Test,
  env: Record<string, string> = {},
  mailpitArgs: string[] = [],
  deps: { now?: () => number } = {},
) {
  const dir = mkdtempSync(join(tmpdir(), 'mailcode-mailpit-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const mailpit = await startMailpit(t, dir, mailpitArgs);
  const databaseEnv = onPostgres ? await postgresTestEnv(t) : {};
  const config = testConfig(dir, { ...databaseEnv, SMTP_URL: `smtp://127.0.0.1:${mailpit.smtpPort}`, ...env });
  const logs = new LogCapture();
  const app = await buildApp(config, { logStream: logs, ...deps });
  await app.ready();
  t.teardown(() => app.close());
  const mailbox = new MailpitClient(mailpit.apiUrl);

  const createClient = async (settings: Partial<ClientSettings> & { name?: string } = {}) =>
    addClient(app.mailcode.clients, { mailFrom: 'Acme Portal <no-reply@acme.example>', ...settings });

  async function send(apiKey: string, body: Record<string, unknown>) {
    const response = await app.inject({
      method: 'POST',
      url: '/send-code',
      headers: { authorization: `Bearer ${apiKey}` },
      payload: body,
    });
    if (response.statusCode !== 202) throw new Error(`send-code answered ${response.statusCode}: ${response.body}`);
    return response.json() as { verificationId: string; email: string; expiresAt: string };
  }

  async function state(apiKey: string, verificationId: string) {
    const response = await app.inject({
      method: 'GET',
      url: `/verifications/${verificationId}`,
      headers: { authorization: `Bearer ${apiKey}` },
    });
    return response.json() as Verification;
  }

  return { app, config, logs, mailpit, mailbox, createClient, send, state, dir };
}

/** A loopback web server for the links a mail carries (support page, logo), so link checks are real. */
export async function startLinkTarget(t: Test) {
  const png = Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==',
    'base64',
  );
  const server = createServer((request, response) => {
    if (request.url === '/logo.png') response.writeHead(200, { 'content-type': 'image/png' }).end(png);
    else if (request.url === '/help') response.writeHead(200, { 'content-type': 'text/html' }).end('<h1>Help</h1>');
    else if (request.url === '/verify-email')
      response.writeHead(200, { 'content-type': 'text/html' }).end('<h1>Continue</h1>');
    else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as { port: number };
  return `http://127.0.0.1:${port}`;
}
