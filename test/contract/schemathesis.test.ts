// openapi.yaml is exact in both directions, checked from outside by a contract-driven
// fuzzer (Schemathesis): for every operation it generates requests the contract allows and
// requests it refuses, sends them to the real server, and fails when an allowed request is
// answered 400/413/415, a refused one is accepted, any answer is a 5xx, or a status, header,
// content type or body is not the one the contract describes.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

import { unthrottled } from '../helpers/build.js';
import { onPostgres, processDatabaseEnv } from '../helpers/databases.js';
import { requireBuild, runCli, startMailcode } from '../helpers/processes.js';
import { onEachDatabase } from '../helpers/databases.js';

await onEachDatabase(async (t) => {
  const schemathesis =
    process.env.SCHEMATHESIS_BIN ??
    join(
      process.env.MAILCODE_SCHEMATHESIS_VENV ??
        join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'mailcode', 'schemathesis'),
      'bin',
      'schemathesis',
    );

  // The answers that say "understood, and here is the outcome": a wrong code (422), an expired
  // or canceled verification (410), a used one (409), an unknown id (404), a lock (429).
  // Only 400, 413 and 415 mean "the request itself was refused", and no request the contract
  // allows may get one.
  const config = `
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "401", "404", "409", "410", "422", "429"]
`;

  /** Runs in `cwd`: Schemathesis keeps its state (.schemathesis/) in the folder it runs in, which is the test's, not the checkout. */
  function run(
    command: string,
    args: string[],
    cwd: string,
    env: Record<string, string>,
  ): Promise<{ status: number | null; output: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
      child.on('error', reject);
      child.on('close', (status) => {
        clearTimeout(timer);
        resolve({ status, output });
      });
    });
  }

  t.test('Schemathesis finds no request the server and openapi.yaml disagree on, for every operation', async (t) => {
    if (!requireBuild(t)) return;
    if (!existsSync(schemathesis)) {
      const missing = `Schemathesis is not installed at ${schemathesis}: run scripts/install-schemathesis.sh`;
      if (process.env.CI === 'true') t.fail(missing);
      else t.plan(0, missing);
      return;
    }
    t.setTimeout(300_000);
    const dir = mkdtempSync(join(tmpdir(), 'mailcode-contract-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    // Limits out of the way: the fuzzer sends thousands of requests to a few addresses.
    const env = {
      ...(await processDatabaseEnv(t, dir)),
      MAIL_DIR: join(dir, 'mail'),
      LOG_LEVEL: 'warn',
      ...unthrottled,
    };
    const created = runCli(['clients', 'create', '--name', 'Acme Portal', '--json'], env);
    t.equal(created.status, 0, created.stderr);
    const { apiKey } = JSON.parse(created.stdout) as { apiKey: string };
    const server = await startMailcode(t, env);
    writeFileSync(join(dir, 'schemathesis.toml'), config);

    const result = await run(
      schemathesis,
      [
        '--config-file',
        join(dir, 'schemathesis.toml'),
        'run',
        `${server.url}/openapi.yaml`,
        '--url',
        server.url,
        '--header',
        `Authorization: Bearer ${apiKey}`,
        '--checks',
        'all',
        // DELETE /verifications/{id} cancels: the verification stays readable with status
        // "canceled" (openapi.yaml, Verification.status), which this check would read as a deleted resource still served.
        '--exclude-checks',
        'use_after_free',
        '--mode',
        'all',
        '--max-examples',
        '30',
        '--seed',
        '20261125',
        '--workers',
        '1',
        '--generation-database',
        'none',
        '--no-color',
      ],
      dir,
      { HOME: dir, SCHEMATHESIS_HOOKS: '' },
    );
    const summary = result.output.slice(result.output.lastIndexOf('SUMMARY'));
    t.comment(
      `${onPostgres ? 'PostgreSQL' : 'SQLite'}: ${summary
        .split('\n')
        .filter((line) => /Test cases|passed|failed|generated/.test(line))
        .join(' | ')}`,
    );
    t.equal(result.status, 0, result.status === 0 ? 'no disagreement found' : result.output.slice(-6_000));
    t.match(result.output, /Selected: (\d+)\/\1\s+Tested: \1\b/, 'every operation was tested');
  });
});
