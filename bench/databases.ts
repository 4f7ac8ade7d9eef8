// The bench's database, SQLite (the default) or PostgreSQL (`--db postgres`): where it is,
// how to seed it fast, and how many mails are still queued.
import { randomBytes, randomInt } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { deriveKey } from '../src/shared/secrets.js';
import { hashCode } from '../src/verification/codes.js';
import { seedVerifications, type Seeded, type SeedOptions } from './seed.js';

/** What the bench needs of its database, whichever it is. */
export interface BenchDatabase {
  env: Record<string, string>;
  /** Server processes to run on it. */
  processes: number;
  seed(options: SeedOptions): Promise<Seeded>;
  queuedMail(): Promise<number>;
  drop(): Promise<void>;
}

export function sqliteBenchDatabase(dir: string): BenchDatabase {
  const dbPath = join(dir, 'mailcode.db');
  return {
    env: { DATABASE_URL: `file:${dbPath}` },
    processes: 1,
    async seed(o: SeedOptions) {
      return seedVerifications(dbPath, o);
    },
    async queuedMail() {
      const db = new Database(dbPath, { readonly: true, fileMustExist: true });
      try {
        return (db.prepare("select count(*) as n from outbox where status = 'queued'").get() as { n: number }).n;
      } finally {
        db.close();
      }
    },
    async drop() {},
  };
}

/**
 * A database of its own on the local PostgreSQL (scripts/start-postgres-redis.sh), and a
 * Redis prefix. `dropStale`: first drop what earlier runs left (not when a second database
 * of the same run is made).
 */
export async function postgresBenchDatabase({ dropStale = true } = {}): Promise<BenchDatabase> {
  const adminUrl = process.env.MAILCODE_BENCH_POSTGRES_URL ?? 'postgres://mailcode:mailcode@127.0.0.1:5432/postgres';
  const name = `mailcode_bench_${randomBytes(4).toString('hex')}`;
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      return (await client.query(sql)).rows;
    } finally {
      await client.end();
    }
  };
  // A previous run's database that autovacuum kept busy at its end goes now.
  for (const old of dropStale
    ? await admin("select datname from pg_database where datname like 'mailcode_bench_%'")
    : []) {
    await admin(`drop database if exists "${old.datname}" with (force)`).catch(() => {});
  }
  await admin(`create database "${name}"`);
  const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
  return {
    env: {
      DATABASE_URL: url.toString(),
      REDIS_URL: process.env.MAILCODE_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: `${name}:`,
      DATABASE_POOL_SIZE: '20',
    },
    // Two replicas, as a scaled-out deployment runs at the least.
    processes: 2,
    /**
     * Pools whose codes are kept are hashed here like the service hashes them and inserted
     * through unnest in batches; bulk rows (growth, purge) are made by generate_series.
     */
    async seed(o: SeedOptions) {
      const key = deriveKey(o.secret.split(',')[0]!, 'codes');
      const ids: string[] = [];
      const codes: string[] = [];
      if (!o.keepCodes) {
        await pool.query(
          `with v as (
             insert into verifications (id, client_id, email, purpose, locale, status, attempts, max_attempts, send_count, created_at, last_sent_at, expires_at)
             select 'vf_' || $1 || i, $2, $1 || i || '@seed.example', 'login', 'en', 'pending', 0, 5, 1, $3, $3, $4 from generate_series(1, $5) i
             returning id)
           insert into verification_codes (verification_id, code_hash, created_at) select id, encode(sha256(id::bytea), 'base64'), $3 from v`,
          [o.prefix, o.clientId, o.now, o.expiresAt, o.count],
        );
        return { ids, codes };
      }
      for (let from = 0; from < o.count; from += 10_000) {
        const batchIds: string[] = [];
        const hashes: string[] = [];
        for (let i = from; i < Math.min(o.count, from + 10_000); i++) {
          const id = `vf_${o.prefix}${i.toString(36).padStart(8, '0')}`;
          const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
          batchIds.push(id);
          hashes.push(hashCode(key, id, code));
          ids.push(id);
          codes.push(code);
        }
        await pool.query(
          `with v as (
             insert into verifications (id, client_id, email, purpose, locale, status, attempts, max_attempts, send_count, created_at, last_sent_at, expires_at)
             select id, $2, id || '@seed.example', 'login', 'en', 'pending', 0, $3, 1, $4, $4, $5 from unnest($1::text[]) id
             returning id)
           insert into verification_codes (verification_id, code_hash, created_at) select v.id, h.hash, $4 from v join unnest($1::text[], $6::text[]) h(id, hash) using (id)`,
          [batchIds, o.clientId, o.maxAttempts ?? 5, o.now, o.expiresAt, hashes],
        );
      }
      await pool.query('analyze');
      return { ids, codes };
    },
    async queuedMail() {
      return (await pool.query("select count(*)::int as n from outbox where status = 'queued'")).rows[0].n;
    },
    async drop() {
      await pool.end();
      // An autovacuum worker on the database is not ours to end: retry for a moment.
      for (let attempt = 0; attempt < 20; attempt++) {
        try {
          await admin(`drop database if exists "${name}" with (force)`);
          return;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      }
      process.stderr.write(`could not drop ${name} yet (autovacuum on it); the next run drops it\n`);
    },
  };
}
