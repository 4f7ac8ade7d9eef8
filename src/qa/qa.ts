// `mailcode qa` (npm run qa): mailcode and Mailpit on one machine, wired to each other, for
// people who check the code mails by eye. Mailpit (with its web UI) takes every mail over
// SMTP on loopback — nothing leaves the machine — and a demo client is ready, its API key
// new at each start. Its own data folder (./data/qa), so QA's mail and clients stay apart
// from `npm start`'s.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Client } from '../clients/model.js';
import { loadConfig } from '../shared/config.js';
import { buildApp } from '../main/app.js';
import { byCommandLine } from '../events/model.js';
import { startMailpit, type RunningMailpit } from './mailpit.js';

export interface QaOptions {
  mailpitBinary: string;
  /** mailcode's database, secret and Mailpit's database live here. */
  dir: string;
  port: number;
  mailpitPort: number;
  smtpPort: number;
  /** Where mailcode's JSON log lines go (the terminal's standard error by default). */
  logStream?: NodeJS.WritableStream;
}

export interface RunningQa {
  mailcodeUrl: string;
  mailpitUrl: string;
  client: Client;
  apiKey: string;
  stop(): Promise<void>;
}

/** The demo client's name: its mail is tagged with it in Mailpit. */
export const demoClientName = 'Demo Portal';
const demoDomain = 'demo-portal.example';

export async function startQa(options: QaOptions): Promise<RunningQa> {
  const dir = resolve(options.dir);
  mkdirSync(dir, { recursive: true });
  const mailpit = await startMailpit({
    binary: options.mailpitBinary,
    dir,
    smtpPort: options.smtpPort,
    httpPort: options.mailpitPort,
  });
  let app: FastifyInstance | undefined;
  try {
    const mailcodeUrl = `http://127.0.0.1:${options.port}`;
    // One process on its own SQLite file: no Redis, whatever the shell has set.
    const { REDIS_URL: _redis, ...env } = process.env;
    const config = loadConfig({
      ...env,
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      PORT: String(options.port),
      PUBLIC_URL: mailcodeUrl,
      DATABASE_URL: `file:${resolve(dir, 'mailcode.db')}`,
      SMTP_URL: `smtp://127.0.0.1:${options.smtpPort}`,
    });
    app = await buildApp(config, options.logStream ? { logStream: options.logStream } : {});
    await app.listen({ host: '127.0.0.1', port: options.port });
    const { client, apiKey } = await demoClient(app);
    const running = app;
    return {
      mailcodeUrl,
      mailpitUrl: mailpit.url,
      client,
      apiKey,
      stop: () => stopBoth(running, mailpit),
    };
  } catch (error) {
    await stopBoth(app, mailpit);
    throw error;
  }
}

/**
 * The demo client, made through the clients service at the first start, with a DKIM key of
 * its own (QA sees the DKIM-Signature a real client's mail carries: d=demo-portal.example,
 * s=qa); later starts give it a new API key (keys are shown once).
 */
async function demoClient(app: FastifyInstance): Promise<{ client: Client; apiKey: string }> {
  const { clients, dkim } = app.mailcode;
  const existing = (await clients.list()).find((c) => c.name === demoClientName && c.revokedAt === null);
  if (existing) return { client: existing, apiKey: await clients.rotateKey(existing.id, byCommandLine) };
  const made = await clients.create(
    {
      name: demoClientName,
      mailFrom: `${demoClientName} <no-reply@${demoDomain}>`,
      support: `https://${demoDomain}/help`,
    },
    byCommandLine,
  );
  await dkim.create(made.client.id, { selector: 'qa' }, byCommandLine);
  return made;
}

async function stopBoth(app: FastifyInstance | undefined, mailpit: RunningMailpit): Promise<void> {
  // mailcode first: its worker finishes the mail in flight while Mailpit still takes it.
  await app?.close();
  await mailpit.stop();
}

/** What the terminal shows once both answer. */
export function qaBanner(qa: RunningQa): string {
  const send = `curl -s ${qa.mailcodeUrl}/send-code -H 'authorization: Bearer ${qa.apiKey}' -H 'content-type: application/json' -d '{"email":"ann@acme.example","purpose":"signup","locale":"de"}'`;
  return [
    '',
    'mailcode QA — every mail goes to Mailpit on this machine, none leaves it.',
    `  mailcode         ${qa.mailcodeUrl}   (the API with "Try it out": ${qa.mailcodeUrl}/docs)`,
    `  Mailpit web UI   ${qa.mailpitUrl}`,
    `  demo client      ${qa.client.id} (${qa.client.name}), API key (new at each start):`,
    `                   ${qa.apiKey}`,
    '',
    'Send a code, then open it in Mailpit (tags: signup, de, Demo Portal):',
    `  ${send}`,
    '',
    'Ctrl-C stops both.',
    '',
  ].join('\n');
}
