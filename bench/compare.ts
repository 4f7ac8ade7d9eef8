// Before and after, on this machine, at the same time: `npm run bench:compare -- <checkout>
// [rounds] [--db postgres]` starts one server from this checkout and one from the other
// (built: its dist/), each on its own database (SQLite, or PostgreSQL + a Redis prefix)
// with its own pools of codes, and drives them in short turns,
// one after the other, for right codes, wrong ones, then sends to new addresses (their mail
// delivered to one SMTP sink both share, by the worker in the same process). Turns alternate, so what else
// the machine does (stolen time on a shared host) falls on both alike; the figure is the
// serving process's CPU time per request over all turns. Each server runs pinned to CPU 0
// and the load from CPU 1 when `taskset` is there.
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { packageRoot } from '../src/shared/paths.js';
import { cpuMicros } from './cpu.js';
import { postgresBenchDatabase, type BenchDatabase } from './databases.js';
import type { SeedOptions } from './seed.js';
import { benchSecret, benchServerEnv, codeBodies, serverNodeFlags, waitHealthy } from './serving.js';

/** A checkout's `mailcode` command, wherever that release keeps it (package.json's bin). */
function cliOf(root: string): string {
  const manifest = join(root, 'package.json');
  const bin = existsSync(manifest)
    ? (JSON.parse(readFileSync(manifest, 'utf8')) as { bin?: { mailcode?: string } }).bin
    : undefined;
  return join(root, bin?.mailcode ?? 'dist/src/cli/main.js');
}

const argv = process.argv.slice(2);
const onPostgres = argv.includes('--db') && argv[argv.indexOf('--db') + 1] === 'postgres';
const [other, roundsArg] = argv.filter((a, i) => a !== '--db' && argv[i - 1] !== '--db');
const rounds = Number(roundsArg ?? 20);
const refusal = !other
  ? 'usage: npm run bench:compare -- <other checkout, built> [turns, default 20] [--db postgres]'
  : !existsSync(cliOf(other))
    ? `${other} is not a built checkout (no ${cliOf(other)}: run npm run build there)`
    : !Number.isInteger(rounds) || rounds < 1 || rounds > 1_000
      ? `turns: a whole number from 1 to 1000, not ${roundsArg}`
      : argv.includes('--db') && !onPostgres
        ? '--db takes postgres (SQLite is the default)'
        : undefined;
if (refusal || other === undefined) {
  console.error(`bench:compare: ${refusal}`);
  process.exit(1);
}
const pinned = spawnSync('taskset', ['-p', '-c', '1', String(process.pid)]).status === 0;
type Kind = 'right' | 'wrong' | 'send';
const kinds = ['right', 'wrong', 'send'] as const;

interface Server {
  label: string;
  child: ChildProcess;
  port: number;
  apiKey: string;
  body: Record<Kind, () => object>;
  cpu: Record<Kind, number>;
  requests: Record<Kind, number>;
}

/** One SMTP sink for both servers' mail (bench/smtp-sink.ts), so a send row pays for its delivery. */
const sink = fork(join(packageRoot, 'dist/bench/smtp-sink.js'), [], { stdio: 'ignore' });
const sinkPort = await new Promise<number>((done) => sink.once('message', (m) => done((m as { port: number }).port)));

/**
 * The server's database. On SQLite each checkout's own bench makes and seeds it (codes
 * hashed as that version hashes them); on PostgreSQL this checkout's does for both (the
 * seeded tables and the hashing are the same in both versions), after the checkout's own
 * CLI has made its schema.
 */
async function databaseFor(root: string, dir: string, first: boolean): Promise<BenchDatabase> {
  if (onPostgres) return postgresBenchDatabase({ dropStale: first });
  const { sqliteBenchDatabase } = (await import(join(root, 'dist/bench/databases.js'))) as {
    sqliteBenchDatabase: (dir: string) => BenchDatabase;
  };
  return sqliteBenchDatabase(dir);
}

