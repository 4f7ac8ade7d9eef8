// The embedded default on a full disk: mailcode's SQLite file on a small filesystem (a tmpfs
// the test mounts) that a file of the test's fills up, under a steady stream of sends. The
// process lives; the sends the disk stops answer 503 with Retry-After, never 500; reads go
// on; /readyz says not ready; once space is freed sends are accepted again, by themselves,
// and every accepted mail is written once.
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statfsSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { unthrottled } from '../helpers/build.js';
import { requireBuild, runCli, startMailcode, waitFor } from '../helpers/processes.js';
import { steadyLoad, tally } from '../helpers/steady-load.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A 16 MiB tmpfs mounted for the test, or why it cannot be (mounting needs root). */
function smallFilesystem(dir: string): string | undefined {
  if (process.getuid?.() !== 0)
    return 'mounting a small filesystem needs root; run the suite as root (CI does) to see mailcode on a full disk';
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=16m,mode=0700', 'tmpfs', dir], { encoding: 'utf8' });
  return mounted.status === 0 ? undefined : `tmpfs could not be mounted here: ${mounted.stderr.trim()}`;
}

t.test(
  'a full disk under the SQLite file: 503 for the writes it stops, reads go on, sends come back with the space',
  async (t) => {
    if (!requireBuild(t)) return;
    const dir = mkdtempSync(join(tmpdir(), 'mailcode-full-disk-'));
    const disk = join(dir, 'disk');
    mkdirSync(disk);
    const cannot = smallFilesystem(disk);
    t.teardown(() => {
      if (!cannot) spawnSync('umount', ['-l', disk]);
      rmSync(dir, { recursive: true, force: true });
    });
    if (cannot) {
      if (process.env.CI === 'true') t.fail(cannot);
      else t.comment(`SKIPPED: ${cannot}`);
      return;
    }
    const mailDir = join(dir, 'mail');
    const env = {
      DATABASE_URL: `file:${join(disk, 'mailcode.db')}`,
      MAIL_DIR: mailDir,
      CODE_SECRET: 'full-disk-secret-0123456789abcdef0123456789abcdef',
      LOG_LEVEL: 'warn',
      ...unthrottled,
    };
    const created = runCli(['clients', 'create', '--name', 'Acme Portal', '--domain', 'acme.example', '--json'], env);
    t.equal(created.status, 0, created.stderr);
    const { apiKey, clientId } = JSON.parse(created.stdout) as { apiKey: string; clientId: string };
    const mailcode = await startMailcode(t, env);
    const alive = () => mailcode.process.exitCode === null && mailcode.process.signalCode === null;
    const ready = async () => (await fetch(`${mailcode.url}/readyz`)).status;
    const auth = { authorization: `Bearer ${apiKey}` };

    const load = steadyLoad(mailcode.url, apiKey, { workers: 2, pauseMs: 20 });
    t.teardown(() => load.stop());
    await waitFor('sends before the disk fills', async () => load.accepted.length >= 5);
    const earlier = load.answers.find((a) => a.route === 'send' && a.status === 202)!.email!;

    // A file of the test's takes every byte left (the server writes meanwhile, so it is
    // written until the disk says no, not to a size read before).
    const filler = join(disk, 'filler');
    const fd = openSync(filler, 'w');
    const chunk = Buffer.alloc(64 * 1024);
    try {
      for (let i = 0; i < 1_024; i++) writeSync(fd, chunk);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
    } finally {
      closeSync(fd);
    }
    t.equal(statfsSync(disk).bavail, 0, 'the disk is full');
    const full = Date.now();
    await waitFor(
      'sends refused for the full disk',
      async () => load.answers.some((a) => a.at > full && a.status === 503),
      20_000,
    );
    await waitFor('/readyz to say not ready', async () => (await ready()) === 503, 10_000);
    await sleep(3_000);
    t.ok(alive(), 'the process lives on a full disk');
    // Reads go on.
    const jwks = await fetch(`${mailcode.url}/.well-known/jwks.json`);
    t.equal(jwks.status, 200, 'the JWKS is served');
    const events = await fetch(`${mailcode.url}/events?limit=5`, { headers: auth });
    t.equal(events.status, 200, 'the trail is read');
    const whileFull = load.answers.filter((a) => a.at > full);
    t.ok(
      whileFull.filter((a) => a.route === 'send' && a.status === 503).length > 0,
      `answers on the full disk: ${JSON.stringify(tally(whileFull))}`,
    );

    // Space freed: sends are accepted again, by themselves.
    const freed = Date.now();
    rmSync(filler);
    await waitFor(
      'a send accepted again',
      async () => load.answers.some((a) => a.at > freed && a.route === 'send' && a.status === 202),
      15_000,
    );
    const back = load.answers.find((a) => a.at > freed && a.route === 'send' && a.status === 202)!.at - freed;
    t.ok(back < 10_000, `sends accepted again ${back} ms after space was freed`);
    await waitFor('/readyz to say ready', async () => (await ready()) === 200, 10_000);
    await sleep(500);
    await load.stop();

    const all = load.answers;
    t.same(
      all
        .filter((a) => a.status === 0 || (a.status >= 500 && a.status !== 503))
        .map((a) => `${a.route} ${a.status} ${a.code}`),
      [],
      `no 500 in ${all.length} answers: ${JSON.stringify(tally(all))}`,
    );
    t.ok(
      all.filter((a) => a.status === 503).every((a) => Number(a.retryAfter) >= 1 && a.code === 'service_unavailable'),
      'every 503 is service_unavailable with Retry-After',
    );
    t.ok(alive(), 'alive at the end');

    // Every accepted mail is written, once (the .eml files name their recipient in To:).
    const written = () =>
      readdirSync(mailDir)
        .filter((f) => f.endsWith('.eml'))
        .map((f) => /^To: (.+)$/m.exec(readFileSync(join(mailDir, f), 'utf8'))?.[1]?.trim() ?? '');
    await waitFor(
      'every accepted mail written',
      async () => load.accepted.every((email) => written().includes(email)),
      30_000,
    ).catch(() => {});
    const files = written();
    t.same(
      load.accepted.filter((email) => !files.includes(email)),
      [],
      `all ${load.accepted.length} accepted mails written`,
    );
    t.same(
      files.filter((email, i) => files.indexOf(email) !== i),
      [],
      'none twice',
    );
    t.ok(load.accepted.includes(earlier), 'the mails from before the disk filled among them');
    t.notMatch(mailcode.output(), /request failed/, 'no request failed with a 500');
    t.ok(clientId);
  },
);
