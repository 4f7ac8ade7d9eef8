// TotpStore on PostgreSQL. The conditional UPDATEs are what keep it right under concurrency
// (READ COMMITTED re-checks their WHERE on the newest row): two attempts never share a
// count, a time step is accepted once, a recovery code is used once.
import { and, eq, isNull, ne, or, lt, lte, sql } from 'drizzle-orm';
import { totpFactors, totpRecoveryCodes } from '../../db/schema.pg.js';
import type { PgDb } from './postgres.js';
import type { NewTotpFactor, TotpFactor, TotpStore } from './types.js';

const asFactor = (row: typeof totpFactors.$inferSelect | undefined) => row as TotpFactor | undefined;

export class PostgresTotpStore implements TotpStore {
  constructor(private readonly db: PgDb) {}

  async createFactor(factor: NewTotpFactor): Promise<void> {
    await this.db.insert(totpFactors).values({ ...factor, status: 'pending' });
  }

  async getFactor(id: string, clientId: string) {
    return asFactor((await this.db.select().from(totpFactors).where(and(eq(totpFactors.id, id), eq(totpFactors.clientId, clientId))))[0]);
  }

  async activeFactor(clientId: string, userRef: string) {
    const active = and(eq(totpFactors.clientId, clientId), eq(totpFactors.userRef, userRef), eq(totpFactors.status, 'active'));
    return asFactor((await this.db.select().from(totpFactors).where(active))[0]);
  }

  async activate(id: string, now: number, recoveryCodeHashes: string[]): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      // FOR UPDATE: two confirmations of one enrolment, the second waits and finds it active.
      const [pending] = await tx.select().from(totpFactors).where(and(eq(totpFactors.id, id), eq(totpFactors.status, 'pending'))).for('update');
      if (!pending || pending.expiresAt <= now) return false;
      const sameUser = and(eq(totpFactors.clientId, pending.clientId), eq(totpFactors.userRef, pending.userRef), ne(totpFactors.id, id));
      await tx.delete(totpFactors).where(sameUser);
      await tx.update(totpFactors).set({ status: 'active', confirmedAt: now, failedAttempts: 0, lockedUntil: null }).where(eq(totpFactors.id, id));
      if (recoveryCodeHashes.length > 0) await tx.insert(totpRecoveryCodes).values(recoveryCodeHashes.map((codeHash) => ({ factorId: id, codeHash })));
      return true;
    });
  }

  async countAttempt(id: string, now: number, maxAttempts: number): Promise<number | undefined> {
    const lockOver = and(sql`${totpFactors.lockedUntil} IS NOT NULL`, lte(totpFactors.lockedUntil, now));
    const [row] = await this.db
      .update(totpFactors)
      .set({
        failedAttempts: sql`CASE WHEN ${lockOver} THEN 1 ELSE ${totpFactors.failedAttempts} + 1 END`,
        lockedUntil: sql`CASE WHEN ${lockOver} THEN NULL ELSE ${totpFactors.lockedUntil} END`,
      })
      .where(and(eq(totpFactors.id, id), or(and(isNull(totpFactors.lockedUntil), lt(totpFactors.failedAttempts, maxAttempts)), lockOver)))
      .returning({ attempts: totpFactors.failedAttempts });
    return row?.attempts;
  }

  async lock(id: string, until: number): Promise<void> {
    await this.db.update(totpFactors).set({ lockedUntil: until }).where(eq(totpFactors.id, id));
  }

  async resealSecret(id: string, secretEncrypted: string): Promise<void> {
    await this.db.update(totpFactors).set({ secretEncrypted }).where(eq(totpFactors.id, id));
  }

  async acceptStep(id: string, step: number): Promise<boolean> {
    const newer = or(isNull(totpFactors.lastUsedStep), lt(totpFactors.lastUsedStep, step));
    const rows = await this.db
      .update(totpFactors)
      .set({ lastUsedStep: step, failedAttempts: 0 })
      .where(and(eq(totpFactors.id, id), newer))
      .returning({ id: totpFactors.id });
    return rows.length > 0;
  }

  async useRecoveryCode(factorId: string, codeHash: string, now: number): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const unused = and(eq(totpRecoveryCodes.factorId, factorId), eq(totpRecoveryCodes.codeHash, codeHash), isNull(totpRecoveryCodes.usedAt));
      const used = await tx.update(totpRecoveryCodes).set({ usedAt: now }).where(unused).returning({ id: totpRecoveryCodes.id });
      if (used.length === 0) return false;
      await tx.update(totpFactors).set({ failedAttempts: 0 }).where(eq(totpFactors.id, factorId));
      return true;
    });
  }

  async replaceRecoveryCodes(factorId: string, codeHashes: string[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.delete(totpRecoveryCodes).where(eq(totpRecoveryCodes.factorId, factorId));
      await tx.insert(totpRecoveryCodes).values(codeHashes.map((codeHash) => ({ factorId, codeHash })));
    });
  }

  async recoveryCodesLeft(factorId: string): Promise<number> {
    const unused = and(eq(totpRecoveryCodes.factorId, factorId), isNull(totpRecoveryCodes.usedAt));
    const [row] = await this.db.select({ n: sql<number>`count(*)::int` }).from(totpRecoveryCodes).where(unused);
    return row?.n ?? 0;
  }

  async removeFactors(clientId: string, userRef: string): Promise<number> {
    const removed = await this.db
      .delete(totpFactors)
      .where(and(eq(totpFactors.clientId, clientId), eq(totpFactors.userRef, userRef)))
      .returning({ id: totpFactors.id });
    return removed.length;
  }
}
