// The outbox on PostgreSQL: claimed with FOR UPDATE SKIP LOCKED plus a lease, so replicas
// never take the same mail and a dead replica's mail comes back when its lease runs out.
// Each state change is one statement with its events (a CTE), or one transaction.
import { and, asc, desc, eq, gt, inArray, lte, or, sql } from 'drizzle-orm';
import { clients, outbox, personAddresses, suppressions, verifications } from '../../../db/schema.pg.js';
import type { NewEvent } from '../../events/model.js';
import type { Bounce, GivenUpMail, OutboxMail, OutboxPort } from '../../mail/outbox.js';
import { eventsParameter, insertEventsFrom, writeEvents } from './events.js';
import type { PgDb } from './open.js';

/** One delivery's state change and its events, in one statement: $1 the outbox id, then the change's values, the events last. */
const change = (set: string, eventsAt: number) => `
with o as (update outbox set ${set}, lease_until = 0, attempts = attempts + 1 where id = $1 returning id),
audit as (${insertEventsFrom('o', eventsAt)})
select count(*) from o`;

const statements = {
  sent: change("status = 'sent', payload = null, sent_at = $2, last_error = null, last_reply = $3, queue_id = $4", 5),
  deferred: change('next_attempt_at = $2, last_error = $3, last_reply = $3, enhanced_status = $4', 5),
  failed: change("status = 'failed', payload = null, last_error = $2", 3),
};

export class PostgresOutbox implements OutboxPort {
  constructor(private readonly db: PgDb) {}

  private async run(name: keyof typeof statements, values: unknown[], events: NewEvent[]): Promise<void> {
    await this.db.$client.query({
      name: `mc_outbox_${name}`,
      text: statements[name],
      values: [...values, eventsParameter(events)],
    });
  }

  /**
   * One statement picks the due mail and leases it. SKIP LOCKED lets replicas claim side by
   * side: each takes rows no other transaction is claiming at that moment, never the same one.
   */
  async claimDue(now: number, leaseMs: number, limit: number): Promise<OutboxMail[]> {
    const due = this.db
      .select({ id: outbox.id })
      .from(outbox)
      .where(
        and(
          eq(outbox.status, 'queued'),
          lte(outbox.nextAttemptAt, now),
          lte(outbox.leaseUntil, now),
          gt(outbox.expiresAt, now),
        ),
      )
      .orderBy(asc(outbox.nextAttemptAt))
      .limit(limit)
      .for('update', { skipLocked: true });
    const rows = await this.db
      .update(outbox)
      .set({ leaseUntil: now + leaseMs })
      .where(inArray(outbox.id, due))
      .returning({
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
      });
    return rows.filter((m): m is OutboxMail => m.payload !== null);
  }

  async renewLeases(ids: number[], leaseUntil: number): Promise<void> {
    await this.db
      .update(outbox)
      .set({ leaseUntil })
      .where(and(inArray(outbox.id, ids), eq(outbox.status, 'queued')));
  }

  /** Other replicas may be alive and delivering: their leases are left to run out. */
  async releaseAbandoned(): Promise<number> {
    return 0;
  }

  markSent(
    id: number,
    now: number,
    result: { reply: string | null; queueId: string | null },
    events: NewEvent[],
  ): Promise<void> {
    return this.run('sent', [id, now, result.reply, result.queueId], events);
  }

  markDeferred(
    id: number,
    nextAttemptAt: number,
    refusal: { reply: string; enhancedStatus: string | null },
    events: NewEvent[],
  ): Promise<void> {
    return this.run('deferred', [id, nextAttemptAt, refusal.reply, refusal.enhancedStatus], events);
  }

  markFailed(id: number, error: string, events: NewEvent[]): Promise<void> {
    return this.run('failed', [id, error], events);
  }

