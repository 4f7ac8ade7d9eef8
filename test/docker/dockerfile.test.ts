// No Docker engine runs here, so the Dockerfile's own steps are run as plain shell in a
// temp dir (each stage its own root): the build stage's npm ci, tsc and prune, the runtime
// stage's copies, then its CMD and HEALTHCHECK — and the server must answer /readyz.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import t from 'tap';
import { packageRoot } from '../../src/shared/paths.js';
import { freePort, startMailpit, stopProcess, waitFor } from '../helpers/processes.js';

interface Stage {
  name: string;
  root: string;
  workdir: string;
  env: Record<string, string>;
  cmd?: string[];
  healthcheck?: string;
}

/** Joins continuation lines and drops comments: one instruction a line. */
function instructions(dockerfile: string): string[] {
  return dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
}

// npm ci and a build in a fresh folder: minutes when another test file runs beside it, so
// the whole file (not only its test) gets ten.
t.setTimeout(600_000);

t.test("the Dockerfile's build and start steps produce a server that answers /readyz", async (t) => {
  t.setTimeout(600_000);
  const dir = mkdtempSync(join(tmpdir(), 'mailcode-docker-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const stages: Stage[] = [];
  let stage: Stage | undefined;
  const inStage = (s: Stage, path: string) => join(s.root, posix.isAbsolute(path) ? path : posix.join(s.workdir, path));
  const mapPaths = (s: Stage, text: string) => text.replace(/(^|[\s=:])\/app\b/g, `$1${join(s.root, 'app')}`);

  for (const line of instructions(readFileSync(join(packageRoot, 'Dockerfile'), 'utf8'))) {
    const [keyword, ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    switch (keyword!.toUpperCase()) {
      case 'FROM': {
        const name = /\bAS\s+(\S+)/i.exec(args)?.[1] ?? `stage${stages.length}`;
        stage = { name, root: join(dir, name), workdir: '/', env: { ...process.env } as Record<string, string> };
        mkdirSync(stage.root, { recursive: true });
        stages.push(stage);
        break;
      }
      case 'WORKDIR':
        stage!.workdir = args;
        mkdirSync(inStage(stage!, '.'), { recursive: true });
        break;
      case 'ENV':
        for (const [, key, value] of args.matchAll(/(\w+)=("[^"]*"|\S+)/g))
          stage!.env[key!] = mapPaths(stage!, value!.replace(/^"|"$/g, ''));
        break;
      case 'COPY': {
        const from = /--from=(\S+)/.exec(args)?.[1];
        const parts = args.replace(/--\S+/g, '').trim().split(/\s+/);
        const dest = parts.pop()!;
        const source = from ? stages.find((s) => s.name === from)! : undefined;
        for (const part of parts) {
          const src = source ? inStage(source, part) : join(packageRoot, part);
          const target = inStage(
            stage!,
            dest.endsWith('/') || parts.length > 1 || dest === './' ? posix.join(dest, posix.basename(part)) : dest,
          );
          cpSync(src, target, { recursive: true });
        }
        break;
      }
      case 'RUN': {
        // The machine has the build tools the apt-get line installs, and no user to chown to.
        const command = mapPaths(stage!, args)
          .split('&&')
          .map((c) => c.trim())
          .filter((c) => !/^(apt-get|rm -rf \/var\/lib\/apt|chown)\b/.test(c))
          .join(' && ');
        if (!command) break;
        const result = spawnSync('sh', ['-c', command], {
          cwd: inStage(stage!, '.'),
          env: stage!.env,
          encoding: 'utf8',
          timeout: 480_000,
        });
        t.equal(result.status, 0, `RUN ${args.slice(0, 60)}${result.status ? `\n${result.stderr.slice(-2000)}` : ''}`);
        if (result.status !== 0) return;
        break;
      }
      case 'CMD':
        stage!.cmd = JSON.parse(args) as string[];
        break;
      case 'HEALTHCHECK':
        stage!.healthcheck = /\bCMD\s+(.*)$/.exec(args)?.[1];
        break;
      default: // USER, EXPOSE, VOLUME, syntax: nothing to run
    }
  }

  const runtime = stages.at(-1)!;
  t.ok(runtime.cmd, 'the runtime stage has a CMD');
  t.ok(runtime.healthcheck, 'and a HEALTHCHECK');
  t.equal(runtime.env.NODE_ENV, 'production');
  const mailpit = await startMailpit(t, dir);
  const port = await freePort();
  const [program, ...cmdArgs] = runtime.cmd!;
  const server = spawn(program === 'node' ? process.execPath : program!, cmdArgs, {
    cwd: inStage(runtime, '.'),
    env: {
      ...runtime.env,
      // What `docker run -e …` would give it; loopback only, as every server in the tests.
      HOST: '127.0.0.1',
      PORT: String(port),
      SMTP_URL: `smtp://127.0.0.1:${mailpit.smtpPort}`,
      CODE_SECRET: 'docker-test-secret-0123456789abcdef0123456789',
      PUBLIC_URL: 'http://mailcode.docker.test',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  t.teardown(() => stopProcess(server));
  await waitFor('the container server', async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok, 30_000);
  const ready = await (await fetch(`http://127.0.0.1:${port}/readyz`)).json();
  t.same(ready, { status: 'ready', database: 'ok', mail: 'smtp' });
  const health = spawnSync('sh', ['-c', runtime.healthcheck!.replace(':3000', `:${port}`)], {
    cwd: inStage(runtime, '.'),
    encoding: 'utf8',
    timeout: 10_000,
  });
  t.equal(health.status, 0, 'the HEALTHCHECK command passes');
});
