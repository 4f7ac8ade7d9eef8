// Every statement of the hot paths, built by drizzle once and prepared once: a request
// only binds values, it never builds SQL or asks SQLite to compile it again.
import { and, asc, desc, eq, gt, gte, inArray, lte, sql } from 'drizzle-orm';
import {
  personAddresses,
  clients,
  limitCounters,
  outbox,
  sendEvents,
  sendGuards,
  suppressions,
  verificationCodes,
  verificationLinks,
  verifications,
} from '../../../db/schema.js';
import type { Statement } from 'better-sqlite3';
import type { SqliteDb } from './open.js';
import type { EventRow } from '../rows.js';

const p = sql.placeholder;
/** A placeholder where drizzle's types want an SQL value (in .set()). */
const v = (name: string) => sql`${sql.placeholder(name)}`;

/** What a claimed mail carries besides its row: its client and how long that client suppresses a bounced address. */
const claimedColumns = {
  id: outbox.id,
  verificationId: outbox.verificationId,
  payload: outbox.payload,
  attempts: outbox.attempts,
  createdAt: outbox.createdAt,
  expiresAt: outbox.expiresAt,
  kind: outbox.kind,
  userRef: outbox.userRef,
  clientId: sql<string>`coalesce(${outbox.clientId}, (select client_id from verifications where id = ${outbox.verificationId}))`,
  suppressionHours: sql<number>`(select suppression_hours from clients where id = coalesce(${outbox.clientId}, (select client_id from verifications where id = ${outbox.verificationId})))`,
};

/** A verification's newest mail, as the domain's Delivery reads it. */
const deliveryColumns = {
  status: outbox.status,
  attempts: outbox.attempts,
  lastError: outbox.lastError,
  lastReply: outbox.lastReply,
  enhancedStatus: outbox.enhancedStatus,
  queueId: outbox.queueId,
  sentAt: outbox.sentAt,
};

/** A mail given up on, with what its events name. */
const givenUpColumns = {
  id: outbox.id,
  verificationId: outbox.verificationId,
  userRef: outbox.userRef,
  clientId: sql<string>`coalesce(${outbox.clientId}, (select client_id from verifications where id = ${outbox.verificationId}))`,
  email: sql<string>`coalesce(${outbox.email}, (select email from verifications where id = ${outbox.verificationId}))`,
};

/** Deletes all but the `keep` newest rows of a verification's codes (or links): a resend keeps the newest few valid. */
function keepNewest(db: SqliteDb, table: typeof verificationCodes | typeof verificationLinks) {
  return db
    .delete(table)
    .where(
      and(
        eq(table.verificationId, p('verificationId')),
        sql`${table.id} not in (select ${table.id} from ${table} where ${table.verificationId} = ${p('verificationId')} order by ${table.id} desc limit ${p('keep')})`,
      ),
    )
    .prepare();
}