  bounce(b: Bounce): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const columns = {
        id: outbox.id,
        status: outbox.status,
        verificationId: outbox.verificationId,
        userRef: outbox.userRef,
        clientId: clients.id,
        email: sql<string>`coalesce(${outbox.email}, ${verifications.email})`,
        suppressionHours: clients.suppressionHours,
      };
      const base = tx
        .select(columns)
        .from(outbox)
        // A notice names its client and address itself; a code's are its verification's.
        .leftJoin(verifications, eq(verifications.id, outbox.verificationId))
        .innerJoin(clients, eq(clients.id, sql`coalesce(${outbox.clientId}, ${verifications.clientId})`));
      // FOR UPDATE OF outbox: two reports of one bounce (the SMTP refusal and a DSN) are recorded once.
      const [mail] =
        'outboxId' in b.mail
          ? await base.where(eq(outbox.id, b.mail.outboxId)).for('update', { of: outbox })
          : await base
              .where(eq(outbox.verificationId, b.mail.verificationId))
              .orderBy(desc(outbox.id))
              .limit(1)
              .for('update', { of: outbox });
      if (!mail || mail.status === 'bounced') return false;
      const until = b.suppressUntil(mail);
      // Already refused and suppressed (another mail in flight bounced first): the people
      // who proved the address have been told of it once.
      const [known] = await tx
        .select({ until: suppressions.until })
        .from(suppressions)
        .where(
          and(
            eq(suppressions.clientId, mail.clientId),
            eq(suppressions.email, mail.email),
            gt(suppressions.until, b.now),
          ),
        );
      const refusal = {
        lastError: b.reply,
        lastReply: b.reply,
        enhancedStatus: b.enhancedStatus,
        leaseUntil: 0,
        ...(b.handOver ? { attempts: sql`${outbox.attempts} + 1` } : {}),
      };
      await tx
        .update(outbox)
        .set({ ...refusal, status: 'bounced', payload: null })
        .where(eq(outbox.id, mail.id));
      const suppression = {
        reason: b.reply,
        enhancedStatus: b.enhancedStatus,
        verificationId: mail.verificationId,
        createdAt: b.now,
        until,
      };
      await tx
        .insert(suppressions)
        .values({ clientId: mail.clientId, email: mail.email, ...suppression })
        .onConflictDoUpdate({ target: [suppressions.clientId, suppressions.email], set: suppression });
      const others = (
        await tx
          .update(outbox)
          .set({ status: 'suppressed', payload: null, leaseUntil: 0, lastError: 'address suppressed after a bounce' })
          .where(
            and(
              eq(outbox.status, 'queued'),
              or(
                inArray(
                  outbox.verificationId,
                  tx
                    .select({ id: verifications.id })
                    .from(verifications)
                    .where(and(eq(verifications.clientId, mail.clientId), eq(verifications.email, mail.email))),
                ),
                and(eq(outbox.clientId, mail.clientId), eq(outbox.email, mail.email)),
              ),
            ),
          )
          .returning({ id: outbox.id, verificationId: outbox.verificationId, userRef: outbox.userRef })
      ).map((o) => ({ ...o, clientId: mail.clientId, email: mail.email }));
      // Who proved the address at this client: told of it when the mailbox is gone.
      const provenFor = known
        ? []
        : (
            await tx
              .select({ userRef: personAddresses.userRef })
              .from(personAddresses)
              .where(and(eq(personAddresses.clientId, mail.clientId), eq(personAddresses.email, mail.email)))
          ).map((row) => row.userRef);
      await writeEvents(tx, b.events(mail, until, others, provenFor));
      return true;
    });
  }

  failExpired(now: number, eventsFor: (mail: GivenUpMail) => NewEvent[]): Promise<number> {
    return this.db.transaction(async (tx) => {
      const failed = await tx
        .update(outbox)
        .set({
          status: 'failed',
          payload: null,
          lastError: sql`coalesce(${outbox.lastError}, 'code expired before delivery')`,
        })
        .where(and(eq(outbox.status, 'queued'), lte(outbox.expiresAt, now)))
        .returning({
          id: outbox.id,
          verificationId: outbox.verificationId,
          userRef: outbox.userRef,
          clientId: sql<string>`coalesce(${outbox.clientId}, (select client_id from verifications where id = ${outbox.verificationId}))`,
          email: sql<string>`coalesce(${outbox.email}, (select email from verifications where id = ${outbox.verificationId}))`,
        });
      await writeEvents(tx, failed.flatMap(eventsFor));
      return failed.length;
    });
  }

  async countQueued(): Promise<number> {
    const [row] = await this.db
      .select({ n: sql<number>`count(*)::int` })
      .from(outbox)
      .where(eq(outbox.status, 'queued'));
    return row?.n ?? 0;
  }
}
