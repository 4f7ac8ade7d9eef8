// Mailpit as a child process: the mail server and web UI of `mailcode qa` (and of the
// end-to-end tests). The binary is the one scripts/install-mailpit.sh builds with its web
// UI, or MAILPIT_BIN; it listens on loopback only and is stopped with its parent.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { packageJson } from '../shared/paths.js';

/** The Mailpit release mailcode is tried with (package.json's config.mailpit). */
export const mailpitVersion = packageJson.config.mailpit;

/** Where scripts/install-mailpit.sh keeps its build. */
export const mailpitBuildPath = join(
  process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'),
  'mailcode',
  `mailpit-${mailpitVersion}`,
  'mailpit',
);

/** MAILPIT_BIN, else the build with the web UI; undefined when neither is there. */
export function mailpitBinary(): string | undefined {
  const candidate = process.env.MAILPIT_BIN || mailpitBuildPath;
  return existsSync(candidate) ? candidate : undefined;
}

export interface MailpitOptions {
  binary: string;
  /** Mailpit's database lives here. */
  dir: string;
  smtpPort: number;
  /** The web UI and the REST API. */
  httpPort: number;
  extraArgs?: string[];
}

export interface RunningMailpit {
  smtpPort: number;
  httpPort: number;
  /** The web UI; the REST API is under /api/v1. */
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function startMailpit(options: MailpitOptions): Promise<RunningMailpit> {
  const { smtpPort, httpPort } = options;
  let said = '';
  const child = spawn(
    options.binary,
    [
      '--smtp',
      `127.0.0.1:${smtpPort}`,
      '--listen',
      `127.0.0.1:${httpPort}`,
      '--database',
      join(options.dir, 'mailpit.db'),
      '--smtp-auth-allow-insecure',
      '--disable-version-check',
      '--quiet',
      ...(options.extraArgs ?? []),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.stderr!.on('data', (chunk: Buffer) => (said = (said + chunk.toString()).slice(-2_000)));
  const url = `http://127.0.0.1:${httpPort}`;
  const stop = () => stopChild(child);
  try {
    await waitUntil(
      'Mailpit',
      async () => (await fetch(`${url}/api/v1/info`)).ok,
      () => child.exitCode !== null,
    );
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}${said ? `: ${said.trim()}` : ''}`);
  }
  return { smtpPort, httpPort, url, process: child, stop };
}

/** Polls `check` every 50 ms for at most `timeoutMs`; gives up at once when `gone` says the process died. */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  gone: () => boolean = () => false,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (gone()) throw new Error(`${what} exited before it answered`);
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Stops a child politely, then for good after 5 s. */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
