// `mailcode clients passkeys` as an operator runs it: a client's relying party set, read
// back, changed one setting at a time; a value that cannot work is one line naming it, and
// nothing changes. The store behind it is held to one contract on both databases
// (test/store/passkeys-contract.test.ts): SQLite here.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mailcode } from '../helpers/cli-in-process.js';
import { onEachDatabase, onPostgres, processDatabaseEnv } from '../helpers/databases.js';

await onEachDatabase(async (t) => {
  t.test(
    'set, read back, changed one thing at a time, refused naming the value',
    { skip: onPostgres && 'the passkeys store runs on PostgreSQL in its contract' },
    async (t) => {
      const dir = mkdtempSync(join(tmpdir(), 'mailcode-cli-passkeys-'));
      t.teardown(() => rmSync(dir, { recursive: true, force: true }));
      const env = { ...(await processDatabaseEnv(t, dir)), MAIL_DIR: join(dir, 'mail'), LOG_LEVEL: 'warn' };
      const { clientId } = JSON.parse(
        (await mailcode(['clients', 'create', '--name', 'Acme Portal', '--domain', 'acme.example', '--json'], env))
          .stdout,
      );
      const shown = await mailcode(['clients', 'passkeys', clientId], env);
      t.equal(shown.status, 0);
      t.match(shown.stdout, /not set up/);

      const set = await mailcode(
        [
          'clients',
          'passkeys',
          clientId,
          '--rp-id',
          'Acme.Example',
          '--origin',
          'https://portal.acme.example',
          '--origin',
          'https://acme-portal.example',
          '--alone',
        ],
        env,
      );
      t.equal(set.status, 0, set.stderr);
      t.match(set.stdout, /relying party acme\.example/);
      t.match(set.stdout, /origin https:\/\/acme-portal\.example \(related: list it at \/\.well-known\/webauthn\)/);
      t.match(set.stdout, /alone signs in: yes/);

      const required = await mailcode(['clients', 'passkeys', clientId, '--required'], env);
      t.match(required.stdout, /required \(no trusted browser stands in\): yes/);
      t.match(required.stdout, /alone signs in: yes/, 'the rest kept');

      for (const [args, said] of [
        [['--rp-id', '10.0.0.1'], /IP address/],
        [['--origin', 'https://portal.acme.example/login'], /is not an origin/],
        [['--origin', 'http://portal.acme.example'], /is not an origin/],
      ] as const) {
        const refused = await mailcode(['clients', 'passkeys', clientId, ...args], env);
        t.not(refused.status, 0, args.join(' '));
        t.match(refused.stderr, said);
        t.equal(refused.stderr.trim().split('\n').length, 1, 'one line');
      }
      t.match(
        (await mailcode(['clients', 'passkeys', clientId], env)).stdout,
        /origin https:\/\/portal\.acme\.example\n/,
      );
      t.equal((await mailcode(['clients', 'passkeys', 'cl_nobody', '--alone'], env)).status, 1, 'an unknown client');
    },
  );
});
