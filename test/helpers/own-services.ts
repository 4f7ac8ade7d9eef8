// A PostgreSQL and a Redis of a test's own — their own data folder and port — that the test
// may stop and start again under load, as a managed database's failover or a Redis restart
// would, without touching the shared servers the other test files use.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { stopChild } from '../../src/qa/mailpit.js';
import { freePort, waitFor } from './processes.js';

export interface Restartable {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** Debian's server binaries (pg_ctl and friends), newest version; undefined where PostgreSQL is not installed. */
export function postgresBinaries(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const version = readdirSync(root).sort((a, b) => Number(b) - Number(a))[0];
  return version && existsSync(join(root, version, 'bin', 'initdb')) ? join(root, version, 'bin') : undefined;
}

/** Why the test cannot have its own servers here, or undefined when it can. */
export function ownServicesAbsent(): string | undefined {
  if (!postgresBinaries())
    return 'PostgreSQL server binaries are not installed (scripts/start-postgres-redis.sh installs them)';
  if (spawnSync('redis-server', ['--version']).status !== 0)
    return 'redis-server is not installed (scripts/start-postgres-redis.sh installs it)';
  if (process.getuid?.() === 0 && spawnSync('id', ['postgres']).status !== 0)
    return 'running as root, and there is no postgres user to run a PostgreSQL as';
  return undefined;
}

/**
 * A new PostgreSQL cluster (initdb) on a free loopback port, TCP only, trusting the local
 * role `mailcode`. PostgreSQL will not run as root: as root, it runs as the postgres user
 * in a folder that user can reach (/var/tmp, since the tests' TMPDIR may be root's alone).
 */
export async function ownPostgres(t: Test): Promise<Restartable> {
  const bin = postgresBinaries()!;
  const asRoot = process.getuid?.() === 0;
  const base = mkdtempSync(join(asRoot ? '/var/tmp' : tmpdir(), 'mailcode-own-pg-'));
  const data = join(base, 'data');
  const run = (tool: string, args: string[]) => {
    const command = asRoot
      ? (['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]] as const)
      : ([join(bin, tool), args] as const);
    const result = spawnSync(command[0], [...command[1]], { encoding: 'utf8', timeout: 60_000 });
    if (result.status !== 0) throw new Error(`${tool} failed: ${result.stderr || result.stdout}`);
  };
  if (asRoot) {
    chmodSync(base, 0o777);
  }
  run('initdb', ['-D', data, '-U', 'mailcode', '--auth=trust', '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off`;
  const start = async () =>
    run('pg_ctl', ['-D', data, '-l', join(base, 'postgres.log'), '-o', options, '-w', '-t', '30', 'start']);
  // -m fast, as `pg_ctlcluster … stop -m fast` (and a managed database's restart): sessions are ended at once.
  const stop = async () => run('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop']);
  t.teardown(async () => {
    await stop().catch(() => {});
    rmSync(base, { recursive: true, force: true });
  });
  await start();
  return { url: `postgres://mailcode@127.0.0.1:${port}/postgres`, start, stop };
}

/** A Redis on a free loopback port, in memory only; stop() ends the process, start() runs a new one on the same port. */
export async function ownRedis(t: Test): Promise<Restartable> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const ping = () =>
    spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'ping'], { encoding: 'utf8' }).stdout.trim() ===
    'PONG';
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    await waitFor('redis', async () => ping(), 10_000);
  };
  const stop = async () => {
    if (child) await stopChild(child);
    child = undefined;
  };
  await start();
  t.teardown(stop);
  return { url: `redis://127.0.0.1:${port}`, start, stop };
}
