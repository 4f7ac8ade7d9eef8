// Imported first by the files in test/postgres/: from here on, build() gives each test its
// own PostgreSQL database and Redis key prefix (see databases.ts). Those files then import
// an HTTP test file, so the same tests run on both databases in one tap run.
import pg from 'pg';
import t from 'tap';

process.env.MAILCODE_TEST_DATABASE = 'postgres';

/**
 * Whether the local PostgreSQL and Redis answer. In CI they must (`.ci/run` starts them);
 * elsewhere the PostgreSQL files say plainly that they did not run.
 */
async function postgresReachable(): Promise<string | undefined> {
  const { postgresAdminUrl, redisTestUrl } = await import('./databases.js');
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

/** Loads one test file on PostgreSQL + Redis: in CI they must answer; elsewhere the file says why it did not run. */
export async function runOnPostgres(load: () => Promise<unknown>): Promise<void> {
  const absent = await postgresReachable();
  if (absent && process.env.CI === 'true') throw new Error(absent);
  if (absent) t.plan(0, absent);
  else await load();
}
