// Authenticator factors on SQLite: one statement per method (activation and code
// replacement are one IMMEDIATE transaction each).
import { and, eq, inArray, isNull, ne, or, lt, lte, sql } from 'drizzle-orm';
import { outbox, recoveries, totpFactors, totpRecoveryCodes } from '../../../db/schema.js';
import type { QueuedNotice } from '../../people/notices.js';
import { noticeRow } from '../notice-row.js';
import type { NewTotpFactor, TotpFactor } from '../../totp/model.js';
import type { CountedAttempt, TotpFactorsPort } from '../../totp/ports.js';
import type { SqliteDb } from './open.js';
import type { NewEvent } from '../../events/model.js';
import { writeEvents } from './events.js';
import type { Statements } from './statements.js';

const asFactor = (row: typeof totpFactors.$inferSelect | undefined) => row as TotpFactor | undefined;

/** Counts an attempt unless locked; a lock that has run out starts a fresh count. */
function attemptCount(now: number, maxAttempts: number) {
  const lockOver = and(sql`${totpFactors.lockedUntil} IS NOT NULL`, lte(totpFactors.lockedUntil, now));
  return {
    set: {
      failedAttempts: sql`CASE WHEN ${lockOver} THEN 1 ELSE ${totpFactors.failedAttempts} + 1 END`,
      lockedUntil: sql`CASE WHEN ${lockOver} THEN NULL ELSE ${totpFactors.lockedUntil} END`,
    },
    allowed: or(and(isNull(totpFactors.lockedUntil), lt(totpFactors.failedAttempts, maxAttempts)), lockOver),
  };
}

export class SqliteTotpFactors implements TotpFactorsPort {
  constructor(
    private readonly db: SqliteDb,
    private readonly statements: Statements,
  ) {}

  /** Runs a change and writes its events in one IMMEDIATE transaction. */
  private change<T>(work: () => T, events: (result: T) => NewEvent[]): T {
    return this.db.$client
      .transaction(() => {
        const result = work();
        writeEvents(this.statements, events(result));
        return result;
      })
      .immediate();
  }

  async create(factor: NewTotpFactor): Promise<void> {
    this.db
      .insert(totpFactors)
      .values({ ...factor, status: 'pending' })
      .run();
  }

  async get(id: string, clientId: string) {
    return asFactor(
      this.db
        .select()
        .from(totpFactors)
        .where(and(eq(totpFactors.id, id), eq(totpFactors.clientId, clientId)))
        .get(),
    );
  }

  async active(clientId: string, userRef: string) {
    const active = and(
      eq(totpFactors.clientId, clientId),
      eq(totpFactors.userRef, userRef),
      eq(totpFactors.status, 'active'),
    );
    return asFactor(this.db.select().from(totpFactors).where(active).get());
  }

  async activeFor(person: string) {
    const found = and(
      or(eq(totpFactors.userRef, person), eq(totpFactors.accountName, person)),
      eq(totpFactors.status, 'active'),
    );
    return this.db
      .select()
      .from(totpFactors)
      .where(found)
      .limit(50)
      .all()
      .map((row) => asFactor(row)!);
  }

  async activate(
    id: string,
    now: number,
    recoveryCodeHashes: string[],
    events: NewEvent[],
    notice?: QueuedNotice,
  ): Promise<boolean> {
    return this.db.transaction(
      (tx) => {
        const pending = tx
          .select()
          .from(totpFactors)
          .where(and(eq(totpFactors.id, id), eq(totpFactors.status, 'pending')))
          .get();
        if (!pending || pending.expiresAt <= now) return false;
        const sameUser = and(
          eq(totpFactors.clientId, pending.clientId),
          eq(totpFactors.userRef, pending.userRef),
          ne(totpFactors.id, id),
        );
        tx.delete(totpFactors).where(sameUser).run();
        tx.update(totpFactors)
          .set({ status: 'active', confirmedAt: now, failedAttempts: 0, lockedUntil: null })
          .where(eq(totpFactors.id, id))
          .run();
        if (recoveryCodeHashes.length > 0)
          tx.insert(totpRecoveryCodes)
            .values(recoveryCodeHashes.map((codeHash) => ({ factorId: id, codeHash })))
            .run();
        if (notice) tx.insert(outbox).values(noticeRow(notice)).run();
        writeEvents(this.statements, events);
        return true;
      },
      { behavior: 'immediate' },
    );
  }

