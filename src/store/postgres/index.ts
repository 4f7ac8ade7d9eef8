// The PostgreSQL store, for several mailcode processes on one database. Isolation is READ
// COMMITTED (PostgreSQL's default) throughout, made safe by the statements themselves (see
// verifications.ts and outbox.ts). With Redis, the bucketed limit counters live there.
import { PostgresPeople } from './people.js';
import { sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import type { Store } from '../store.js';
import { PostgresWebhooks } from './webhooks.js';
import { PostgresSuppressions } from './suppressions.js';
import { PostgresEvents } from './events.js';
import { PostgresClients } from './clients.js';
import { PostgresDkimKeys } from './dkim-keys.js';
import { PostgresClientRelays } from './client-relays.js';
import { PostgresOperators } from './operators.js';
import { PostgresConsoleSessions } from './console-sessions.js';
import { PostgresMaintenance } from './maintenance.js';
import { migratePostgres, openPostgres } from './open.js';
import { PostgresOutbox } from './outbox.js';
import { redisCounters } from './redis-counters.js';
import { PostgresSigningKeys } from './signing-keys.js';
import { PostgresTotpFactors } from './totp-factors.js';
import { PostgresRecoveries } from './recoveries.js';
import { PostgresTrustedBrowsers } from './trusted-browsers.js';
import { PostgresPasskeys } from './passkeys.js';
import { PostgresVerifications } from './verifications.js';

/** Opens a pool, migrates (once, under a lock, however many replicas start together). */
export async function openPostgresStore(
  url: string,
  poolSize: number,
  redis?: { client: Redis; prefix: string },
): Promise<Store> {
  const db = openPostgres(url, poolSize);
  await migratePostgres(db, url);
  return {
    clients: new PostgresClients(db),
    dkimKeys: new PostgresDkimKeys(db),
    clientRelays: new PostgresClientRelays(db),
    operators: new PostgresOperators(db),
    consoleSessions: new PostgresConsoleSessions(db),
    verifications: new PostgresVerifications(db, redis ? redisCounters(redis.client, redis.prefix) : undefined),
    outbox: new PostgresOutbox(db),
    signingKeys: new PostgresSigningKeys(db),
    totpFactors: new PostgresTotpFactors(db),
    events: new PostgresEvents(db),
    suppressions: new PostgresSuppressions(db),
    webhooks: new PostgresWebhooks(db),
    people: new PostgresPeople(db),
    recoveries: new PostgresRecoveries(db),
    trustedBrowsers: new PostgresTrustedBrowsers(db),
    passkeys: new PostgresPasskeys(db),
    maintenance: new PostgresMaintenance(db),
    ping: async () => (await db.execute<{ ok: number }>(sql`select 1 as ok`)).rows[0]?.ok === 1,
    close: () => db.$client.end(),
  };
}
