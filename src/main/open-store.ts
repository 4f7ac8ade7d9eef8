// What the server and the CLI both open from the configuration: the database (and Redis),
// and the signing keys. Nothing else loads here, so a CLI command starts fast.
import { deriveKeySet } from '../shared/key-set.js';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { SigningKeysPort } from '../assertions/ports.js';
import { KeyRing } from '../assertions/keyring.js';
import { codeSecrets, isPostgres, sqlitePath, type Config } from '../shared/config.js';
import type { Store } from '../store/store.js';

/**
 * Opens (and migrates) the database named by the configuration. With PostgreSQL and a
 * Redis client, the bucketed limit counters live in Redis; SQLite keeps them in its own
 * file (one process, nothing to share, and its transactions cannot wait for a socket).
 */
export async function openStore(config: Config, redis?: Redis): Promise<Store> {
  if (isPostgres(config.DATABASE_URL)) {
    // Loaded only when used: the PostgreSQL client and drizzle's pg dialect cost the
    // embedded SQLite setup about 20 MB of memory for nothing.
    const { openPostgresStore } = await import('../store/postgres/index.js');
    return openPostgresStore(
      config.DATABASE_URL,
      config.DATABASE_POOL_SIZE,
      redis ? { client: redis, prefix: config.REDIS_KEY_PREFIX } : undefined,
    );
  }
  const { openSqliteStore } = await import('../store/sqlite/index.js');
  return openSqliteStore(sqlitePath(config.DATABASE_URL));
}

/**
 * One Redis connection per process, shared by the request limiter and the counters. While
 * Redis is away its connection errors go to the log, once per outage (ioredis retries every
 * moment, and without a listener prints each one to stderr as an unhandled error); a
 * command fails at once instead of waiting in a queue for Redis to come back (no offline
 * queue, a two-second command timeout), so a request that needs Redis answers 503 at once
 * and one that can do without goes on (docs/OPERATIONS.md: what needs Redis). Start-up
 * waits a moment for the first connection, then goes on without it.
 */
export async function connectRedis(config: Config, logger: Pick<Logger, 'error' | 'info'>): Promise<Redis | undefined> {
  if (!config.REDIS_URL) return undefined;
  const { Redis } = await import('ioredis');
  const redis = new Redis(config.REDIS_URL, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 2_000,
    commandTimeout: 2_000,
    // Reconnect soon after Redis is back: at most a second between tries.
    retryStrategy: (times) => Math.min(times * 100, 1_000),
  });
  let away = false;
  redis.on('error', (error: Error) => {
    if (away) return;
    away = true;
    logger.error({ err: error }, 'Redis is unreachable; sends answer 503 until it is back');
  });
  redis.on('ready', () => {
    if (away) logger.info('Redis is reachable again');
    away = false;
  });
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, 2_000);
    redis.once('ready', done);
  });
  return redis;
}

/** The signing keys as the server and the CLI both see them (keys encrypted under CODE_SECRET). */
export function keyRingFor(signingKeys: SigningKeysPort, config: Config, now: () => number = Date.now): KeyRing {
  return new KeyRing(
    signingKeys,
    deriveKeySet(codeSecrets(config)).signingKeys,
    config.ASSERTION_TTL_SECONDS * 1000,
    now,
  );
}
