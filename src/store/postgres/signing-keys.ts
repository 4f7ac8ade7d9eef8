// Signing keys on PostgreSQL, shared by every process through the database.
import { desc, eq, isNull, sql } from 'drizzle-orm';
import { signingKeys } from '../../../db/schema.pg.js';
import type { SigningKeyRow, SigningKeysPort } from '../../assertions/ports.js';
import type { PgDb } from './open.js';

export class PostgresSigningKeys implements SigningKeysPort {
  constructor(private readonly db: PgDb) {}

  list(): Promise<SigningKeyRow[]> {
    return this.db.select().from(signingKeys).orderBy(desc(signingKeys.createdAt));
  }

  async add(key: SigningKeyRow): Promise<void> {
    await this.db.transaction(async (tx) => {
      // One rotation at a time, and never beside a first key being made (addFirst).
      await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended('signing-keys', 0))`);
      await tx.update(signingKeys).set({ retiredAt: key.createdAt }).where(isNull(signingKeys.retiredAt));
      await tx.insert(signingKeys).values(key);
    });
  }

  async addFirst(key: SigningKeyRow): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended('signing-keys', 0))`);
      if ((await tx.select({ kid: signingKeys.kid }).from(signingKeys).limit(1)).length > 0) return false;
      await tx.insert(signingKeys).values(key);
      return true;
    });
  }

  async reseal(kid: string, privateJwkEncrypted: string): Promise<void> {
    await this.db.update(signingKeys).set({ privateJwkEncrypted }).where(eq(signingKeys.kid, kid));
  }
}
