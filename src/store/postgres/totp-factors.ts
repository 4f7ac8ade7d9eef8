// Authenticator factors on PostgreSQL. The conditional UPDATEs are what keep it right under concurrency
// (READ COMMITTED re-checks their WHERE on the newest row): two attempts never share a
// count, a time step is accepted once, a recovery code is used once.
import { and, eq, inArray, isNull, ne, or, lt, lte, sql } from 'drizzle-orm';
import { outbox, totpFactors, totpRecoveryCodes } from '../../../db/schema.pg.js';
import type { QueuedNotice } from '../../people/notices.js';
import { noticeRow } from '../notice-row.js';
import type { NewTotpFactor, TotpFactor } from '../../totp/model.js';
import type { CountedAttempt, TotpFactorsPort } from '../../totp/ports.js';
import type { PgDb } from './open.js';
import type { NewEvent } from '../../events/model.js';
import { eventsParameter, insertEventsFrom, writeEvents } from './events.js';

const asFactor = (row: typeof totpFactors.$inferSelect | undefined) => row as TotpFactor | undefined;

const factorColumns = `id, client_id as "clientId", user_ref as "userRef", account_name as "accountName", secret_encrypted as "secretEncrypted",
  status, created_at as "createdAt", expires_at as "expiresAt", confirmed_at as "confirmedAt", last_used_step as "lastUsedStep",
  failed_attempts as "failedAttempts", locked_until as "lockedUntil"`;

/**
 * The user's active factor, with this attempt counted unless it is locked (a lock that has
 * run out starts a fresh count), and whether a recovery by email of the person is open, in
 * one statement. $1 client, $2 user, $3 now, $4 max.
 */
const countAttemptOnActive = `
with f as (select * from totp_factors where client_id = $1 and user_ref = $2 and status = 'active'),
counted as (
  update totp_factors set
    failed_attempts = case when locked_until is not null and locked_until <= $3 then 1 else failed_attempts + 1 end,
    locked_until = case when locked_until is not null and locked_until <= $3 then null else locked_until end
  where id = (select id from f) and ((locked_until is null and failed_attempts < $4) or (locked_until is not null and locked_until <= $3))
  returning failed_attempts
)
select ${factorColumns}, (select failed_attempts from counted) as counted,
  exists(select 1 from recoveries where client_id = $1 and user_ref = $2 and status in ('code_sent', 'waiting')) as "recoveryOpen"
from f`;

/** A right code's time step, accepted once and recorded in the same statement: $1 id, $2 step, $3 resealed secret or null, $4 events. */
const acceptStepStatement = `
with f as (
  update totp_factors set last_used_step = $2, failed_attempts = 0, secret_encrypted = coalesce($3, secret_encrypted)
  where id = $1 and (last_used_step is null or last_used_step < $2)
  returning id
),
audit as (${insertEventsFrom('f', 4)})
select count(*)::int as accepted from f`;

export class PostgresTotpFactors implements TotpFactorsPort {
  constructor(private readonly db: PgDb) {}

  async create(factor: NewTotpFactor): Promise<void> {
    await this.db.insert(totpFactors).values({ ...factor, status: 'pending' });
  }

  async get(id: string, clientId: string) {
    return asFactor(
      (
        await this.db
          .select()
          .from(totpFactors)
          .where(and(eq(totpFactors.id, id), eq(totpFactors.clientId, clientId)))
      )[0],
    );
  }

  async active(clientId: string, userRef: string) {
    const active = and(
      eq(totpFactors.clientId, clientId),
      eq(totpFactors.userRef, userRef),
      eq(totpFactors.status, 'active'),
    );
    return asFactor((await this.db.select().from(totpFactors).where(active))[0]);
  }

  async activeFor(person: string) {
    const found = and(
      or(eq(totpFactors.userRef, person), eq(totpFactors.accountName, person)),
      eq(totpFactors.status, 'active'),
    );
    return (await this.db.select().from(totpFactors).where(found).limit(50)).map((row) => asFactor(row)!);
  }

