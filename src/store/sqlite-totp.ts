// TotpStore on SQLite: one statement per method (activation and code replacement are one
// IMMEDIATE transaction each).
import { and, eq, isNull, ne, or, lt, lte, sql } from 'drizzle-orm';
import { totpFactors, totpRecoveryCodes } from '../../db/schema.js';
import type { SqliteDb } from './sqlite.js';
import type { NewTotpFactor, TotpFactor, TotpStore } from './types.js';

const asFactor = (row: typeof totpFactors.$inferSelect | undefined) => row as TotpFactor | undefined;

export class SqliteTotpStore implements TotpStore {
  constructor(private readonly db: SqliteDb) {}

  async createFactor(factor: NewTotpFactor): Promise<void> {
    this.db.insert(totpFactors).values({ ...factor, status: 'pending' }).run();
  }

  async getFactor(id: string, clientId: string) {
    return asFactor(this.db.select().from(totpFactors).where(and(eq(totpFactors.id, id), eq(totpFactors.clientId, clientId))).get());
  }

  async activeFactor(clientId: string, userRef: string) {
    const active = and(eq(totpFactors.clientId, clientId), eq(totpFactors.userRef, userRef), eq(totpFactors.status, 'active'));
    return asFactor(this.db.select().from(totpFactors).where(active).get());
  }

  async activate(id: string, now: number, recoveryCodeHashes: string[]): Promise<boolean> {
    return this.db.transaction(
      (tx) => {
        const pending = tx.select().from(totpFactors).where(and(eq(totpFactors.id, id), eq(totpFactors.status, 'pending'))).get();
        if (!pending || pending.expiresAt <= now) return false;
        const sameUser = and(eq(totpFactors.clientId, pending.clientId), eq(totpFactors.userRef, pending.userRef), ne(totpFactors.id, id));
        tx.delete(totpFactors).where(sameUser).run();
        tx.update(totpFactors).set({ status: 'active', confirmedAt: now, failedAttempts: 0, lockedUntil: null }).where(eq(totpFactors.id, id)).run();
        if (recoveryCodeHashes.length > 0) tx.insert(totpRecoveryCodes).values(recoveryCodeHashes.map((codeHash) => ({ factorId: id, codeHash }))).run();
        return true;
      },
      { behavior: 'immediate' },
    );
  }

  async countAttempt(id: string, now: number, maxAttempts: number): Promise<number | undefined> {
    const lockOver = and(sql`${totpFactors.lockedUntil} IS NOT NULL`, lte(totpFactors.lockedUntil, now));
    const row = this.db
      .update(totpFactors)
      .set({
        failedAttempts: sql`CASE WHEN ${lockOver} THEN 1 ELSE ${totpFactors.failedAttempts} + 1 END`,
        lockedUntil: sql`CASE WHEN ${lockOver} THEN NULL ELSE ${totpFactors.lockedUntil} END`,
      })
      .where(and(eq(totpFactors.id, id), or(and(isNull(totpFactors.lockedUntil), lt(totpFactors.failedAttempts, maxAttempts)), lockOver)))
      .returning({ attempts: totpFactors.failedAttempts })
      .get();
    return row?.attempts;
  }

  async lock(id: string, until: number): Promise<void> {
    this.db.update(totpFactors).set({ lockedUntil: until }).where(eq(totpFactors.id, id)).run();
  }

  async resealSecret(id: string, secretEncrypted: string): Promise<void> {
    this.db.update(totpFactors).set({ secretEncrypted }).where(eq(totpFactors.id, id)).run();
  }

  async acceptStep(id: string, step: number): Promise<boolean> {
    const newer = or(isNull(totpFactors.lastUsedStep), lt(totpFactors.lastUsedStep, step));
    const result = this.db.update(totpFactors).set({ lastUsedStep: step, failedAttempts: 0 }).where(and(eq(totpFactors.id, id), newer)).run();
    return result.changes > 0;
  }

  async useRecoveryCode(factorId: string, codeHash: string, now: number): Promise<boolean> {
    return this.db.transaction((tx) => {
      const unused = and(eq(totpRecoveryCodes.factorId, factorId), eq(totpRecoveryCodes.codeHash, codeHash), isNull(totpRecoveryCodes.usedAt));
      if (tx.update(totpRecoveryCodes).set({ usedAt: now }).where(unused).run().changes === 0) return false;
      tx.update(totpFactors).set({ failedAttempts: 0 }).where(eq(totpFactors.id, factorId)).run();
      return true;
    });
  }

  async replaceRecoveryCodes(factorId: string, codeHashes: string[]): Promise<void> {
    this.db.transaction((tx) => {
      tx.delete(totpRecoveryCodes).where(eq(totpRecoveryCodes.factorId, factorId)).run();
      tx.insert(totpRecoveryCodes).values(codeHashes.map((codeHash) => ({ factorId, codeHash }))).run();
    });
  }

  async recoveryCodesLeft(factorId: string): Promise<number> {
    const unused = and(eq(totpRecoveryCodes.factorId, factorId), isNull(totpRecoveryCodes.usedAt));
    return this.db.select({ n: sql<number>`count(*)` }).from(totpRecoveryCodes).where(unused).get()?.n ?? 0;
  }

  async removeFactors(clientId: string, userRef: string): Promise<number> {
    return this.db.delete(totpFactors).where(and(eq(totpFactors.clientId, clientId), eq(totpFactors.userRef, userRef))).run().changes;
  }
}
