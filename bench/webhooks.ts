// Webhook delivery rate: events already in the trail, one endpoint on a loopback receiver
// (a process of its own that answers 204), one mailcode process's worker delivering them —
// signed, in order per subject — until the queue is empty.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { openStore } from '../src/main/open-store.js';
import { codeSecrets, loadConfig } from '../src/shared/config.js';
import { deriveKeys } from '../src/shared/secrets.js';
import { WebhookService } from '../src/webhooks/service.js';
import { WebhookWorker } from '../src/webhooks/worker.js';
import { postWebhook, webhookAgents } from '../src/webhooks/sender.js';
import { webhookPolicy } from '../src/webhooks/url-policy.js';
import { benchSecret } from './serving.js';

export interface WebhookBenchResult {
  events: number;
  subjects: number;
  seconds: number;
  deliveriesPerSecond: number;
}

/** The receiver: counts requests, answers 204. */
const receiverSource = `
const http = require('node:http');
let count = 0;
const server = http.createServer((req, res) => { req.resume(); req.on('end', () => { count++; res.writeHead(204).end(); }); });
server.keepAliveTimeout = 30000;
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
process.on('message', () => process.send({ count }));
`;

export async function measureWebhookDeliveries(
  env: Record<string, string>,
  events = 20_000,
  subjects = 5_000,
): Promise<WebhookBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'mailcode-bench-webhooks-'));
  const receiver = spawn(process.execPath, ['-e', receiverSource], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve) =>
    receiver.once('message', (m: { port: number }) => resolve(m.port)),
  );
  const config = loadConfig({ ...env, MAIL_DIR: join(dir, 'mail'), CODE_SECRET: benchSecret, LOG_LEVEL: 'warn' });
  const store = await openStore(config);
  try {
    const secretKeys = deriveKeys(codeSecrets(config), 'webhook-secrets');
    const policy = webhookPolicy(config);
    await new WebhookService(store.webhooks, { secretKeys, policy, now: Date.now }).add(
      'cl_bench',
      `http://127.0.0.1:${port}/hooks`,
      [],
      { actor: 'cli', requestId: null },
    );
    const at = Date.now() - 60_000;
    for (let i = 0; i < events; i += 1_000) {
      await store.events.append(
        Array.from({ length: Math.min(1_000, events - i) }, (_, j) => ({
          type: 'mail.sent' as const,
          clientId: 'cl_bench',
          subject: `vf_${(i + j) % subjects}`,
          maskedEmail: 'a***@acme.example',
          requestId: null,
          actor: 'mailcode' as const,
          data: { attempt: 1, reply: '250 2.0.0 Ok: queued as X', queueId: 'X' },
          at,
        })),
      );
    }
    const agents = webhookAgents(policy);
    const worker = new WebhookWorker({
      webhooks: store.webhooks,
      secretKeys,
      now: Date.now,
      logger: pino({ level: 'warn' }),
      post: (url, headers, body) => postWebhook(url, headers, body, { policy, agents }),
    });
    const started = performance.now();
    // Passes back to back, as the running worker does while there is work.
    for (let pass = 0; pass < 100_000; pass++) {
      const handled = await worker.runOnce();
      if (handled === 0 && (await store.webhooks.countPending()) === 0) break;
    }
    const seconds = (performance.now() - started) / 1000;
    receiver.send('count');
    const received = await new Promise<number>((resolve) =>
      receiver.once('message', (m: { count: number }) => resolve(m.count)),
    );
    agents.http.destroy();
    if (received < events) throw new Error(`the receiver got ${received} of ${events} deliveries`);
    return { events, subjects, seconds, deliveriesPerSecond: Math.round(events / seconds) };
  } finally {
    receiver.kill();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