export function prepareStatements(db: SqliteDb) {
  return {
    clientByKeyHash: db
      .select()
      .from(clients)
      .where(eq(clients.apiKeyHash, p('hash')))
      .prepare(),
    /** Changes when another connection commits (see findClientByKeyHash). */
    dataVersion: db.$client.prepare<[], number>('pragma data_version').pluck() as Statement<[], number>,
    verificationById: db
      .select()
      .from(verifications)
      .where(eq(verifications.id, p('id')))
      .prepare(),
    latestForAddress: db
      .select()
      .from(verifications)
      .where(
        and(
          eq(verifications.clientId, p('clientId')),
          eq(verifications.email, p('email')),
          eq(verifications.purpose, p('purpose')),
        ),
      )
      .orderBy(desc(verifications.createdAt))
      .limit(1)
      .prepare(),

    // Send
    sendsToEmailSince: db
      .select({ createdAt: sendEvents.createdAt })
      .from(sendEvents)
      .where(and(eq(sendEvents.email, p('email')), gt(sendEvents.createdAt, p('since'))))
      .orderBy(desc(sendEvents.createdAt))
      .limit(p('limit'))
      .prepare(),
    sendsFromIpSince: db
      .select({ createdAt: sendEvents.createdAt })
      .from(sendEvents)
      .where(and(eq(sendEvents.endUserIp, p('ip')), gt(sendEvents.createdAt, p('since'))))
      .orderBy(desc(sendEvents.createdAt))
      .limit(p('limit'))
      .prepare(),
    bucketsSince: db
      .select({ bucket: limitCounters.bucket, count: limitCounters.count })
      .from(limitCounters)
      .where(and(eq(limitCounters.key, p('key')), gte(limitCounters.bucket, p('since'))))
      .prepare(),
    guardVersion: db
      .select({ version: sendGuards.version })
      .from(sendGuards)
      .where(eq(sendGuards.key, p('key')))
      .prepare(),
    bumpGuard: db
      .insert(sendGuards)
      .values({ key: p('key'), version: 1, updatedAt: p('now') })
      .onConflictDoUpdate({
        target: sendGuards.key,
        set: { version: sql`${sendGuards.version} + 1`, updatedAt: sql`excluded.updated_at` },
      })
      .prepare(),
    countInBucket: db
      .insert(limitCounters)
      .values({ key: p('key'), bucket: p('bucket'), count: 1 })
      .onConflictDoUpdate({
        target: [limitCounters.key, limitCounters.bucket],
        set: { count: sql`${limitCounters.count} + 1` },
      })
      .prepare(),
    insertVerification: db
      .insert(verifications)
      .values({
        id: p('id'),
        clientId: p('clientId'),
        email: p('email'),
        purpose: p('purpose'),
        locale: p('locale'),
        status: 'pending',
        attempts: 0,
        maxAttempts: p('maxAttempts'),
        sendCount: 1,
        createdAt: p('now'),
        lastSentAt: p('now'),
        expiresAt: p('expiresAt'),
        userRef: p('userRef'),
      })
      .returning()
      .prepare(),
    joinVerification: db
      .update(verifications)
      .set({
        lastSentAt: v('now'),
        expiresAt: v('expiresAt'),
        sendCount: sql`${verifications.sendCount} + 1`,
        // A resend that names the person replaces the one before; one that does not keeps it.
        userRef: sql`coalesce(${p('userRef')}, ${verifications.userRef})`,
      })
      .where(
        and(eq(verifications.id, p('id')), eq(verifications.status, 'pending'), gt(verifications.expiresAt, p('now'))),
      )
      .returning()
      .prepare(),
    insertCode: db
      .insert(verificationCodes)
      .values({ verificationId: p('verificationId'), codeHash: p('codeHash'), createdAt: p('now') })
      .prepare(),
    keepNewestCodes: keepNewest(db, verificationCodes),
    insertLink: db
      .insert(verificationLinks)
      .values({
        verificationId: p('verificationId'),
        linkHash: p('linkHash'),
        bindingHash: p('bindingHash'),
        createdAt: p('now'),
      })
      .prepare(),
    keepNewestLinks: keepNewest(db, verificationLinks),
    linkByHash: db
      .select({ verificationId: verificationLinks.verificationId, bindingHash: verificationLinks.bindingHash })
      .from(verificationLinks)
      .where(eq(verificationLinks.linkHash, p('hash')))
      .prepare(),
    insertSendEvent: db
      .insert(sendEvents)
      .values({ clientId: p('clientId'), email: p('email'), endUserIp: p('ip'), createdAt: p('now') })
      .prepare(),
    suppressionOf: db
      .select({ reason: suppressions.reason, enhancedStatus: suppressions.enhancedStatus, until: suppressions.until })
      .from(suppressions)
      .where(
        and(
          eq(suppressions.clientId, p('clientId')),
          eq(suppressions.email, p('email')),
          gt(suppressions.until, p('now')),
        ),
      )
      .prepare(),
    // Every change writes its events: this insert is bound by better-sqlite3 straight from
    // the row (named parameters), past drizzle's per-call placeholder mapping, which was a
    // measurable share of a right code's cost.
    insertEvent: db.$client.prepare<[EventRow], void>(
      'insert into events (id, client_id, type, subject, masked_email, request_id, actor, actor_id, data, created_at) values (@id, @clientId, @type, @subject, @maskedEmail, @requestId, @actor, @actorId, @data, @createdAt)',
    ) as Statement<[EventRow], void>,
    insertOutbox: db
      .insert(outbox)
      .values({
        verificationId: p('verificationId'),
        status: 'queued',
        payload: p('payload'),
        nextAttemptAt: p('now'),
        createdAt: p('now'),
        expiresAt: p('expiresAt'),
      })
      .prepare(),

    // Verify
    // An attempt's one write: counted and decided together, only if no other attempt was
    // counted since the read (attempts unchanged), still pending and unexpired.
    /** An address proven for a person (people/): the newest proof of it is kept. */
    recordProven: db
      .insert(personAddresses)
      .values({
        clientId: p('clientId'),
        userRef: p('userRef'),
        email: p('email'),
        purpose: p('purpose'),
        provenAt: p('provenAt'),
        verificationId: p('verificationId'),
      })
      .onConflictDoUpdate({
        target: [personAddresses.clientId, personAddresses.userRef, personAddresses.email],
        set: { purpose: v('purpose'), provenAt: v('provenAt'), verificationId: v('verificationId') },
      })
      .prepare(),
    attemptVerified: db
      .update(verifications)
      .set({
        attempts: sql`${verifications.attempts} + 1`,
        status: 'verified',
        verifiedAt: v('now'),
        verifiedWith: v('with'),
      })
      .where(
        and(
          eq(verifications.id, p('id')),
          eq(verifications.status, 'pending'),
          eq(verifications.attempts, p('seen')),
          gt(verifications.expiresAt, p('now')),
        ),
      )
      .returning()
      .prepare(),
    attemptWrong: db
      .update(verifications)
      .set({
        attempts: sql`${verifications.attempts} + 1`,
        status: sql`CASE WHEN ${verifications.attempts} + 1 >= ${verifications.maxAttempts} THEN 'locked' ELSE 'pending' END`,
      })
      .where(
        and(
          eq(verifications.id, p('id')),
          eq(verifications.status, 'pending'),
          eq(verifications.attempts, p('seen')),
          gt(verifications.expiresAt, p('now')),
        ),
      )
      .returning()
      .prepare(),
    codeHashes: db
      .select({ codeHash: verificationCodes.codeHash })
      .from(verificationCodes)
      .where(eq(verificationCodes.verificationId, p('id')))
      .prepare(),
    deleteCodes: db
      .delete(verificationCodes)
      .where(eq(verificationCodes.verificationId, p('id')))
      .prepare(),

    // Outbox
    latestDelivery: db
      .select(deliveryColumns)
      .from(outbox)
      .where(eq(outbox.verificationId, p('id')))
      .orderBy(desc(outbox.id))
      .limit(1)
      .prepare(),
    // One statement claims the due mail and leases it, so two workers never take the same row.
    claimDue: db
      .update(outbox)
      .set({ leaseUntil: v('until') })
      .where(
        inArray(
          outbox.id,
          db
            .select({ id: outbox.id })
            .from(outbox)
            .where(
              and(
                eq(outbox.status, 'queued'),
                lte(outbox.nextAttemptAt, p('now')),
                lte(outbox.leaseUntil, p('now')),
                gt(outbox.expiresAt, p('now')),
              ),
            )
            .orderBy(asc(outbox.nextAttemptAt))
            .limit(p('limit')),
        ),
      )
      .returning(claimedColumns)
      .prepare(),
    markSent: db
      .update(outbox)
      .set({
        status: 'sent',
        payload: null,
        sentAt: v('now'),
        leaseUntil: 0,
        lastError: null,
        lastReply: v('reply'),
        queueId: v('queueId'),
        attempts: sql`${outbox.attempts} + 1`,
      })
      .where(eq(outbox.id, p('id')))
      .prepare(),
    markDeferred: db
      .update(outbox)
      .set({
        nextAttemptAt: v('next'),
        leaseUntil: 0,
        lastError: v('reply'),
        lastReply: v('reply'),
        enhancedStatus: v('enhancedStatus'),
        attempts: sql`${outbox.attempts} + 1`,
      })
      .where(eq(outbox.id, p('id')))
      .prepare(),
    markFailed: db
      .update(outbox)
      .set({
        status: 'failed',
        payload: null,
        leaseUntil: 0,
        lastError: v('error'),
        attempts: sql`${outbox.attempts} + 1`,
      })
      .where(eq(outbox.id, p('id')))
      .prepare(),
    failExpired: db
      .update(outbox)
      .set({
        status: 'failed',
        payload: null,
        lastError: sql`coalesce(${outbox.lastError}, 'code expired before delivery')`,
      })
      .where(and(eq(outbox.status, 'queued'), lte(outbox.expiresAt, p('now'))))
      .returning(givenUpColumns)
      .prepare(),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;
