// The store a port's contract test runs against: the database under test (SQLite, or a
// PostgreSQL database of its own with Redis), migrated, with these clients, closed and
// removed at the test's end.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { Test } from 'tap';
import { connectRedis, openStore } from '../../src/main/open-store.js';
import type { Store } from '../../src/store/store.js';
import { testConfig } from './build.js';
import { onPostgres, postgresTestEnv } from './databases.js';

export async function openContractStore(
  t: Test,
  options: { clients?: string[]; createdAt?: number } = {},
): Promise<Store> {
  const dir = mkdtempSync(join(tmpdir(), 'mailcode-contract-'));
  const config = testConfig(dir, onPostgres ? await postgresTestEnv(t) : {});
  const redis = await connectRedis(config, pino({ level: 'silent' }));
  const store = await openStore(config, redis);
  t.teardown(async () => {
    await store.close();
    await redis?.quit();
    rmSync(dir, { recursive: true, force: true });
  });
  for (const id of options.clients ?? [])
    await store.clients.create(
      { id, name: id, apiKeyHash: `hash-${id}`, allowedDomains: [], createdAt: options.createdAt ?? 0 },
      [],
    );
  return store;
}
