// Inserts verifications straight into SQLite, fast (prepared statements, one transaction
// per batch), with codes hashed exactly as the service hashes them. Used for the pools of
// right and wrong codes and for the 1,000,000-row growth and purge scenarios.
import { randomInt } from 'node:crypto';
import Database from 'better-sqlite3';
import { deriveKey } from '../src/shared/secrets.js';
import { hashCode } from '../src/verification/codes.js';

export interface SeedOptions {
  clientId: string;
  secret: string;
  count: number;
  prefix: string;
  now: number;
  expiresAt: number;
  maxAttempts?: number;
  /** Return the ids and plain codes (the pools the scenarios draw from). */
  keepCodes?: boolean;
  withCodes?: boolean;
}

/** The address of a seeded verification (on either database): the verify-code bodies that name the address use it. */
export const seededEmail = (id: string) => `${id}@seed.example`;

export interface Seeded {
  ids: string[];
  codes: string[];
}

export function seedVerifications(dbPath: string, o: SeedOptions): Seeded {
  const db = new Database(dbPath);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const key = deriveKey(o.secret.split(',')[0]!, 'codes');
  const insertVerification = db.prepare(
    `insert into verifications (id, client_id, email, purpose, locale, status, attempts, max_attempts, send_count, created_at, last_sent_at, expires_at)
     values (?, ?, ?, 'login', 'en', 'pending', 0, ?, 1, ?, ?, ?)`,
  );
  const insertCode = db.prepare(
    'insert into verification_codes (verification_id, code_hash, created_at) values (?, ?, ?)',
  );
  const ids: string[] = [];
  const codes: string[] = [];
  const batch = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const id = `vf_${o.prefix}${i.toString(36).padStart(8, '0')}`;
      const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
      insertVerification.run(id, o.clientId, seededEmail(id), o.maxAttempts ?? 5, o.now, o.now, o.expiresAt);
      if (o.withCodes !== false) insertCode.run(id, hashCode(key, id, code), o.now);
      if (o.keepCodes) {
        ids.push(id);
        codes.push(code);
      }
    }
  });
  for (let from = 0; from < o.count; from += 50_000) batch(from, Math.min(o.count, from + 50_000));
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return { ids, codes };
}
