// Which database the tests run on. A file that involves the database runs its tests twice,
// through onEachDatabase: on SQLite, then on PostgreSQL + Redis, where each test gets a
// database of its own on the local PostgreSQL (copied from a migrated template, which is
// fast) and a Redis key prefix of its own, so tests stay independent.
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { Test } from 'tap';
import { sqlitePath } from '../../src/shared/config.js';
import { migrationsDirs } from '../../src/shared/paths.js';
import { migratePostgres, openPostgres } from '../../src/store/postgres/open.js';

/** Whether the tests running now are on PostgreSQL + Redis (set by onEachDatabase). */
export let onPostgres = false;

/** A role allowed to create databases (README: "Running on PostgreSQL and Redis"). */
export const postgresAdminUrl =
  process.env.MAILCODE_TEST_POSTGRES_URL ?? 'postgres://mailcode:mailcode@127.0.0.1:5432/postgres';
export const redisTestUrl = process.env.MAILCODE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export function databaseUrl(name: string): string {
  const url = new URL(postgresAdminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** The template's name changes with the migrations, so a stale template is never used. */
function templateName(): string {
  const hash = createHash('sha256');
  for (const file of readdirSync(migrationsDirs.postgres)
    .filter((f) => f.endsWith('.sql'))
    .sort()) {
    hash.update(readFileSync(join(migrationsDirs.postgres, file)));
  }
  return `mailcode_template_${hash.digest('hex').slice(0, 12)}`;
}

const withAdmin = <T>(work: (admin: pg.Client) => Promise<T>) => queryRows(postgresAdminUrl, work);

async function ensureTemplate(admin: pg.Client, template: string): Promise<void> {
  // Test files run in parallel processes; the first one makes the template.
  await admin.query('select pg_advisory_lock(hashtext($1))', ['mailcode-test-template']);
  try {
    const found = await admin.query('select 1 from pg_database where datname = $1', [template]);
    if (found.rowCount) return;
    await admin.query(`create database "${template}"`);
    const db = openPostgres(databaseUrl(template), 1);
    await migratePostgres(db, databaseUrl(template));
    await db.$client.end();
  } finally {
    await admin.query('select pg_advisory_unlock(hashtext($1))', ['mailcode-test-template']);
  }
}

/**
 * Drops a test database. FORCE ends the test's own leftover connections; a server process
 * (autovacuum) on it is not ours to end, so the drop is retried for a moment, and a database
 * that still cannot go is left for the next run's cleanup rather than failing the test.
 */
async function dropDatabase(name: string): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      await withAdmin((admin) => admin.query(`drop database if exists "${name}" with (force)`));
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** A new, migrated, empty database for one test; dropped when the test ends. */
export async function freshPostgresDatabase(t: Test): Promise<string> {
  const template = templateName();
  const name = `mailcode_test_${randomBytes(6).toString('hex')}`;
  await withAdmin(async (admin) => {
    await ensureTemplate(admin, template);
    await admin.query(`create database "${name}" template "${template}"`);
  });
  t.teardown(() => dropDatabase(name));
  return databaseUrl(name);
}

/** A new database with nothing in it, not even the migrations (what an upgrade test loads a dump into). */
export async function emptyPostgresDatabase(t: Test): Promise<string> {
  const name = `mailcode_test_${randomBytes(6).toString('hex')}`;
  await withAdmin((admin) => admin.query(`create database "${name}"`));
  t.teardown(() => dropDatabase(name));
  return databaseUrl(name);
}

/** Runs SQL text (a dump) on one PostgreSQL database. */
export const runPostgresSql = (url: string, sql: string) => queryRows(url, (client) => client.query(sql));

/**
 * Everything the test's database holds, as text: the SQLite files' bytes, or on PostgreSQL
 * every row of every table (what a stolen backup would show).
 */
export async function databaseText(databaseUrl: string, dir: string): Promise<string> {
  if (!onPostgres) {
    return readdirSync(dir)
      .filter((f) => f.startsWith('mailcode.db'))
      .map((f) => readFileSync(join(dir, f)).toString('latin1'))
      .join('\n');
  }
  return queryRows(databaseUrl, async (client) => {
    const tables = await client.query<{ name: string }>(
      "select table_name as name from information_schema.tables where table_schema = 'public'",
    );
    // One query at a time: a pg connection runs queries in turn anyway, and queueing them
    // (Promise.all) is deprecated in pg 8 and an error in pg 9.
    const rows: string[] = [];
    for (const { name } of tables.rows) {
      const dump = await client.query<{ row: string }>(`select row_to_json(t)::text as row from "${name}" t`);
      rows.push(...dump.rows.map((r) => r.row));
    }
    return rows.join('\n');
  });
}

/** The rows of a query on the test's database, whichever it is (plain SQL both dialects read). */
export async function selectRows(databaseUrl: string, query: string): Promise<unknown[]> {
  if (!onPostgres) {
    const db = new Database(sqlitePath(databaseUrl), { readonly: true });
    try {
      return db.prepare(query).all();
    } finally {
      db.close();
    }
  }
  return queryRows(databaseUrl, async (client) => (await client.query(query)).rows);
}

/** Runs queries on one PostgreSQL database (the test's, or the admin one) on a connection of their own. */
async function queryRows<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * The database settings for a real `mailcode` process (the CLI, a server) in a test: a
 * SQLite file in the test's folder, or its own PostgreSQL database with Redis (which, not
 * being a file, needs a CODE_SECRET given).
 */
export async function processDatabaseEnv(t: Test, dir: string): Promise<Record<string, string>> {
  if (!onPostgres) return { DATABASE_URL: `file:${join(dir, 'mailcode.db')}` };
  return { ...(await postgresTestEnv(t)), CODE_SECRET: 'process-secret-0123456789abcdef0123456789abcdef' };
}

/** The environment that points one test's app at its own PostgreSQL database and Redis keys. */
export async function postgresTestEnv(t: Test): Promise<Record<string, string>> {
  return {
    DATABASE_URL: await freshPostgresDatabase(t),
    REDIS_URL: redisTestUrl,
    REDIS_KEY_PREFIX: `mailcode-test:${randomBytes(6).toString('hex')}:`,
  };
}

/**
 * Whether the local PostgreSQL and Redis answer. In CI they must (`.ci/run` starts them);
 * elsewhere the PostgreSQL half says plainly that it did not run.
 */
async function postgresAbsent(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: postgresAdminUrl, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.end();
  } catch (error) {
    return `PostgreSQL is not reachable at ${postgresAdminUrl} (${(error as Error).message}): run scripts/start-postgres-redis.sh`;
  }
  const { Redis } = await import('ioredis');
  const redis = new Redis(redisTestUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    return `Redis is not reachable at ${redisTestUrl} (${(error as Error).message}): run scripts/start-postgres-redis.sh`;
  } finally {
    redis.disconnect();
  }
  return undefined;
}

/**
 * Runs a file's tests on each database, one after the other, as two subtests of one tap
 * run: on SQLite, then on PostgreSQL + Redis (which must answer in CI).
 */
export async function onEachDatabase(tests: (t: Test) => void | Promise<void>): Promise<void> {
  const { default: tap } = await import('tap');
  await tap.test('on SQLite', async (t) => {
    onPostgres = false;
    await tests(t);
  });
  const absent = await postgresAbsent();
  if (absent && process.env.CI === 'true') throw new Error(absent);
  await tap.test('on PostgreSQL + Redis', { skip: absent ?? false }, async (t) => {
    onPostgres = true;
    await tests(t);
  });
}

/** Runs a file's tests on PostgreSQL + Redis only (what several processes share). */
export async function onPostgresOnly(tests: (t: Test) => void | Promise<void>): Promise<void> {
  const { default: tap } = await import('tap');
  const absent = await postgresAbsent();
  if (absent && process.env.CI === 'true') throw new Error(absent);
  await tap.test('on PostgreSQL + Redis', { skip: absent ?? false }, async (t) => {
    onPostgres = true;
    await tests(t);
  });
}
