// Makes the data an upgrade test opens: a release's own `mailcode` (a built checkout of it)
// runs on a new SQLite file and a new PostgreSQL database, and through its CLI and HTTP API
// only — the contract every release keeps — makes a client, enrols an authenticator app,
// and sends a code whose mail stays queued (its SMTP relay is a closed port). Each database
// is then dumped as SQL text into test/upgrade/<release>/, with fixture.json saying what
// the test needs to know (the secret, the API key, the authenticator's secret, when).
//
//   node scripts/upgrade-fixture.mjs <built checkout of the release> <release name>
//
// Run it once per schema change, against the release before it (see docs/DEVELOPING.md).
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import * as OTPAuth from 'otpauth';
import pg from 'pg';

const [releaseDir, releaseName] = process.argv.slice(2);
if (!releaseDir || !releaseName) {
  console.error('usage: node scripts/upgrade-fixture.mjs <built checkout of the release> <release name>');
  process.exit(2);
}
const release = resolve(releaseDir);
const bin = join(release, JSON.parse(readFileSync(join(release, 'package.json'), 'utf8')).bin.mailcode);
const adminUrl = process.env.MAILCODE_TEST_POSTGRES_URL ?? 'postgres://mailcode:mailcode@127.0.0.1:5432/postgres';
const out = resolve('test/upgrade', releaseName);
mkdirSync(out, { recursive: true });
const work = mkdtempSync(join(tmpdir(), 'mailcode-upgrade-fixture-'));

const secret = 'upgrade-fixture-secret-0123456789abcdef0123456789';
const publicUrl = 'http://mailcode.test';
const email = 'pat@acme.example';
const userRef = 'user-42';

const freePort = () =>
  new Promise((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });

async function makeData(databaseUrl) {
  const env = {
    ...process.env,
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    CODE_SECRET: secret,
    PUBLIC_URL: publicUrl,
    MAIL_DIR: join(work, 'mail'),
    // Nothing listens there: the code's mail stays queued, as after an SMTP outage.
    SMTP_URL: 'smtp://127.0.0.1:9',
    LOG_LEVEL: 'warn',
  };
  const created = JSON.parse(
    execFileSync(
      process.execPath,
      [bin, 'clients', 'create', '--name', 'Acme Portal', '--domain', 'acme.example', '--locale', 'de', '--json'],
      {
        env,
        encoding: 'utf8',
      },
    ),
  );
  const port = await freePort();
  const server = spawn(process.execPath, [bin, 'serve'], {
    env: { ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: 'inherit',
  });
  const call = async (method, path, body) => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      headers: { authorization: `Bearer ${created.apiKey}`, 'content-type': 'application/json' },
      body: body && JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return JSON.parse(text);
  };
  try {
    for (let i = 0; ; i++) {
      const ready = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) break;
      if (i > 100) throw new Error('the release did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    const enrolment = await call('POST', '/totp/enrollments', { userRef, accountName: email });
    const totpSecret = new URL(enrolment.otpauthUri).searchParams.get('secret');
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(totpSecret) });
    await call('POST', `/totp/enrollments/${enrolment.enrollmentId}/confirm`, { code: totp.generate() });
    const madeAt = Date.now();
    const sent = await call('POST', '/send-code', { email });
    // The worker tries the closed relay once; the mail waits for its next try.
    await new Promise((r) => setTimeout(r, 1500));
    return { apiKey: created.apiKey, clientId: created.clientId, totpSecret, madeAt, sent };
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
}

/** A SQLite database as SQL text: its schema, then every row (blobs in hex). */
function sqliteDump(file) {
  const db = new Database(file, { readonly: true });
  // Rows go in table by table: the foreign keys are checked when the copy is whole.
  const lines = ['PRAGMA foreign_keys=OFF;', 'BEGIN;'];
  const objects = db
    .prepare(
      "select type, name, sql from sqlite_master where sql is not null and name not like 'sqlite_%' order by rowid",
    )
    .all();
  const literal = (v) =>
    v === null
      ? 'NULL'
      : Buffer.isBuffer(v)
        ? `X'${v.toString('hex')}'`
        : typeof v === 'string'
          ? `'${v.replaceAll("'", "''")}'`
          : String(v);
  const tables = objects.filter((o) => o.type === 'table');
  for (const o of tables) lines.push(`${o.sql};`);
  for (const { name } of tables) {
    for (const row of db.prepare(`select * from "${name}"`).raw().all()) {
      lines.push(`INSERT INTO "${name}" VALUES(${row.map(literal).join(',')});`);
    }
  }
  // Indexes and triggers after the rows: a trigger must not run again for rows it made.
  for (const o of objects.filter((o) => o.type !== 'table')) lines.push(`${o.sql};`);
  db.close();
  lines.push('COMMIT;', 'PRAGMA foreign_keys=ON;');
  return `${lines.join('\n')}\n`;
}

function pgDumpBinary() {
  for (const dir of execFileSync('bash', ['-c', 'ls -d /usr/lib/postgresql/*/bin 2>/dev/null || true'], {
    encoding: 'utf8',
  })
    .split('\n')
    .filter(Boolean)
    .reverse()) {
    return join(dir, 'pg_dump');
  }
  return 'pg_dump';
}

try {
  const sqliteFile = join(work, 'mailcode.db');
  const sqlite = await makeData(`file:${sqliteFile}`);
  writeFileSync(join(out, 'sqlite.sql'), sqliteDump(sqliteFile));

  const name = `mailcode_fixture_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  try {
    const postgres = await makeData(url.toString());
    const dump = execFileSync(
      pgDumpBinary(),
      ['--inserts', '--no-owner', '--no-privileges', '--dbname', url.toString()],
      { encoding: 'utf8' },
    );
    // psql's meta-commands (\restrict) are not SQL: the test runs the dump through a driver.
    writeFileSync(
      join(out, 'postgres.sql'),
      dump
        .split('\n')
        .filter((l) => !l.startsWith('\\'))
        .join('\n'),
    );
    const about = { release: releaseName, secret, publicUrl, email, userRef, sqlite, postgres };
    writeFileSync(join(out, 'fixture.json'), `${JSON.stringify(about, null, 2)}\n`);
  } finally {
    await admin.query(`drop database if exists "${name}" with (force)`);
    await admin.end();
  }
  console.log(`wrote ${out}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
