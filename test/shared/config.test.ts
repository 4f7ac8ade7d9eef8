import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ConfigError, loadConfig } from '../../src/shared/config.js';

const dir = mkdtempSync(join(tmpdir(), 'mailcode-config-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const base = { DATABASE_URL: `file:${join(dir, 'db.sqlite')}` };

t.test('defaults are the documented ones (README, Configuration)', async (t) => {
  const config = loadConfig(base);
  t.match(config, {
    PORT: 3000,
    HOST: '127.0.0.1',
    PUBLIC_URL: 'http://localhost:3000',
    MAIL_DIR: './data/mail',
    CODE_TTL_SECONDS: 600,
    MAX_ATTEMPTS: 5,
    RESEND_COOLDOWN_SECONDS: 30,
    SENDS_PER_EMAIL_HOUR: 5,
    SENDS_PER_EMAIL_DAY: 20,
    SENDS_PER_IP_HOUR: 20,
    CLIENT_REQUESTS_PER_SECOND: 50,
    ASSERTION_TTL_SECONDS: 300,
    RETENTION_DAYS: 7,
  });
  t.equal(config.SMTP_URL, undefined);
});

t.test('outside production a CODE_SECRET is generated once and kept beside the database', async (t) => {
  const first = loadConfig(base).CODE_SECRET;
  t.match(first, /^[0-9a-f]{64}$/);
  t.equal(loadConfig(base).CODE_SECRET, first);
});

t.test('on PostgreSQL a missing CODE_SECRET is named as missing, with why it must be given', async (t) => {
  const error = t.throws(() =>
    loadConfig({ ...base, DATABASE_URL: 'postgres://mailcode@127.0.0.1/mailcode', CODE_SECRET: undefined }),
  ) as Error;
  t.type(error, ConfigError);
  t.match(
    error.message,
    /^CODE_SECRET: missing\. With a PostgreSQL DATABASE_URL it must be given .*every mailcode process on the database shares it/,
  );
  t.notMatch(error.message, /hidden|\n/);
});

t.test('a bad value stops with one line naming the variable and what it expects', async (t) => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ PORT: 'eighty' }, /^PORT: expected a TCP port number/],
    [{ PORT: '70000' }, /^PORT: expected/],
    [{ PUBLIC_URL: 'localhost' }, /^PUBLIC_URL: expected an http\(s\) URL/],
    [{ SMTP_URL: 'http://x' }, /^SMTP_URL: expected an smtp:\/\//],
    [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL: expected one of/],
    [{ CODE_SECRET: 'short' }, /^CODE_SECRET: expected a secret of at least 32 characters.*, got \(hidden\)$/],
    [{ MAX_ATTEMPTS: '0' }, /^MAX_ATTEMPTS: expected/],
    [{ DATABASE_URL: 'mysql://x' }, /^DATABASE_URL: expected/],
    [{ SENDS_PER_EMAIL_HOUR: '30', SENDS_PER_EMAIL_DAY: '20' }, /^SENDS_PER_EMAIL_DAY/],
  ];
  for (const [env, message] of cases) {
    const error = t.throws(() => loadConfig({ ...base, ...env })) as Error;
    t.type(error, ConfigError);
    t.match(error.message, message, JSON.stringify(env));
    t.notMatch(error.message, /\n/, 'one line');
  }
});

t.test('NODE_ENV=production refuses to start without SMTP_URL, CODE_SECRET and PUBLIC_URL', async (t) => {
  t.throws(() => loadConfig({ ...base, NODE_ENV: 'production' }), /SMTP_URL: must be set when NODE_ENV=production/);
  t.throws(
    () =>
      loadConfig({
        ...base,
        NODE_ENV: 'production',
        SMTP_URL: 'smtp://127.0.0.1:25',
        PUBLIC_URL: 'https://mailcode.acme.example',
      }),
    /CODE_SECRET: must be set/,
  );
  const ok = loadConfig({
    ...base,
    NODE_ENV: 'production',
    SMTP_URL: 'smtp://127.0.0.1:25',
    PUBLIC_URL: 'https://mailcode.acme.example',
    CODE_SECRET: 'x'.repeat(64),
  });
  t.equal(ok.NODE_ENV, 'production');
});
