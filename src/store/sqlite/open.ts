// Opening the SQLite database: pragmas that make it safe for a concurrent web service,
// and drizzle's migrations.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import * as schema from '../../../db/schema.js';
import { migrationsDirs } from '../../shared/paths.js';

export type SqliteDb = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

export function openSqlite(path: string): SqliteDb {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new Database(path);
  // WAL lets readers run beside the writer; NORMAL sync in WAL mode keeps every committed
  // transaction across a process crash (only an OS crash may lose the last ones).
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  // Other processes (the CLI beside a running server) wait instead of failing.
  sqlite.pragma('busy_timeout = 5000');
  return drizzle(sqlite, { schema }) as SqliteDb;
}

export function migrateSqlite(db: SqliteDb): void {
  migrate(db, { migrationsFolder: migrationsDirs.sqlite });
}
