// An upgrade loses nothing: each folder here holds a database a released mailcode made
// (scripts/upgrade-fixture.mjs: a client, an enrolled authenticator app, a code whose mail
// is still queued, the events of all that), as SQL text for both databases. This code opens
// it as an operator would after installing the new release: the migrations apply, the
// queued mail goes out, the old code verifies, the authenticator still signs in, the trail
// is all there. A new folder comes with every schema change (docs/DEVELOPING.md).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import * as OTPAuth from 'otpauth';
import t, { type Test } from 'tap';
import { migrationsDirs } from '../../src/shared/paths.js';
import { buildApp } from '../../src/main/app.js';
import { CapturingTransport, LogCapture, TestClock, testConfig } from '../helpers/build.js';
import {
  emptyPostgresDatabase,
  onEachDatabase,
  onPostgres,
  redisTestUrl,
  runPostgresSql,
} from '../helpers/databases.js';

const here = dirname(fileURLToPath(import.meta.url));
const releases = readdirSync(here, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

interface Made {
  apiKey: string;
  totpSecret: string;
  madeAt: number;
  sent: { verificationId: string };
}
interface Fixture {
  secret: string;
  publicUrl: string;
  email: string;
  userRef: string;
  sqlite: Made;
  postgres: Made;
}

/** The release's database, loaded as it was left, and the settings the new code opens it with. */
async function releasedDatabase(t: Test, release: string, dir: string) {
  const fixture = JSON.parse(readFileSync(join(here, release, 'fixture.json'), 'utf8')) as Fixture;
  const env: Record<string, string> = { CODE_SECRET: fixture.secret, PUBLIC_URL: fixture.publicUrl };
  if (onPostgres) {
    const url = await emptyPostgresDatabase(t);
    await runPostgresSql(url, readFileSync(join(here, release, 'postgres.sql'), 'utf8'));
    Object.assign(env, {
      DATABASE_URL: url,
      REDIS_URL: redisTestUrl,
      REDIS_KEY_PREFIX: `mailcode-upgrade:${release}:`,
    });
  } else {
    const db = new Database(join(dir, 'mailcode.db'));
    db.exec(readFileSync(join(here, release, 'sqlite.sql'), 'utf8'));
    db.close();
  }
  return { fixture, made: onPostgres ? fixture.postgres : fixture.sqlite, env };
}

const migrationsIn = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.sql')).length;

// Every schema change comes with the data of the release before it: the newest fixture is
// one migration behind the code (a release that changes no schema keeps the last fixture).
t.test('the newest fixture was made by the release just before the newest migration', async (t) => {
  const newest = releases.at(-1)!;
  const applied = (file: string, pattern: RegExp) =>
    readFileSync(join(here, newest, file), 'utf8')
      .split('\n')
      .filter((line) => pattern.test(line)).length;
  t.equal(
    applied('sqlite.sql', /^INSERT INTO "__drizzle_migrations"/),
    migrationsIn(migrationsDirs.sqlite) - 1,
    `SQLite: make test/upgrade/<release>/ from the release before the newest migration (docs/DEVELOPING.md)`,
  );
  t.equal(
    applied('postgres.sql', /^INSERT INTO drizzle\.__drizzle_migrations/),
    migrationsIn(migrationsDirs.postgres) - 1,
    'PostgreSQL: the same',
  );
});

void onEachDatabase(async (t) => {
  for (const release of releases) {
    t.test(`a database made by ${release} is opened by this release with nothing lost`, async (t) => {
      const dir = mkdtempSync(join(tmpdir(), 'mailcode-upgrade-'));
      t.teardown(() => rmSync(dir, { recursive: true, force: true }));
      const { fixture, made, env } = await releasedDatabase(t, release, dir);
      // A minute after the release queued the mail: the code still lives, its retry is due.
      const clock = new TestClock(made.madeAt + 60_000);
      const mail = new CapturingTransport();
      const app = await buildApp(testConfig(dir, env), {
        now: clock.now,
        transport: mail,
        logStream: new LogCapture(),
        startWorker: false,
      });
      t.teardown(() => app.close());
      await app.ready();
      const auth = { authorization: `Bearer ${made.apiKey}` };

      await app.mailcode.worker.runOnce();
      t.equal(mail.sent.length, 1, 'the mail the release left queued goes out');
      const text = String(mail.sent[0]?.text ?? '');
      const code = /\b(\d{6})\b/.exec(text)?.[1];
      t.ok(code, 'with its code');
      t.match(String(mail.sent[0]?.subject), /Code|code/, 'in the words of the mail');

      const verified = await app.inject({
        method: 'POST',
        url: '/verify-code',
        headers: auth,
        payload: { email: fixture.email, code },
      });
      t.equal(verified.statusCode, 200, `the old code verifies: ${verified.body}`);
      t.ok(verified.json().assertion, 'with an assertion');

      const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(made.totpSecret) });
      const signedIn = await app.inject({
        method: 'POST',
        url: '/totp/verify',
        headers: auth,
        payload: { userRef: fixture.userRef, code: totp.generate({ timestamp: clock.now() }) },
      });
      t.equal(signedIn.statusCode, 200, `the authenticator app still signs in: ${signedIn.body}`);

      const events = await app.inject({ method: 'GET', url: '/events?limit=100', headers: auth });
      t.equal(events.statusCode, 200);
      const types = (events.json().events as { type: string; verificationId?: string }[]).map((e) => e.type);
      for (const kept of ['authenticator.enabled', 'verification.created', 'mail.deferred']) {
        t.ok(types.includes(kept), `the release's ${kept} event is kept`);
      }
      for (const added of ['mail.sent', 'verification.verified', 'authenticator.used']) {
        t.ok(types.includes(added), `this release's ${added} follows them`);
      }
    });
  }
});
