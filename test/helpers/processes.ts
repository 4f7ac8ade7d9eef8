// Real processes for end-to-end tests: the built mailcode CLI and Mailpit, on free
// loopback ports, stopped in teardown. Every wait is bounded.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Test } from 'tap';
import { packageRoot } from '../../src/shared/paths.js';
import {
  mailpitBinary,
  mailpitVersion,
  startMailpit as runMailpit,
  stopChild,
  waitUntil,
  type RunningMailpit,
} from '../../src/qa/mailpit.js';

export const cliPath = join(packageRoot, 'dist', 'src', 'cli', 'main.js');

export function requireBuild(t: Test): boolean {
  if (existsSync(cliPath)) return true;
  t.fail(`${cliPath} is missing: run "npm run build" first (npm test does it)`);
  return false;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Polls `check` every 50 ms until it holds, for at most `timeoutMs`. */
export const waitFor = (what: string, check: () => Promise<boolean>, timeoutMs = 15_000) =>
  waitUntil(what, check, undefined, timeoutMs);

export function runCli(args: string[], env: Record<string, string>) {
  const result = spawnSync(process.execPath, [cliPath, ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** runCli without blocking this process: for a command that calls back a server the test itself runs (a DNS server, say). */
export function runCliAsync(
  args: string[],
  env: Record<string, string>,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 30_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

export interface Mailpit extends RunningMailpit {
  apiUrl: string;
}

/** The Mailpit that `npm run qa` uses (with its web UI), on free loopback ports, stopped in teardown. */
export async function startMailpit(t: Test, dir: string, extraArgs: string[] = []): Promise<Mailpit> {
  const binary = mailpitBinary();
  if (!binary)
    throw new Error(
      `Mailpit is not installed: run scripts/install-mailpit.sh (it builds Mailpit ${mailpitVersion} with its web UI)`,
    );
  const mailpit = await runMailpit({ binary, dir, smtpPort: await freePort(), httpPort: await freePort(), extraArgs });
  t.teardown(mailpit.stop);
  return { ...mailpit, apiUrl: mailpit.url };
}

export const stopProcess = stopChild;

export interface Mailcode {
  url: string;
  process: ChildProcess;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export async function startMailcode(t: Test, env: Record<string, string>): Promise<Mailcode> {
  const port = await freePort();
  let output = '';
  const child = spawn(process.execPath, [cliPath, 'serve'], {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const stop = (signal: NodeJS.Signals = 'SIGTERM') => stopProcess(child, signal);
  t.teardown(() => stop());
  await waitFor('mailcode', async () => (await fetch(`${url}/healthz`)).ok);
  return { url, process: child, output: () => output, stop };
}
