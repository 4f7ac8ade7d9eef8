// Opening PostgreSQL: a connection pool per process, and drizzle's migrations applied under
// an advisory lock, so replicas starting together migrate once and the others wait.
import pg from 'pg';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import * as schema from '../../../db/schema.pg.js';
import { migrationsDirs } from '../../shared/paths.js';

export type PgDb = NodePgDatabase<typeof schema> & { $client: pg.Pool };

// bigint columns come back as strings by default; mailcode's bigints are millisecond
// times and ids, far below 2^53, so they are read as numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

/** Any fixed number identifies the migration lock; this one spells "mailcode". */
const migrationLock = 0x6d61696c636f6465n;

export function openPostgres(url: string, poolSize: number): PgDb {
  // A connection that does not come within 5 s fails (an outage is a 503, not a request left hanging).
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 5_000,
  });
  // A connection the server drops (a restart, a failover: `terminating connection due to
  // administrator command`) must not take the process down. The pool listens on its idle
  // connections only; one checked out — between two statements of a transaction, say —
  // would emit its error with nobody listening, an uncaught exception. So every connection
  // gets a listener of its own: the statement in flight, or the next one, fails instead
  // (an outage: 503), and the pool drops the connection.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  return drizzle(pool, { schema }) as PgDb;
}

/** The lock is held on a connection of its own, so a pool of one still migrates. */
export async function migratePostgres(db: PgDb, url: string): Promise<void> {
  const lockHolder = new pg.Client({ connectionString: url });
  lockHolder.on('error', () => {});
  await lockHolder.connect();
  try {
    await lockHolder.query('select pg_advisory_lock($1)', [migrationLock.toString()]);
    await migrate(db, { migrationsFolder: migrationsDirs.postgres });
  } finally {
    await lockHolder.end();
  }
}