  async activate(
    id: string,
    now: number,
    recoveryCodeHashes: string[],
    events: NewEvent[],
    notice?: QueuedNotice,
  ): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      // FOR UPDATE: two confirmations of one enrolment, the second waits and finds it active.
      const [pending] = await tx
        .select()
        .from(totpFactors)
        .where(and(eq(totpFactors.id, id), eq(totpFactors.status, 'pending')))
        .for('update');
      if (!pending || pending.expiresAt <= now) return false;
      const sameUser = and(
        eq(totpFactors.clientId, pending.clientId),
        eq(totpFactors.userRef, pending.userRef),
        ne(totpFactors.id, id),
      );
      await tx.delete(totpFactors).where(sameUser);
      await tx
        .update(totpFactors)
        .set({ status: 'active', confirmedAt: now, failedAttempts: 0, lockedUntil: null })
        .where(eq(totpFactors.id, id));
      if (recoveryCodeHashes.length > 0)
        await tx.insert(totpRecoveryCodes).values(recoveryCodeHashes.map((codeHash) => ({ factorId: id, codeHash })));
      if (notice) await tx.insert(outbox).values(noticeRow(notice));
      await writeEvents(tx, events);
      return true;
    });
  }

  async countAttempt(q: {
    clientId: string;
    userRef: string;
    now: number;
    maxAttempts: number;
  }): Promise<CountedAttempt> {
    const { rows } = await this.db.$client.query<TotpFactor & { counted: number | null; recoveryOpen: boolean }>({
      name: 'mc_totp_count_attempt',
      text: countAttemptOnActive,
      values: [q.clientId, q.userRef, q.now, q.maxAttempts],
    });
    const [row] = rows;
    if (!row) return { factor: undefined, attempts: undefined, recoveryOpen: false };
    const { counted, recoveryOpen, ...factor } = row;
    return { factor, attempts: counted ?? undefined, recoveryOpen };
  }

  async countEnrollmentAttempt(q: { id: string; now: number; maxAttempts: number }): Promise<number | undefined> {
    const lockOver = and(sql`${totpFactors.lockedUntil} IS NOT NULL`, lte(totpFactors.lockedUntil, q.now));
    const [row] = await this.db
      .update(totpFactors)
      .set({
        failedAttempts: sql`CASE WHEN ${lockOver} THEN 1 ELSE ${totpFactors.failedAttempts} + 1 END`,
        lockedUntil: sql`CASE WHEN ${lockOver} THEN NULL ELSE ${totpFactors.lockedUntil} END`,
      })
      .where(
        and(
          eq(totpFactors.id, q.id),
          or(and(isNull(totpFactors.lockedUntil), lt(totpFactors.failedAttempts, q.maxAttempts)), lockOver),
        ),
      )
      .returning({ attempts: totpFactors.failedAttempts });
    return row?.attempts;
  }

  async lock(id: string, until: number, events: NewEvent[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.update(totpFactors).set({ lockedUntil: until }).where(eq(totpFactors.id, id));
      await writeEvents(tx, events);
    });
  }

  async acceptStep(id: string, step: number, events: NewEvent[], resealed?: string): Promise<boolean> {
    const { rows } = await this.db.$client.query<{ accepted: number }>({
      name: 'mc_totp_accept_step',
      text: acceptStepStatement,
      values: [id, step, resealed ?? null, eventsParameter(events)],
    });
    return rows[0]!.accepted > 0;
  }

  async useRecoveryCode(
    factorId: string,
    codeHashes: string[],
    now: number,
    events: NewEvent[],
    notice?: QueuedNotice,
  ): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const unused = and(
        eq(totpRecoveryCodes.factorId, factorId),
        inArray(totpRecoveryCodes.codeHash, codeHashes),
        isNull(totpRecoveryCodes.usedAt),
      );
      const one = tx.select({ id: totpRecoveryCodes.id }).from(totpRecoveryCodes).where(unused).limit(1).for('update');
      const used = await tx
        .update(totpRecoveryCodes)
        .set({ usedAt: now })
        .where(and(inArray(totpRecoveryCodes.id, one), isNull(totpRecoveryCodes.usedAt)))
        .returning({ id: totpRecoveryCodes.id });
      if (used.length === 0) return false;
      await tx.update(totpFactors).set({ failedAttempts: 0 }).where(eq(totpFactors.id, factorId));
      if (notice) await tx.insert(outbox).values(noticeRow(notice));
      await writeEvents(tx, events);
      return true;
    });
  }

  async replaceRecoveryCodes(
    factorId: string,
    codeHashes: string[],
    events: NewEvent[],
    notice?: QueuedNotice,
  ): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.delete(totpRecoveryCodes).where(eq(totpRecoveryCodes.factorId, factorId));
      await tx.insert(totpRecoveryCodes).values(codeHashes.map((codeHash) => ({ factorId, codeHash })));
      if (notice) await tx.insert(outbox).values(noticeRow(notice));
      await writeEvents(tx, events);
    });
  }

  async recoveryCodesLeft(factorId: string): Promise<number> {
    const unused = and(eq(totpRecoveryCodes.factorId, factorId), isNull(totpRecoveryCodes.usedAt));
    const [row] = await this.db.select({ n: sql<number>`count(*)::int` }).from(totpRecoveryCodes).where(unused);
    return row?.n ?? 0;
  }

  async removeAll(clientId: string, userRef: string, events: NewEvent[], notice?: QueuedNotice): Promise<number> {
    return this.db.transaction(async (tx) => {
      const removed = await tx
        .delete(totpFactors)
        .where(and(eq(totpFactors.clientId, clientId), eq(totpFactors.userRef, userRef)))
        .returning({ id: totpFactors.id });
      if (removed.length > 0 && notice) await tx.insert(outbox).values(noticeRow(notice));
      if (removed.length > 0) await writeEvents(tx, events);
      return removed.length;
    });
  }
}
