// `npm run bench`: the real server as its own process on a temp SQLite database, mail to a
// real SMTP sink on loopback, driven by autocannon from this process, beside a bare
// Fastify floor measured in the same run. Prints one table and writes bench/results.json.
//
//   npm run bench                 all scenarios (about four minutes)
//   npm run bench -- --quick      the empty-database scenarios only
//   npm run bench -- --timing-only  only the 1-connection timing of right, wrong and unknown
//   npm run bench -- --db postgres  the same on PostgreSQL + Redis with two server processes
//                                   (scripts/start-postgres-redis.sh starts them on loopback)
//   BENCH_SECONDS=5 npm run bench shorter runs
import { measureWebhookDeliveries, type WebhookBenchResult } from './webhooks.js';
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { packageRoot } from '../src/shared/paths.js';
import { mailpitBinary, mailpitBuildPath, startMailpit } from '../src/qa/mailpit.js';
import { postgresBenchDatabase, sqliteBenchDatabase } from './databases.js';
import { cpuMicros } from './cpu.js';
import { benchSecret, benchServerEnv, codeBodies, serverNodeFlags, waitHealthy } from './serving.js';

const argv = process.argv.slice(2);
const args = new Set(argv);
const timingOnly = args.has('--timing-only');
if (timingOnly) args.add('--quick');
const dbKind = args.has('--db') ? argv[argv.indexOf('--db') + 1] : 'sqlite';
const resultsFile = dbKind === 'sqlite' ? 'results.json' : `results-${dbKind}.json`;
if (dbKind !== 'sqlite' && dbKind !== 'postgres') throw new Error(`--db takes sqlite or postgres, not ${dbKind}`);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const warmupSeconds = 2;
const connections = 50;
// This file runs compiled, from dist/bench/: the helpers beside it, the CLI in dist/src/.
const here = new URL('.', import.meta.url).pathname;
const cli = join(packageRoot, 'dist/src/cli/main.js');
const dir = mkdtempSync(join(tmpdir(), 'mailcode-bench-'));
const database = dbKind === 'postgres' ? await postgresBenchDatabase() : sqliteBenchDatabase(dir);
const secret = benchSecret;
const children: ChildProcess[] = [];
const env = benchServerEnv(database.env);

