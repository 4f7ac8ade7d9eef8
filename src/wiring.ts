// What the server and the CLI both open from the configuration: the database (and Redis),
// and the signing keys. No web framework here, so a CLI command loads none.
import type { Redis } from 'ioredis';
import { KeyRing } from './assertions/keyring.js';
import { codeSecrets, isPostgres, sqlitePath, type Config } from './config.js';
import { deriveKeys } from './secrets.js';
import { migrateSqlite, openSqlite } from './store/sqlite.js';
import { SqliteStore } from './store/sqlite-store.js';
import type { Store } from './store/types.js';

/**
 * Opens (and migrates) the database named by the configuration. With PostgreSQL and a
 * Redis client, the bucketed limit counters live in Redis; SQLite keeps them in its own
 * file (one process, nothing to share, and its transactions cannot wait for a socket).
 */
export async function openStore(config: Config, redis?: Redis): Promise<Store> {
  if (isPostgres(config.DATABASE_URL)) {
    // Loaded only when used: the PostgreSQL and Redis clients and drizzle's pg dialect
    // cost the embedded SQLite setup about 20 MB of memory for nothing.
    const [{ migratePostgres, openPostgres }, { PostgresStore }, { redisCounters }] = await Promise.all([
      import('./store/postgres.js'),
      import('./store/postgres-store.js'),
      import('./store/redis-counters.js'),
    ]);
    const db = openPostgres(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
    await migratePostgres(db, config.DATABASE_URL);
    return new PostgresStore(db, redis ? redisCounters(redis, config.REDIS_KEY_PREFIX) : undefined);
  }
  const db = openSqlite(sqlitePath(config.DATABASE_URL));
  migrateSqlite(db);
  return new SqliteStore(db);
}

/** One Redis connection per process, shared by the request limiter and the counters. */
export async function connectRedis(config: Config): Promise<Redis | undefined> {
  if (!config.REDIS_URL) return undefined;
  const { Redis } = await import('ioredis');
  // A command fails after one retry while Redis is away, instead of waiting for it forever.
  return new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1 });
}

/** The signing keys as the server and the CLI both see them (keys encrypted under CODE_SECRET). */
export function keyRingFor(store: Store, config: Config, now: () => number = Date.now): KeyRing {
  return new KeyRing(store, deriveKeys(codeSecrets(config), 'signing-keys'), config.ASSERTION_TTL_SECONDS * 1000, now);
}

