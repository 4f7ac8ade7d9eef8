// Signing keys on SQLite.
import { desc, eq, isNull } from 'drizzle-orm';
import { signingKeys } from '../../../db/schema.js';
import type { SigningKeyRow, SigningKeysPort } from '../../assertions/ports.js';
import type { SqliteDb } from './open.js';

export class SqliteSigningKeys implements SigningKeysPort {
  constructor(private readonly db: SqliteDb) {}

  async list(): Promise<SigningKeyRow[]> {
    return this.db.select().from(signingKeys).orderBy(desc(signingKeys.createdAt)).all();
  }

  async add(key: SigningKeyRow): Promise<void> {
    this.db.transaction(
      (tx) => {
        tx.update(signingKeys).set({ retiredAt: key.createdAt }).where(isNull(signingKeys.retiredAt)).run();
        tx.insert(signingKeys).values(key).run();
      },
      { behavior: 'immediate' },
    );
  }

  async addFirst(key: SigningKeyRow): Promise<boolean> {
    return this.db.transaction(
      (tx) => {
        if (tx.select({ kid: signingKeys.kid }).from(signingKeys).limit(1).get()) return false;
        tx.insert(signingKeys).values(key).run();
        return true;
      },
      { behavior: 'immediate' },
    );
  }

  async reseal(kid: string, privateJwkEncrypted: string): Promise<void> {
    this.db.update(signingKeys).set({ privateJwkEncrypted }).where(eq(signingKeys.kid, kid)).run();
  }
}