function cleanup() {
  for (const child of children) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
process.on('exit', cleanup);
process.on('beforeExit', () => database.drop());
process.on('SIGINT', () => process.exit(130));

/** A port free on loopback now (the OS picks it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Starts a helper with fork and waits for the port it reports. */
interface Helper {
  child: ChildProcess;
  port: number;
}

async function forkHelper(file: string, helperEnv: Record<string, string> = {}): Promise<Helper> {
  const child = fork(join(here, file), [], {
    env: { ...process.env, ...helperEnv },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.push(child);
  const { port } = await new Promise<{ port: number }>((resolve) =>
    child.once('message', (m) => resolve(m as { port: number })),
  );
  return { child, port };
}

function sinkCount(sink: Helper): Promise<number> {
  return new Promise((resolve) => {
    sink.child.once('message', (m) => resolve((m as { received: number }).received));
    sink.child.send('count');
  });
}

/** The ports of the server processes (one on SQLite, two on PostgreSQL). */
let serverPorts: number[] = [];
let serverPids: number[] = [];
async function startServer(smtpUrl: string): Promise<ChildProcess[]> {
  const started: ChildProcess[] = [];
  serverPorts = [];
  serverPids = [];
  for (let i = 0; i < database.processes; i++) {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const child = spawn(process.execPath, [...serverNodeFlags(), cli, 'serve'], {
      env: { ...env, PORT: String(port), HOST: '127.0.0.1', SMTP_URL: smtpUrl },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    children.push(child);
    await waitHealthy(`http://127.0.0.1:${port}`);
    started.push(child);
    serverPorts.push(port);
    serverPids.push(child.pid!);
  }
  return started;
}

async function stopServer(servers: ChildProcess[]) {
  await Promise.all(
    servers
      .filter((child) => child.exitCode === null && child.signalCode === null)
      .map((child) => {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        return exited;
      }),
  );
}

/** The highest peak among the server processes. */
const serversPeakRssMb = (servers: ChildProcess[]) => Math.max(...servers.map((child) => peakRssMb(child.pid!)));

/** VmHWM: the peak resident set of a process so far, in MB. */
function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * One autocannon run; latencies are taken per response (ms, float) for exact percentiles.
 * With several server processes the connections are split evenly between them, as a
 * round-robin proxy in front of them would (without the proxy's own cost).
 */
interface DriveOptions {
  duration?: number;
  conns?: number;
  headers?: Record<string, string>;
}

/** What one scenario measured. */
interface Measured {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  total: number;
  latencies: number[];
  stamps: number[];
}

async function drive(
  ports: number | number[],
  path: string,
  body: () => object,
  { duration = seconds, conns = connections, headers = {} }: DriveOptions = {},
): Promise<Measured> {
  const latencies: number[] = [];
  const stamps: number[] = [];
  const targets = [ports].flat();
  const instances = targets.map((port) => {
    const instance = autocannon({
      url: `http://127.0.0.1:${port}`,
      connections: Math.max(1, Math.round(conns / targets.length)),
      duration,
      requests: [
        {
          method: 'POST',
          path,
          headers: { 'content-type': 'application/json', ...headers },
          setupRequest: (request: autocannon.Request) => ({ ...request, body: JSON.stringify(body()) }),
        },
      ],
    });
    // autocannon's instance is also an event emitter (its typings see only the promise).
    (instance as unknown as NodeJS.EventEmitter).on(
      'response',
      (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
        latencies.push(responseTime);
        stamps.push(performance.now());
      },
    );
    return instance;
  });
  const results = await Promise.all(instances);
  const sum = (pick: (r: autocannon.Result) => number) => results.reduce((n, r) => n + pick(r), 0);
  const sorted = Float64Array.from(latencies).sort();
  return {
    requestsPerSecond: Math.round(sum((r) => r.requests.total / r.duration)),
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors + r.timeouts),
    total: sum((r) => r.requests.total),
    latencies,
    stamps,
  };
}

const timingAgent = new Agent({ keepAlive: true, maxSockets: 1 });
/** One request on a kept-alive connection, and how long its answer took (ms). */
function timedRequest(port: number, path: string, body: object, headers: Record<string, string>): Promise<number> {
  const payload = JSON.stringify(body);
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent: timingAgent,
        headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (answer) => {
        answer.resume();
        answer.on('end', () => resolve(performance.now() - start));
      },
    );
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}

/** A warm-up, then the measured run; `pids`: the processes whose CPU time per request is reported. */
async function scenario(
  name: string,
  port: number | number[],
  path: string,
  body: () => object,
  options?: DriveOptions,
  pids: number[] = serverPids,
): Promise<Measured & { cpuUsPerRequest: number }> {
  await drive(port, path, body, { ...options, duration: warmupSeconds });
  const cpuBefore = cpuMicros(pids);
  const result = await drive(port, path, body, options);
  const cpuUsPerRequest = (cpuMicros(pids) - cpuBefore) / Math.max(1, result.total);
  process.stderr.write(
    `  ${name}: ${result.requestsPerSecond} req/s, p99 ${result.p99.toFixed(2)} ms, ${cpuUsPerRequest.toFixed(0)} µs CPU per request\n`,
  );
  return { ...result, cpuUsPerRequest };
}

async function secondsUntilOutboxEmpty(limitSeconds = 300) {
  const start = performance.now();
  while ((await database.queuedMail()) > 0) {
    if (performance.now() - start > limitSeconds * 1000) return Infinity;
    await sleep(50);
  }
  return (performance.now() - start) / 1000;
}

const createdClient = spawnSync(process.execPath, [cli, 'clients', 'create', '--name', 'Bench Portal', '--json'], {
  env,
  encoding: 'utf8',
});
if (createdClient.status !== 0) throw new Error(createdClient.stderr);
const { apiKey, clientId } = JSON.parse(createdClient.stdout);
const auth = { authorization: `Bearer ${apiKey}` };

const sink = await forkHelper('smtp-sink.js');
const floor = await forkHelper('floor.js');
const smtpUrl = `smtp://127.0.0.1:${sink.port}`;
const ceilings = await forkHelper('ceilings.js', { SMTP_URL: smtpUrl });

// Pools: right codes (each used once) and wrong-code targets that never lock.
const now = Date.now();
const hour = 3_600_000;
process.stderr.write('seeding code pools…\n');
const right = await database.seed({
  clientId,
  secret,
  count: dbKind === 'postgres' ? 150_000 : 400_000,
  prefix: 'r',
  now,
  expiresAt: now + 2 * hour,
  keepCodes: true,
});
const wrongTargets = await database.seed({
  clientId,
  secret,
  count: 1_000,
  prefix: 'w',
  now,
  expiresAt: now + 2 * hour,
  maxAttempts: 1e9,
  keepCodes: true,
});

let sendCounter = 0;
const sendBody = () => ({ email: `user${sendCounter++}@bench.example`, purpose: 'login' });
const {
  right: rightBody,
  wrong: wrongBody,
  unknown: unknownBody,
  wrongByEmail: wrongByEmailBody,
  unknownByEmail: unknownByEmailBody,
} = codeBodies(right, wrongTargets);

interface Row {
  scenario: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  ratioToFloor: number;
  /** CPU time of the serving processes (not the database's) per request, µs. */
  cpuUsPerRequest?: number;
  peakRssMb?: number;
  vsEmpty?: number;
  mailsPerSecondToSink?: number;
  outboxEmptyAfterSeconds?: number;
}

const rows: Row[] = [];
function row(name: string, r: Measured & { cpuUsPerRequest?: number }, floorRps: number, extra: Partial<Row> = {}) {
  rows.push({
    scenario: name,
    requestsPerSecond: r.requestsPerSecond,
    p50Ms: r.p50,
    p99Ms: r.p99,
    non2xx: r.non2xx,
    errors: r.errors,
    ratioToFloor: floorRps ? r.requestsPerSecond / floorRps : 1,
    cpuUsPerRequest: r.cpuUsPerRequest,
    ...extra,
  });
}

process.stderr.write('running (each scenario: 2 s warm-up, then measured)…\n');
/** Runs a measured part of the bench, except with --timing-only. */
const measured = async <T>(work: () => Promise<T>): Promise<T | undefined> => (timingOnly ? undefined : work());
const floorResult = await measured(async () => {
  const result = await scenario('floor', floor.port, '/send-code', sendBody, {}, [floor.child.pid!]);
  row('floor (bare Fastify, validate + 202)', result, 0, { peakRssMb: peakRssMb(floor.child.pid!) });
  return result;
});
floor.child.kill();
const floorRps = floorResult?.requestsPerSecond ?? 0;
// What this machine allows at best: the floor plus the one cost each scenario cannot skip.
const ceilingsMeasured = await measured(async () => {
  const signed = await scenario('ceiling: floor + one assertion signed', ceilings.port, '/signed', sendBody, {}, [
    ceilings.child.pid!,
  ]);
  row('ceiling: floor + one assertion signed', signed, floorRps);
  const mailed = await scenario('ceiling: floor + one mail delivered', ceilings.port, '/mailed', sendBody, {}, [
    ceilings.child.pid!,
  ]);
  row('ceiling: floor + one mail delivered to the sink', mailed, floorRps);
  return { signed, mailed };
});
ceilings.child.kill();

let server = await startServer(smtpUrl);
const emptyDatabase = await measured(async () => {
  const sunkBefore = await sinkCount(sink);
  const sendStart = performance.now();
  const send = await scenario('send-code', serverPorts, '/send-code', sendBody, { headers: auth });
  // The worker delivers while the load runs; how long until the outbox is empty after it
  // stops, and the delivery rate over the whole time (load and drain).
  const drainSeconds = await secondsUntilOutboxEmpty();
  const sunk = (await sinkCount(sink)) - sunkBefore;
  const mailsPerSecond = sunk / ((performance.now() - sendStart) / 1000);
  row('send-code, distinct addresses', send, floorRps, {
    mailsPerSecondToSink: Math.round(mailsPerSecond),
    outboxEmptyAfterSeconds: drainSeconds,
    peakRssMb: serversPeakRssMb(server),
  });
  const verifyRight = await scenario('verify right', serverPorts, '/verify-code', rightBody, { headers: auth });
  row('verify-code, right codes (each once)', verifyRight, floorRps, { peakRssMb: serversPeakRssMb(server) });
  const verifyWrong = await scenario('verify wrong', serverPorts, '/verify-code', wrongBody, { headers: auth });
  row('verify-code, wrong codes (422 expected)', verifyWrong, floorRps, { peakRssMb: serversPeakRssMb(server) });
  return { send, verifyRight, verifyWrong };
});
const serverPeak = serversPeakRssMb(server);

// Timing: one request at a time, so the medians show the service's own work, not queueing;
// the kinds take turns request by request (and server by server), so drift on a shared
// machine hits all of them alike. The pairs that must not be told apart: a wrong code and
// an unknown verification, for each way of naming it — by id, and by address + purpose
// (where a gap would tell whether the address has a code pending).
process.stderr.write('timing check (one request at a time, the kinds in turn)…\n');
const timingBodies = {
  right: rightBody,
  wrong: wrongBody,
  unknown: unknownBody,
  wrongByEmail: wrongByEmailBody,
  unknownByEmail: unknownByEmailBody,
};
type TimingKind = keyof typeof timingBodies;
const rounds = Object.fromEntries(Object.keys(timingBodies).map((k) => [k, [] as number[]])) as Record<
  TimingKind,
  number[]
>;
const timingTurns = Number(process.env.BENCH_TIMING_TURNS ?? 1_000);
for (let turn = 0; turn < timingTurns + 100; turn++) {
  for (const kind of Object.keys(timingBodies) as TimingKind[]) {
    const ms = await timedRequest(serverPorts[turn % serverPorts.length]!, '/verify-code', timingBodies[kind](), auth);
    if (turn >= 100) rounds[kind].push(ms); // the first turns warm the path up
  }
}
const medianOf = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const medians = Object.fromEntries(Object.entries(rounds).map(([k, xs]) => [k, medianOf(xs)])) as Record<
  TimingKind,
  number
>;
const gap = (a: number, b: number) => Math.abs(a - b) / Math.min(a, b);
const timing = {
  ...medians,
  /** right, wrong and unknown by id: the widest gap between them. */
  spread:
    (Math.max(medians.right, medians.wrong, medians.unknown) -
      Math.min(medians.right, medians.wrong, medians.unknown)) /
    Math.min(medians.right, medians.wrong, medians.unknown),
  unknownVsWrongById: gap(medians.unknown, medians.wrong),
  unknownVsWrongByEmail: gap(medians.unknownByEmail, medians.wrongByEmail),
};

interface Results {
  database: string;
  serverProcesses: number;
  machine: { cpus: number; node: string };
  seconds: number;
  connections: number;
  rows: Row[];
  timing: typeof timing;
  serverPeakRssMb: number;
  seedSeconds?: number;
  purge?: {
    purgedRowsSeconds: number;
    p99BeforeMs: number;
    p99DuringPurgeMs: number;
    requestsDuringPurge: number;
    non2xxDuringPurge: number;
  };
  mailpit?: { mails: number; mailsPerSecond: number } | { skipped: string };
  webhooks?: WebhookBenchResult;
}

const results: Results = {
  database: dbKind!,
  serverProcesses: database.processes,
  machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
  seconds,
  connections,
  rows,
  timing,
  serverPeakRssMb: serverPeak,
};

if (!args.has('--quick') && !args.has('--purge-only')) {
  await stopServer(server);
  process.stderr.write('seeding 1,000,000 existing verifications…\n');
  const seedStart = performance.now();
  await database.seed({
    clientId,
    secret,
    count: 1_000_000,
    prefix: 'g',
    now,
    expiresAt: now + 2 * hour,
    withCodes: true,
  });
  results.seedSeconds = (performance.now() - seedStart) / 1000;
  server = await startServer(smtpUrl);
  const grownSend = await scenario('send (1M rows)', serverPorts, '/send-code', sendBody, { headers: auth });
  row('send-code with 1M rows', grownSend, floorRps, {
    vsEmpty: grownSend.requestsPerSecond / emptyDatabase!.send.requestsPerSecond,
  });
  await secondsUntilOutboxEmpty();
  const grownRight = await scenario('verify right (1M rows)', serverPorts, '/verify-code', rightBody, {
    headers: auth,
  });
  row('verify-code right, 1M rows', grownRight, floorRps, {
    vsEmpty: grownRight.requestsPerSecond / emptyDatabase!.verifyRight.requestsPerSecond,
  });
  const grownWrong = await scenario('verify wrong (1M rows)', serverPorts, '/verify-code', wrongBody, {
    headers: auth,
  });
  row('verify-code wrong, 1M rows', grownWrong, floorRps, {
    vsEmpty: grownWrong.requestsPerSecond / emptyDatabase!.verifyWrong.requestsPerSecond,
  });
}

if (!args.has('--quick')) {
  process.stderr.write('seeding 1,000,000 expired verifications for the purge…\n');
  await stopServer(server);
  const longAgo = now - 30 * 24 * hour;
  await database.seed({
    clientId,
    secret,
    count: 1_000_000,
    prefix: 'x',
    now: longAgo,
    expiresAt: longAgo + 600_000,
    withCodes: true,
  });
  server = await startServer(smtpUrl);
  await secondsUntilOutboxEmpty();
  const baseline = await scenario('send before purge', serverPorts, '/send-code', sendBody, { headers: auth });
  const purgeStart = performance.now();
  const purge = spawn(process.execPath, [cli, 'purge'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(purge);
  let purgeEnd = Infinity;
  purge.once('exit', () => {
    purgeEnd = performance.now();
  });
  const during = await drive(serverPorts, '/send-code', sendBody, { headers: auth, duration: Math.max(seconds, 15) });
  while (purgeEnd === Infinity) await sleep(100);
  const inPurge = Float64Array.from(
    during.latencies.filter((_, i) => during.stamps[i]! >= purgeStart && during.stamps[i]! <= purgeEnd),
  ).sort();
  results.purge = {
    purgedRowsSeconds: (purgeEnd - purgeStart) / 1000,
    p99BeforeMs: baseline.p99,
    p99DuringPurgeMs: percentile(inPurge, 99),
    requestsDuringPurge: inPurge.length,
    non2xxDuringPurge: during.non2xx,
  };
  await secondsUntilOutboxEmpty();
  results.serverPeakRssMb = Math.max(results.serverPeakRssMb, serversPeakRssMb(server));
  await stopServer(server);
}

if (!args.has('--quick') && !args.has('--purge-only')) {
  // Mail to a real Mailpit — the one the tests and `npm run qa` use (scripts/install-mailpit.sh's
  // build, or MAILPIT_BIN) — when it is there: mails/s from queued to stored.
  const binary = mailpitBinary();
  try {
    if (!binary)
      throw new Error(
        `not built: run "bash scripts/install-mailpit.sh" (or set MAILPIT_BIN); looked at ${mailpitBuildPath}`,
      );
    const mp = await startMailpit({ binary, dir, smtpPort: await freePort(), httpPort: await freePort() });
    children.push(mp.process);
    const { smtpPort, httpPort } = mp;
    server = await startServer(`smtp://127.0.0.1:${smtpPort}`);
    const queued = 3_000;
    const started = performance.now();
    for (let i = 0; i < queued; i += 100) {
      await Promise.all(
        Array.from({ length: 100 }, () =>
          fetch(`http://127.0.0.1:${serverPorts[0]}/send-code`, {
            method: 'POST',
            headers: { ...auth, 'content-type': 'application/json' },
            body: JSON.stringify(sendBody()),
          }),
        ),
      );
    }
    let stored = 0;
    while (stored < queued && performance.now() - started < 120_000) {
      stored = (
        (await (await fetch(`http://127.0.0.1:${httpPort}/api/v1/messages?limit=1`)).json()) as {
          messages_count: number;
        }
      ).messages_count;
      await sleep(100);
    }
    results.mailpit = { mails: stored, mailsPerSecond: Math.round(stored / ((performance.now() - started) / 1000)) };
    await stopServer(server);
  } catch (error) {
    results.mailpit = { skipped: `Mailpit not available (${(error as Error).message})` };
  }
}

// Webhooks: one process's worker delivering events already in the trail to a loopback receiver.
// The servers stop first: on PostgreSQL they share the database, and their own webhook
// workers (in production mode, https only) would claim the bench's deliveries and refuse them.
await stopServer(server);
if (!timingOnly) {
  process.stderr.write('webhook deliveries…\n');
  results.webhooks = await measureWebhookDeliveries({
    NODE_ENV: 'development',
    DATABASE_URL: dbKind === 'postgres' ? database.env.DATABASE_URL! : `file:${join(dir, 'webhooks.db')}`,
  });
}

writeFileSync(join(packageRoot, 'bench', resultsFile), JSON.stringify(results, null, 2));

const fmt = (n: number | undefined, d = 0) => (n !== undefined && Number.isFinite(n) ? n.toFixed(d) : '-');
const table = rows.map((r) => ({
  scenario: r.scenario,
  'req/s': r.requestsPerSecond,
  'p50 ms': fmt(r.p50Ms, 2),
  'p99 ms': fmt(r.p99Ms, 2),
  non2xx: r.non2xx,
  'vs floor': `${fmt(r.ratioToFloor * 100)}%`,
  'CPU µs/req': fmt(r.cpuUsPerRequest),
  // VmHWM: the serving process's peak so far (the floor's own for the floor).
  'peak RSS MB': fmt(r.peakRssMb),
  ...(r.vsEmpty ? { 'vs empty db': `${fmt(r.vsEmpty * 100)}%` } : {}),
  ...(r.mailsPerSecondToSink
    ? { 'mails/s': r.mailsPerSecondToSink, 'outbox empty after': `${fmt(r.outboxEmptyAfterSeconds, 1)} s` }
    : {}),
}));
console.log(
  `\nmailcode bench — ${dbKind === 'postgres' ? 'PostgreSQL + Redis, 2 server processes' : 'SQLite, 1 server process'}, ${results.machine.cpus} cores, ${process.version}, ${connections} connections, ${seconds} s per scenario after a ${warmupSeconds} s warm-up`,
);
console.table(table);
if (ceilingsMeasured) {
  console.log(
    `ceilings on this machine: one signature per answer leaves verify at most ${fmt((ceilingsMeasured.signed.requestsPerSecond / floorRps) * 100)}% of the floor (target 40%); one delivered mail per send leaves send at most ${fmt((ceilingsMeasured.mailed.requestsPerSecond / floorRps) * 100)}% (target 30%) if delivery is to keep pace`,
  );
}
console.log(
  `peak RSS: server ${fmt(results.serverPeakRssMb)} MB${database.processes > 1 ? ' (the larger of the processes)' : ''}, floor ${fmt(rows[0]?.peakRssMb)} MB`,
);
const within = (g: number, limit: number) =>
  `${fmt(g * 100, 1)}% apart (${g <= limit ? `within ${limit * 100}%` : `OVER ${limit * 100}%`})`;
const us = (ms: number) => `${fmt(ms * 1000)} µs`;
console.log(
  `timing (one request at a time, median of ${timingTurns} each): right ${us(timing.right)}, wrong ${us(timing.wrong)}, unknown id ${us(timing.unknown)}: spread ${within(timing.spread, 0.1)}`,
);
console.log(
  `  unknown vs wrong, by id: ${us(timing.unknown)} vs ${us(timing.wrong)}, ${within(timing.unknownVsWrongById, 0.05)}`,
);
console.log(
  `  unknown vs wrong, by address + purpose: ${us(timing.unknownByEmail)} vs ${us(timing.wrongByEmail)}, ${within(timing.unknownVsWrongByEmail, 0.05)}`,
);
if (results.purge) {
  console.log(
    `purge of 1,000,000 expired rows took ${fmt(results.purge.purgedRowsSeconds, 1)} s; send-code p99 ${fmt(results.purge.p99BeforeMs, 2)} ms before, ${fmt(results.purge.p99DuringPurgeMs, 2)} ms during (${results.purge.requestsDuringPurge} requests, ${results.purge.non2xxDuringPurge} non-2xx)`,
  );
}
if (results.seedSeconds) console.log(`seeding 1,000,000 verifications took ${fmt(results.seedSeconds, 1)} s`);
if (results.mailpit)
  console.log(
    `mail to a real Mailpit: ${'skipped' in results.mailpit ? results.mailpit.skipped : `${results.mailpit.mailsPerSecond} mails/s (${results.mailpit.mails} mails)`}`,
  );
if (results.webhooks) {
  const w = results.webhooks;
  console.log(
    `webhooks: ${w.deliveriesPerSecond} deliveries/s to a loopback receiver (${w.events} events over ${w.subjects} subjects, signed, in order per subject, one process; goal 1,000)`,
  );
}
console.log(`results written to bench/${resultsFile}`);
// A graceful stop, so a server run with BENCH_NODE_FLAGS=--cpu-prof writes its profile.
await stopServer(server);
for (const child of children) child.kill('SIGKILL');
await database.drop();
process.exit(0);
