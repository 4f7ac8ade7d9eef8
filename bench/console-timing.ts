// `npm run bench:console-timing`: does the console's first sign-in step tell an operator's
// address from an unknown one by its time? A real server on a temp SQLite file (mail as
// files), 40 operators made with the CLI, then the first sign-in post of each operator's
// address and of 40 unknown ones, interleaved, over HTTP; the medians and quartiles of
// each, as the outside probe measured them. A measurement, printed, never asserted.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../src/shared/paths.js';
import { benchServerEnv, serverNodeFlags, waitHealthy } from './serving.js';

const cli = join(packageRoot, 'dist/src/cli/main.js');
const dir = mkdtempSync(join(tmpdir(), 'mailcode-console-timing-'));
const port = await new Promise<number>((resolve) => {
  const probe = createServer().listen(0, '127.0.0.1', () => {
    const { port: free } = probe.address() as AddressInfo;
    probe.close(() => resolve(free));
  });
});
const env = {
  ...benchServerEnv({ DATABASE_URL: `file:${join(dir, 'mailcode.db')}` }),
  NODE_ENV: 'test',
  SMTP_URL: '',
  MAIL_DIR: join(dir, 'mail'),
  CONSOLE_SIGN_INS_PER_MINUTE: '100000',
  PORT: String(port),
  HOST: '127.0.0.1',
};
const count = 40;
for (let i = 0; i < count; i++)
  spawnSync(process.execPath, [cli, 'operators', 'create', '--email', `op${i}@ops.example`, '--role', 'support'], {
    env,
    encoding: 'utf8',
  });
const server = spawn(process.execPath, [...serverNodeFlags(), cli, 'serve'], { env, stdio: 'ignore' });
const url = `http://127.0.0.1:${port}`;
try {
  await waitHealthy(url);
  const post = async (email: string) => {
    const started = performance.now();
    const response = await fetch(`${url}/console/sign-in`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email }).toString(),
    });
    await response.arrayBuffer();
    return performance.now() - started;
  };
  // Warm up, then interleave.
  for (let i = 0; i < 20; i++) await post(`warm${i}@ops.example`);
  const operators: number[] = [];
  const strangers: number[] = [];
  // Each pair in turn order, so neither kind is always the first after a pause.
  for (let i = 0; i < count; i++) {
    if (i % 2 === 0) {
      operators.push(await post(`op${i}@ops.example`));
      strangers.push(await post(`nobody${i}@ops.example`));
    } else {
      strangers.push(await post(`nobody${i}@ops.example`));
      operators.push(await post(`op${i}@ops.example`));
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const quartiles = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * (s.length - 1)))]!.toFixed(2);
    return `median ${at(0.5)} ms (quartiles ${at(0.25)}–${at(0.75)})`;
  };
  console.log(`first sign-in post, ${count} each, interleaved, over HTTP:`);
  console.log(`  an operator's address: ${quartiles(operators)}`);
  console.log(`  an unknown address:    ${quartiles(strangers)}`);
} finally {
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  rmSync(dir, { recursive: true, force: true });
}
