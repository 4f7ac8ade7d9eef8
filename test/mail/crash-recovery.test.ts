// SIGKILL while mail is being delivered, then a restart: every mail whose send was answered
// 202 arrives at a real SMTP server, and soon. The SMTP boundary is at-least-once (a mail
// handed over just before the kill, but not yet marked sent, goes again): duplicates are
// counted and reported, never a loss.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { onPostgres, processDatabaseEnv } from '../helpers/databases.js';
import { requireBuild, runCli, startMailcode, waitFor } from '../helpers/processes.js';
import { onEachDatabase } from '../helpers/databases.js';
import { loopbackSmtpServer } from '../helpers/scripted-smtp.js';

await onEachDatabase(async (t) => {
  /** An SMTP server that takes a moment over each mail, so some are always mid-delivery. */
  async function slowSmtpServer(t: Test, delayMs: number) {
    const arrivals = new Map<string, number>();
    const port = await loopbackSmtpServer(t, {
      onData(stream, session, callback) {
        stream.resume();
        stream.on('end', () =>
          setTimeout(() => {
            for (const { address } of session.envelope.rcptTo) arrivals.set(address, (arrivals.get(address) ?? 0) + 1);
            callback();
          }, delayMs),
        );
      },
    });
    return { port, arrivals };
  }

  t.test('SIGKILL mid-burst: every 202 mail arrives after the restart, within seconds', async (t) => {
    if (!requireBuild(t)) return;
    const dir = mkdtempSync(join(tmpdir(), 'mailcode-crash-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const smtp = await slowSmtpServer(t, 200);
    const env = {
      ...(await processDatabaseEnv(t, dir)),
      SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
      MAIL_FROM: 'Acme Portal <no-reply@acme.example>',
      LOG_LEVEL: 'warn',
      CLIENT_REQUESTS_PER_SECOND: '100000',
      DOMAIN_MAILS_PER_HOUR: '100000',
    };
    const created = runCli(['clients', 'create', '--name', 'Acme Portal', '--domain', 'acme.example', '--json'], env);
    const { apiKey } = JSON.parse(created.stdout) as { apiKey: string };
    const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };

    const first = await startMailcode(t, env);
    const accepted: string[] = [];
    const sends = Array.from({ length: 40 }, (_, i) => `person${i}@acme.example`).map(async (email) => {
      const response = await fetch(`${first.url}/send-code`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ email }),
      });
      if (response.status === 202) accepted.push(email);
    });
    // Killed once a few mails have arrived: the rest are queued or mid-delivery.
    await waitFor('the first mails', async () => smtp.arrivals.size >= 5);
    await first.stop('SIGKILL');
    await Promise.allSettled(sends);
    const arrivedBeforeRestart = smtp.arrivals.size;
    t.ok(
      arrivedBeforeRestart < accepted.length,
      `killed mid-burst: ${arrivedBeforeRestart} of ${accepted.length} accepted mails had arrived`,
    );

    await startMailcode(t, env);
    const restartedAt = Date.now();
    await waitFor('every accepted mail', async () => accepted.every((email) => smtp.arrivals.has(email)), 30_000);
    const delayMs = Date.now() - restartedAt;
    const duplicates = [...smtp.arrivals.values()].reduce((sum, n) => sum + n - 1, 0);
    t.comment(
      `${onPostgres ? 'PostgreSQL' : 'SQLite'}: the last mail arrived ${delayMs} ms after the restart; ${duplicates} duplicate(s) of ${accepted.length} mails`,
    );
    // SQLite takes a dead process's mail back at start; PostgreSQL waits out one short lease
    // (10 s by default, renewed while a delivery runs).
    t.ok(
      delayMs < (onPostgres ? 16_000 : 5_000),
      `every accepted mail arrived ${delayMs} ms after the restart was ready`,
    );
    t.ok(duplicates <= 8, 'at most the deliveries in flight at the kill are repeated');
  });
});
