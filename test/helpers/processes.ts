// Real processes for end-to-end tests: the built mailcode CLI and Mailpit, on free
// loopback ports, stopped in teardown. Every wait is bounded.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Test } from 'tap';
import { packageRoot } from '../../src/shared/paths.js';

export const cliPath = join(packageRoot, 'dist', 'src', 'main', 'cli.js');

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

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export function runCli(args: string[], env: Record<string, string>) {
  const result = spawnSync(process.execPath, [cliPath, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export function mailpitBinary(): string | undefined {
  const candidates = [process.env.MAILPIT_BIN, join(process.env.HOME ?? '', 'go', 'bin', 'mailpit')];
  const gopath = spawnSync('go', ['env', 'GOPATH'], { encoding: 'utf8' });
  if (gopath.status === 0) candidates.push(join(gopath.stdout.trim(), 'bin', 'mailpit'));
  const onPath = spawnSync('sh', ['-c', 'command -v mailpit'], { encoding: 'utf8' });
  if (onPath.status === 0) candidates.push(onPath.stdout.trim());
  return candidates.find((c): c is string => !!c && existsSync(c));
}

export interface Mailpit {
  smtpPort: number;
  httpPort: number;
  apiUrl: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function startMailpit(t: Test, dir: string, extraArgs: string[] = []): Promise<Mailpit> {
  const binary = mailpitBinary();
  if (!binary) throw new Error('Mailpit is not installed: run scripts/install-mailpit.sh (go install github.com/axllent/mailpit@v1.27.11)');
  const smtpPort = await freePort();
  const httpPort = await freePort();
  const child = spawn(
    binary,
    ['--smtp', `127.0.0.1:${smtpPort}`, '--listen', `127.0.0.1:${httpPort}`, '--database', join(dir, 'mailpit.db'), '--smtp-auth-allow-insecure', '--disable-version-check', '--quiet', ...extraArgs],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const apiUrl = `http://127.0.0.1:${httpPort}`;
  const stop = () => stopProcess(child);
  t.teardown(stop);
  await waitFor('Mailpit', async () => (await fetch(`${apiUrl}/api/v1/info`)).ok);
  return { smtpPort, httpPort, apiUrl, process: child, stop };
}

export async function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

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
