// Three mailcode processes on one PostgreSQL share one webhook queue: every event reaches
// the receiver once (the fan-out and the claims skip what another process holds), and each
// subject's events arrive in the order they happened.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshPostgresDatabase, onPostgresOnly, redisTestUrl } from '../helpers/databases.js';
import { requireBuild, runCli, startMailcode, waitFor } from '../helpers/processes.js';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';

await onPostgresOnly(async (t) => {
  t.test("three processes deliver 300 verifications' events once each, in order per subject", async (t) => {
    if (!requireBuild(t)) return;
    const dir = mkdtempSync(join(tmpdir(), 'mailcode-webhooks-scale-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const env = {
      DATABASE_URL: await freshPostgresDatabase(t),
      REDIS_URL: redisTestUrl,
      REDIS_KEY_PREFIX: `mailcode-webhooks-scale:${Date.now()}:`,
      MAIL_DIR: join(dir, 'mail'),
      CODE_SECRET: 'scale-secret-0123456789abcdef0123456789abcdef',
      LOG_LEVEL: 'warn',
      CLIENT_REQUESTS_PER_SECOND: '100000',
      DOMAIN_MAILS_PER_HOUR: '100000',
    };
    const client = JSON.parse(
      runCli(['clients', 'create', '--name', 'Acme', '--domain', 'acme.example', '--json'], env).stdout,
    ) as { clientId: string; apiKey: string };
    const receiver = await startWebhookReceiver(t);
    const added = runCli(['webhooks', 'add', client.clientId, receiver.url, '--json'], env);
    t.equal(added.status, 0, added.stderr);
    receiver.useSecret(JSON.parse(added.stdout).secret);
    const processes = await Promise.all([0, 1, 2].map(() => startMailcode(t, env)));
    const headers = { authorization: `Bearer ${client.apiKey}`, 'content-type': 'application/json' };

    const ids = await Promise.all(
      Array.from({ length: 300 }, async (_, i) => {
        const response = await fetch(`${processes[i % 3]!.url}/send-code`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ email: `p${i}@acme.example` }),
        });
        return ((await response.json()) as { verificationId: string }).verificationId;
      }),
    );
    // Each verification: created, then its mail sent (by whichever process delivered it).
    await waitFor('every event', async () => new Set(receiver.received.map((r) => r.id)).size >= 600, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    t.equal(receiver.received.length, 600, `no delivery doubled: ${receiver.received.length} requests for 600 events`);
    t.ok(
      receiver.received.every((r) => r.verified),
      'all signed',
    );
    const outOfOrder = ids.filter((id) => receiver.story(id).join() !== 'verification.created,mail.sent');
    t.same(outOfOrder, [], 'each subject in order');
  });
});