async function start(
  label: string,
  root: string,
  first: boolean,
): Promise<Server & { dir: string; database: BenchDatabase }> {
  const dir = mkdtempSync(join(tmpdir(), 'mailcode-compare-'));
  const database = await databaseFor(root, dir, first);
  const env = { ...benchServerEnv(database.env), SMTP_URL: `smtp://127.0.0.1:${sinkPort}` };
  const cli = cliOf(root);
  const created = spawnSync(process.execPath, [cli, 'clients', 'create', '--name', 'Bench Portal', '--json'], {
    env,
    encoding: 'utf8',
  });
  if (created.status !== 0) throw new Error(`${label}: ${created.stderr}`);
  const { apiKey, clientId } = JSON.parse(created.stdout) as { apiKey: string; clientId: string };
  const now = Date.now();
  const seed = (o: Partial<SeedOptions> & { count: number; prefix: string }) =>
    database.seed({ clientId, secret: benchSecret, now, expiresAt: now + 7_200_000, keepCodes: true, ...o });
  const right = await seed({ count: (onPostgres ? 1_500 : 4_000) * rounds + 20_000, prefix: 'r' });
  const wrong = await seed({ count: 1_000, prefix: 'w', maxAttempts: 1e9 });
  const port = 20000 + Math.floor(Math.random() * 20000);
  const node = [process.execPath, ...serverNodeFlags(), cli, 'serve'];
  const child = spawn(pinned ? 'taskset' : node[0]!, pinned ? ['-c', '0', ...node] : node.slice(1), {
    env: { ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: 'inherit',
  });
  await waitHealthy(`http://127.0.0.1:${port}`);
  return {
    label,
    dir,
    database,
    child,
    port,
    apiKey,
    body: { ...codeBodies(right, wrong), send: newAddress(label) },
    cpu: { right: 0, wrong: 0, send: 0 },
    requests: { right: 0, wrong: 0, send: 0 },
  };
}

/** A send to an address never mailed before (no cooldown, no per-address limit in the way). */
function newAddress(label: string) {
  const tag = label === 'this checkout' ? 'a' : 'b';
  let n = 0;
  return () => ({ email: `compare-${tag}${++n}@bench-portal.example` });
}

function drive(s: Server, kind: Kind, seconds: number) {
  return autocannon({
    url: `http://127.0.0.1:${s.port}`,
    connections: 50,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        path: kind === 'send' ? '/send-code' : '/verify-code',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${s.apiKey}` },
        setupRequest: (req: autocannon.Request) => ({ ...req, body: JSON.stringify(s.body[kind]()) }),
      },
    ],
  });
}

const servers = [await start('this checkout', packageRoot, true), await start(resolve(other), resolve(other), false)];
try {
  for (const s of servers) for (const kind of [...kinds, ...kinds]) await drive(s, kind, 2);
  for (const kind of kinds) {
    for (let round = 0; round < rounds; round++) {
      for (const s of round % 2 ? [...servers].reverse() : servers) {
        const before = cpuMicros([s.child.pid!]);
        const result = await drive(s, kind, 1);
        s.cpu[kind] += cpuMicros([s.child.pid!]) - before;
        s.requests[kind] += result.requests.total;
      }
    }
  }
  const perKind = (f: (s: Server, k: Kind) => number) =>
    servers.map((s) => Object.fromEntries(kinds.map((k) => [k, f(s, k)])) as Record<Kind, number>);
  const [mine, theirs] = perKind((s, k) => s.cpu[k] / s.requests[k]);
  const [myRate, theirRate] = perKind((s, k) => s.requests[k] / rounds);
  console.log(
    `${onPostgres ? 'PostgreSQL + Redis' : 'SQLite'}: CPU µs per request of the server process over ${rounds} alternating one-second turns (50 connections each)${pinned ? ', server on CPU 0' : ''}:`,
  );
  const rowName = {
    right: 'verify-code, right codes',
    wrong: 'verify-code, wrong codes',
    send: 'send-code, new addresses',
  };
  for (const kind of kinds) {
    const change = (a: number, b: number) => `${a > b ? '+' : ''}${(100 * (a / b - 1)).toFixed(1)}%`;
    console.log(
      `  ${rowName[kind]}: this checkout ${mine![kind].toFixed(0)} µs (${myRate![kind].toFixed(0)} req/s), other ${theirs![kind].toFixed(0)} µs (${theirRate![kind].toFixed(0)} req/s): CPU ${change(mine![kind], theirs![kind])}, req/s ${change(myRate![kind], theirRate![kind])}`,
    );
  }
} finally {
  for (const s of servers) {
    const exited = new Promise((done) => s.child.once('exit', done));
    s.child.kill('SIGKILL');
    await exited;
    await s.database.drop();
    rmSync(s.dir, { recursive: true, force: true });
  }
  sink.kill();
}
