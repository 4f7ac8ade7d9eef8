// SIGKILL while a webhook is being delivered, then a restart: every event reaches the
// receiver; a delivery cut off by the kill comes again with the same webhook-id.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onEachDatabase, processDatabaseEnv } from '../helpers/databases.js';
import { requireBuild, runCli, startMailcode, waitFor } from '../helpers/processes.js';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';

await onEachDatabase(async (t) => {
  t.test('SIGKILL mid-delivery loses no event; the repeated delivery carries the same webhook-id', async (t) => {
    if (!requireBuild(t)) return;
    const dir = mkdtempSync(join(tmpdir(), 'mailcode-webhook-crash-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const env = {
      ...(await processDatabaseEnv(t, dir)),
      MAIL_DIR: join(dir, 'mail'),
      LOG_LEVEL: 'warn',
      MAIL_LEASE_SECONDS: '1',
      CLIENT_REQUESTS_PER_SECOND: '1000',
    };
    const client = JSON.parse(
      runCli(['clients', 'create', '--name', 'Acme', '--domain', 'acme.example', '--json'], env).stdout,
    ) as { clientId: string; apiKey: string };
    // The first request is never answered: the process is killed while it waits.
    const receiver = await startWebhookReceiver(t, (n) => (n === 1 ? 'hang' : 204));
    const added = runCli(['webhooks', 'add', client.clientId, receiver.url, '--json'], env);
    t.equal(added.status, 0, added.stderr);
    receiver.useSecret(JSON.parse(added.stdout).secret);

    const first = await startMailcode(t, env);
    const headers = { authorization: `Bearer ${client.apiKey}`, 'content-type': 'application/json' };
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const response = await fetch(`${first.url}/send-code`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ email: `p${i}@acme.example` }),
      });
      ids.push(((await response.json()) as { verificationId: string }).verificationId);
    }
    await waitFor('the first delivery to be under way', async () => receiver.received.length >= 1);
    await first.stop('SIGKILL');
    const cutOff = receiver.received[0]!;

    await startMailcode(t, env);
    await waitFor(
      'every event',
      async () =>
        ids.every(
          (id) => receiver.story(id).includes('verification.created') && receiver.story(id).includes('mail.sent'),
        ),
      30_000,
    );
    t.ok(
      receiver.received.every((r) => r.verified),
      'all signed',
    );
    const again = receiver.received.filter((r) => r.id === cutOff.id);
    t.ok(again.length >= 2, `the cut-off delivery came again (${again.length} times) with its webhook-id`);
    const unique = new Set(receiver.received.map((r) => r.id));
    t.equal(unique.size, 20, 'each of the 20 events (created and sent, per verification) arrived');
    for (const id of ids)
      t.same([...new Set(receiver.story(id))], ['verification.created', 'mail.sent'], `${id} in order`);
  });
});
