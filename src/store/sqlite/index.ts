// The SQLite store: one file, one connection, every port over it. Sends, attempts and
// delivery updates share one group commit (see group-commit.ts).
import { SqlitePeople } from './people.js';
import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { sql } from 'drizzle-orm';
import type { Store } from '../store.js';
import { SqliteWebhooks } from './webhooks.js';
import { SqliteSuppressions } from './suppressions.js';
import { SqliteEvents } from './events.js';
import { SqliteClients } from './clients.js';
import { SqliteDkimKeys } from './dkim-keys.js';
import { SqliteClientRelays } from './client-relays.js';
import { SqliteOperators } from './operators.js';
import { SqliteConsoleSessions } from './console-sessions.js';
import { GroupCommit } from './group-commit.js';
import { SqliteMaintenance } from './maintenance.js';
import { migrateSqlite, openSqlite } from './open.js';
import { SqliteOutbox } from './outbox.js';
import { SqliteSigningKeys } from './signing-keys.js';
import { prepareStatements } from './statements.js';
import { SqliteTotpFactors } from './totp-factors.js';
import { SqliteRecoveries } from './recoveries.js';
import { SqliteTrustedBrowsers } from './trusted-browsers.js';
import { SqlitePasskeys } from './passkeys.js';
import { SqliteVerifications } from './verifications.js';

/** Below this, a send's write (its rows, the WAL's growth) may not fit: not ready. */
const minimumFreeBytes = 1024 * 1024;

const freeBytes = (dir: string) => {
  const { bavail, bsize } = statfsSync(dir);
  return bavail * bsize;
};

/** Opens (creating and migrating) the database file; ':memory:' for a throwaway one. */
export function openSqliteStore(path: string): Store {
  const db = openSqlite(path);
  migrateSqlite(db);
  const statements = prepareStatements(db);
  const group = new GroupCommit(db.$client);
  return {
    clients: new SqliteClients(db, statements),
    dkimKeys: new SqliteDkimKeys(db, statements),
    clientRelays: new SqliteClientRelays(db, statements),
    operators: new SqliteOperators(db, statements),
    consoleSessions: new SqliteConsoleSessions(db),
    verifications: new SqliteVerifications(db, statements, group),
    outbox: new SqliteOutbox(db, statements, group),
    signingKeys: new SqliteSigningKeys(db),
    totpFactors: new SqliteTotpFactors(db, statements),
    events: new SqliteEvents(db, statements),
    suppressions: new SqliteSuppressions(db, statements, group),
    webhooks: new SqliteWebhooks(db, statements, group),
    people: new SqlitePeople(db),
    recoveries: new SqliteRecoveries(db, statements),
    trustedBrowsers: new SqliteTrustedBrowsers(db, statements),
    passkeys: new SqlitePasskeys(db, statements),
    maintenance: new SqliteMaintenance(db),
    // Ready when the file answers and its disk can take a send: reads go on on a full disk,
    // but every send (a write) answers 503 until space is freed.
    ping: async () =>
      db.get<{ ok: number }>(sql`select 1 as ok`)?.ok === 1 &&
      (path === ':memory:' || freeBytes(dirname(path)) >= minimumFreeBytes),
    close: async () => void db.$client.close(),
  };
}
