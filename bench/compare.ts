// Before and after, on this machine, at the same time: `npm run bench:compare -- <checkout>
// [rounds] [--db postgres]` starts one server from this checkout and one from the other
// (built: its dist/), each on its own database (SQLite, or PostgreSQL + a Redis prefix)
// with its own pools of codes, and drives them in short turns,
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
import { postgresBenchDatabase } from './databases.js';
import type { Seeded, SeedOptions } from './seed.js';

const argv = process.argv.slice(2);
const onPostgres = argv.includes('--db') && argv[argv.indexOf('--db') + 1] === 'postgres';
const [other, roundsArg] = argv.filter((a, i) => a !== '--db' && argv[i - 1] !== '--db');
if (!other) throw new Error('usage: npm run bench:compare -- <other checkout, built> [rounds, default 20] [--db postgres]');
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

/**
 * The server's database. On SQLite each checkout seeds with its own seeder (codes hashed as
 * that version hashes them); on PostgreSQL this checkout's seeder fills both (the seeded
 * tables and the hashing are the same in both versions), after the checkout's own CLI has
 * made its schema.
 */
async function databaseFor(root: string, dir: string, first: boolean): Promise<{ env: Record<string, string>; seed(path: string, o: SeedOptions): Promise<Seeded>; drop(): Promise<void> }> {
  if (onPostgres) {
    const database = await postgresBenchDatabase({ dropStale: first });
    return { env: database.env, seed: (_path, o) => database.seed(o), drop: () => database.drop() };
  }
  const { seedVerifications } = (await import(join(root, 'dist/bench/seed.js'))) as { seedVerifications: (path: string, o: SeedOptions) => Seeded };
  return { env: { DATABASE_URL: `file:${join(dir, 'mailcode.db')}` }, seed: async (path, o) => seedVerifications(path, o), drop: async () => {} };
}

async function start(label: string, root: string, first: boolean): Promise<Server & { dir: string; drop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'mailcode-compare-'));
  const database = await databaseFor(root, dir, first);
  const env = {
    ...process.env, NODE_ENV: 'production', SMTP_URL: 'smtp://127.0.0.1:9', CODE_SECRET: secret, ...database.env,
    PUBLIC_URL: 'http://127.0.0.1', LOG_LEVEL: 'warn', CLIENT_REQUESTS_PER_SECOND: '1000000', WRONG_CODES_PER_EMAIL_HOUR: '100000',
  };
  const cli = join(root, 'dist/src/main/cli.js');
  const created = spawnSync(process.execPath, [cli, 'clients', 'create', '--name', 'Bench Portal', '--json'], { env, encoding: 'utf8' });
  if (created.status !== 0) throw new Error(`${label}: ${created.stderr}`);
  const { apiKey, clientId } = JSON.parse(created.stdout) as { apiKey: string; clientId: string };
  const now = Date.now();
  const seed = (o: Partial<SeedOptions> & { count: number; prefix: string }) => database.seed(join(dir, 'mailcode.db'), { clientId, secret, now, expiresAt: now + 7_200_000, keepCodes: true, ...o });
  const right = await seed({ count: (onPostgres ? 1_500 : 4_000) * rounds + 20_000, prefix: 'r' });
  const wrong = await seed({ count: 1_000, prefix: 'w', maxAttempts: 1e9 });
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
  return { label, dir, drop: database.drop, child, port, apiKey, body, cpu: { right: 0, wrong: 0 }, requests: { right: 0, wrong: 0 } };
}

function drive(s: Server, kind: Kind, seconds: number) {
  return autocannon({
    url: `http://127.0.0.1:${s.port}`,
    connections: 50,
    duration: seconds,
    requests: [{ method: 'POST', path: '/verify-code', headers: { 'content-type': 'application/json', authorization: `Bearer ${s.apiKey}` }, setupRequest: (req: autocannon.Request) => ({ ...req, body: JSON.stringify(s.body[kind]()) }) }],
  });
}

const servers = [await start('this checkout', packageRoot, true), await start(resolve(other), resolve(other), false)];
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
  const [myRate, theirRate] = servers.map((s) => ({ right: s.requests.right / rounds, wrong: s.requests.wrong / rounds }));
  console.log(`${onPostgres ? 'PostgreSQL + Redis' : 'SQLite'}: CPU µs per request of the server process over ${rounds} alternating one-second turns (50 connections each)${pinned ? ', server on CPU 0' : ''}:`);
  for (const kind of ['right', 'wrong'] as const) {
    const change = (a: number, b: number) => `${a > b ? '+' : ''}${(100 * (a / b - 1)).toFixed(1)}%`;
    console.log(
      `  verify-code, ${kind} codes: this checkout ${mine![kind].toFixed(0)} µs (${myRate![kind].toFixed(0)} req/s), other ${theirs![kind].toFixed(0)} µs (${theirRate![kind].toFixed(0)} req/s): CPU ${change(mine![kind], theirs![kind])}, req/s ${change(myRate![kind], theirRate![kind])}`,
    );
  }
} finally {
  for (const s of servers) {
    const exited = new Promise((done) => s.child.once('exit', done));
    s.child.kill('SIGKILL');
    await exited;
    await s.drop();
    rmSync(s.dir, { recursive: true, force: true });
  }
}