  async countAttempt(q: {
    clientId: string;
    userRef: string;
    now: number;
    maxAttempts: number;
  }): Promise<CountedAttempt> {
    return this.db.transaction((tx) => {
      const active = and(
        eq(totpFactors.clientId, q.clientId),
        eq(totpFactors.userRef, q.userRef),
        eq(totpFactors.status, 'active'),
      );
      const factor = asFactor(tx.select().from(totpFactors).where(active).get());
      if (!factor) return { factor, attempts: undefined, recoveryOpen: false };
      const count = attemptCount(q.now, q.maxAttempts);
      const row = tx
        .update(totpFactors)
        .set(count.set)
        .where(and(eq(totpFactors.id, factor.id), count.allowed))
        .returning({ attempts: totpFactors.failedAttempts })
        .get();
      const open = tx
        .select({ id: recoveries.id })
        .from(recoveries)
        .where(
          and(
            eq(recoveries.clientId, q.clientId),
            eq(recoveries.userRef, q.userRef),
            inArray(recoveries.status, ['code_sent', 'waiting']),
          ),
        )
        .limit(1)
        .get();
      return { factor, attempts: row?.attempts, recoveryOpen: open !== undefined };
    });
  }

  async countEnrollmentAttempt(q: { id: string; now: number; maxAttempts: number }): Promise<number | undefined> {
    const count = attemptCount(q.now, q.maxAttempts);
    return this.db
      .update(totpFactors)
      .set(count.set)
      .where(and(eq(totpFactors.id, q.id), count.allowed))
      .returning({ attempts: totpFactors.failedAttempts })
      .get()?.attempts;
  }

  async lock(id: string, until: number, events: NewEvent[]): Promise<void> {
    this.change(
      () => this.db.update(totpFactors).set({ lockedUntil: until }).where(eq(totpFactors.id, id)).run(),
      () => events,
    );
  }

  async acceptStep(id: string, step: number, events: NewEvent[], resealed?: string): Promise<boolean> {
    const newer = or(isNull(totpFactors.lastUsedStep), lt(totpFactors.lastUsedStep, step));
    const set = { lastUsedStep: step, failedAttempts: 0, ...(resealed ? { secretEncrypted: resealed } : {}) };
    return this.change(
      () =>
        this.db
          .update(totpFactors)
          .set(set)
          .where(and(eq(totpFactors.id, id), newer))
          .run().changes > 0,
      (accepted) => (accepted ? events : []),
    );
  }

  async useRecoveryCode(
    factorId: string,
    codeHashes: string[],
    now: number,
    events: NewEvent[],
    notice?: QueuedNotice,
  ): Promise<boolean> {
    return this.db.transaction((tx) => {
      const unused = and(
        eq(totpRecoveryCodes.factorId, factorId),
        inArray(totpRecoveryCodes.codeHash, codeHashes),
        isNull(totpRecoveryCodes.usedAt),
      );
      const one = tx.select({ id: totpRecoveryCodes.id }).from(totpRecoveryCodes).where(unused).limit(1).get();
      if (
        !one ||
        tx.update(totpRecoveryCodes).set({ usedAt: now }).where(eq(totpRecoveryCodes.id, one.id)).run().changes === 0
      )
        return false;
      tx.update(totpFactors).set({ failedAttempts: 0 }).where(eq(totpFactors.id, factorId)).run();
      if (notice) tx.insert(outbox).values(noticeRow(notice)).run();
      writeEvents(this.statements, events);
      return true;
    });
  }

  async replaceRecoveryCodes(
    factorId: string,
    codeHashes: string[],
    events: NewEvent[],
    notice?: QueuedNotice,
  ): Promise<void> {
    this.db.transaction((tx) => {
      tx.delete(totpRecoveryCodes).where(eq(totpRecoveryCodes.factorId, factorId)).run();
      tx.insert(totpRecoveryCodes)
        .values(codeHashes.map((codeHash) => ({ factorId, codeHash })))
        .run();
      if (notice) tx.insert(outbox).values(noticeRow(notice)).run();
      writeEvents(this.statements, events);
    });
  }

  async recoveryCodesLeft(factorId: string): Promise<number> {
    const unused = and(eq(totpRecoveryCodes.factorId, factorId), isNull(totpRecoveryCodes.usedAt));
    return this.db.select({ n: sql<number>`count(*)` }).from(totpRecoveryCodes).where(unused).get()?.n ?? 0;
  }

  async removeAll(clientId: string, userRef: string, events: NewEvent[], notice?: QueuedNotice): Promise<number> {
    return this.change(
      () => {
        const removed = this.db
          .delete(totpFactors)
          .where(and(eq(totpFactors.clientId, clientId), eq(totpFactors.userRef, userRef)))
          .run().changes;
        if (removed > 0 && notice) this.db.insert(outbox).values(noticeRow(notice)).run();
        return removed;
      },
      (removed) => (removed > 0 ? events : []),
    );
  }
}
