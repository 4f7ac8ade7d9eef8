// Before and after, on this machine, at the same time: `npm run bench:compare -- <checkout>`
// starts one server from this checkout and one from the other (built: its dist/), each on
// its own SQLite database with its own pools of codes, and drives them in short turns,
// one after the other, for right codes and then wrong ones. Turns alternate, so what else
// the machine does (stolen time on a shared host) falls on both alike; the figure is the
// serving process's CPU time per request over all turns. Each server runs pinned to CPU 0
// and the load from CPU 1 when `taskset` is there.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { packageRoot } from '../src/shared/paths.js';
import { cpuMicros } from './cpu.js';
import type { Seeded, SeedOptions } from './seed.js';

const [other, roundsArg] = process.argv.slice(2);
if (!other) throw new Error('usage: npm run bench:compare -- <other checkout, built> [rounds, default 20]');
const rounds = Number(roundsArg ?? 20);
const secret = 'bench-secret-0123456789abcdef0123456789abcdef';
const pinned = spawnSync('taskset', ['-p', '-c', '1', String(process.pid)]).status === 0;
type Kind = 'right' | 'wrong';

interface Server {
  label: string;
  child: ChildProcess;
  port: number;
  apiKey: string;
  body: Record<Kind, () => object>;
  cpu: Record<Kind, number>;
  requests: Record<Kind, number>;
}

async function start(label: string, root: string): Promise<Server & { dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'mailcode-compare-'));
  const env = {
    ...process.env, NODE_ENV: 'production', SMTP_URL: 'smtp://127.0.0.1:9', DATABASE_URL: `file:${join(dir, 'mailcode.db')}`, CODE_SECRET: secret,
    PUBLIC_URL: 'http://127.0.0.1', LOG_LEVEL: 'warn', CLIENT_REQUESTS_PER_SECOND: '1000000', WRONG_CODES_PER_EMAIL_HOUR: '100000',
  };
  const cli = join(root, 'dist/src/main/cli.js');
  const created = spawnSync(process.execPath, [cli, 'clients', 'create', '--name', 'Bench Portal', '--json'], { env, encoding: 'utf8' });
  if (created.status !== 0) throw new Error(`${label}: ${created.stderr}`);
  const { apiKey, clientId } = JSON.parse(created.stdout) as { apiKey: string; clientId: string };
  // Each checkout seeds with its own seeder: codes hashed as that version hashes them.
  const { seedVerifications } = (await import(join(root, 'dist/bench/seed.js'))) as { seedVerifications: (path: string, o: SeedOptions) => Seeded };
  const now = Date.now();
  const seed = (o: Partial<SeedOptions> & { count: number; prefix: string }) => seedVerifications(join(dir, 'mailcode.db'), { clientId, secret, now, expiresAt: now + 7_200_000, keepCodes: true, ...o });
  const right = seed({ count: 4_000 * rounds + 20_000, prefix: 'r' });
  const wrong = seed({ count: 1_000, prefix: 'w', maxAttempts: 1e9 });
  const port = 20000 + Math.floor(Math.random() * 20000);
  const node = [process.execPath, '--max-old-space-size=128', '--max-semi-space-size=16', cli, 'serve'];
  const child = spawn(pinned ? 'taskset' : node[0]!, pinned ? ['-c', '0', ...node] : node.slice(1), { env: { ...env, PORT: String(port), HOST: '127.0.0.1' }, stdio: 'inherit' });
  for (let i = 0; i < 200 && !(await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false)); i++) await sleep(50);
  let r = 0;
  let w = 0;
  const body = {
    right: () => ({ verificationId: right.ids[r], code: right.codes[r++] }),
    wrong: () => {
      const i = w++ % wrong.ids.length;
      return { verificationId: wrong.ids[i], code: wrong.codes[i] === '000000' ? '000001' : '000000' };
    },
  };
  return { label, dir, child, port, apiKey, body, cpu: { right: 0, wrong: 0 }, requests: { right: 0, wrong: 0 } };
}

function drive(s: Server, kind: Kind, seconds: number) {
  return autocannon({
    url: `http://127.0.0.1:${s.port}`,
    connections: 50,
    duration: seconds,
    requests: [{ method: 'POST', path: '/verify-code', headers: { 'content-type': 'application/json', authorization: `Bearer ${s.apiKey}` }, setupRequest: (req: autocannon.Request) => ({ ...req, body: JSON.stringify(s.body[kind]()) }) }],
  });
}

const servers = [await start('this checkout', packageRoot), await start(resolve(other), resolve(other))];
try {
  for (const s of servers) for (const kind of ['right', 'wrong', 'right', 'wrong'] as const) await drive(s, kind, 2);
  for (const kind of ['right', 'wrong'] as const) {
    for (let round = 0; round < rounds; round++) {
      for (const s of round % 2 ? [...servers].reverse() : servers) {
        const before = cpuMicros([s.child.pid!]);
        const result = await drive(s, kind, 1);
        s.cpu[kind] += cpuMicros([s.child.pid!]) - before;
        s.requests[kind] += result.requests.total;
      }
    }
  }
  const [mine, theirs] = servers.map((s) => ({ right: s.cpu.right / s.requests.right, wrong: s.cpu.wrong / s.requests.wrong }));
  console.log(`CPU µs per request over ${rounds} alternating one-second turns (50 connections each)${pinned ? ', server on CPU 0' : ''}:`);
  for (const kind of ['right', 'wrong'] as const) {
    console.log(`  verify-code, ${kind} codes: this checkout ${mine![kind].toFixed(0)}, other ${theirs![kind].toFixed(0)} (${(100 * (mine![kind] / theirs![kind] - 1)).toFixed(1)}%)`);
  }
} finally {
  for (const s of servers) {
    s.child.kill('SIGKILL');
    rmSync(s.dir, { recursive: true, force: true });
  }
}
