// The outbox on SQLite: claims are one UPDATE … RETURNING, state changes (with their events)
// go through group commit, each one atomic.
import { and, eq, gt, inArray, or, sql } from 'drizzle-orm';
import { clients, outbox, personAddresses, suppressions, verifications } from '../../../db/schema.js';
import type { NewEvent } from '../../events/model.js';
import type { Bounce, GivenUpMail, OutboxMail, OutboxPort } from '../../mail/outbox.js';
import { writeEvents } from './events.js';
import type { GroupCommit } from './group-commit.js';
import type { SqliteDb } from './open.js';
import type { Statements } from './statements.js';

export class SqliteOutbox implements OutboxPort {
  constructor(
    private readonly db: SqliteDb,
    private readonly statements: Statements,
    private readonly group: GroupCommit,
  ) {}

  async claimDue(now: number, leaseMs: number, limit: number): Promise<OutboxMail[]> {
    return this.statements.claimDue
      .all({ now, until: now + leaseMs, limit })
      .filter((m): m is OutboxMail => m.payload !== null);
  }

  renewLeases(ids: number[], leaseUntil: number): Promise<void> {
    return this.group.run(
      () =>
        void this.db
          .update(outbox)
          .set({ leaseUntil })
          .where(and(inArray(outbox.id, ids), eq(outbox.status, 'queued')))
          .run(),
    );
  }

  async releaseAbandoned(): Promise<number> {
    return this.db
      .update(outbox)
      .set({ leaseUntil: 0 })
      .where(and(eq(outbox.status, 'queued'), gt(outbox.leaseUntil, 0)))
      .run().changes;
  }

  /** Runs a change and writes its events, atomically. */
  private change(work: () => void, events: NewEvent[]): Promise<void> {
    return this.group.run(() => {
      work();
      writeEvents(this.statements, events);
    });
  }

  markSent(
    id: number,
    now: number,
    result: { reply: string | null; queueId: string | null },
    events: NewEvent[],
  ): Promise<void> {
    return this.change(() => this.statements.markSent.run({ id, now, ...result }), events);
  }

  markDeferred(
    id: number,
    nextAttemptAt: number,
    refusal: { reply: string; enhancedStatus: string | null },
    events: NewEvent[],
  ): Promise<void> {
    return this.change(() => this.statements.markDeferred.run({ id, next: nextAttemptAt, ...refusal }), events);
  }

  markFailed(id: number, error: string, events: NewEvent[]): Promise<void> {
    return this.change(() => this.statements.markFailed.run({ id, error }), events);
  }

  bounce(b: Bounce): Promise<boolean> {
    return this.group.run(() => {
      const columns = {
        id: outbox.id,
        status: outbox.status,
        verificationId: outbox.verificationId,
        userRef: outbox.userRef,
        clientId: clients.id,
        email: sql<string>`coalesce(${outbox.email}, ${verifications.email})`,
        suppressionHours: clients.suppressionHours,
      };
      const base = this.db
        .select(columns)
        .from(outbox)
        // A notice names its client and address itself; a code's are its verification's.
        .leftJoin(verifications, eq(verifications.id, outbox.verificationId))
        .innerJoin(clients, eq(clients.id, sql`coalesce(${outbox.clientId}, ${verifications.clientId})`));
      const mail =
        'outboxId' in b.mail
          ? base.where(eq(outbox.id, b.mail.outboxId)).get()
          : base.where(eq(outbox.verificationId, b.mail.verificationId)).orderBy(sql`${outbox.id} desc`).limit(1).get();
      if (!mail || mail.status === 'bounced') return false;
      const until = b.suppressUntil(mail);
      // Already refused and suppressed (another mail in flight bounced first): the people
      // who proved the address have been told of it once.
      const knownGone =
        this.db
          .select({ until: suppressions.until })
          .from(suppressions)
          .where(
            and(
              eq(suppressions.clientId, mail.clientId),
              eq(suppressions.email, mail.email),
              gt(suppressions.until, b.now),
            ),
          )
          .get() !== undefined;
      const refusal = {
        lastError: b.reply,
        lastReply: b.reply,
        enhancedStatus: b.enhancedStatus,
        leaseUntil: 0,
        ...(b.handOver ? { attempts: sql`${outbox.attempts} + 1` } : {}),
      };
      this.db
        .update(outbox)
        .set({ ...refusal, status: 'bounced', payload: null })
        .where(eq(outbox.id, mail.id))
        .run();
      const suppression = {
        reason: b.reply,
        enhancedStatus: b.enhancedStatus,
        verificationId: mail.verificationId,
        createdAt: b.now,
        until,
      };
      this.db
        .insert(suppressions)
        .values({ clientId: mail.clientId, email: mail.email, ...suppression })
        .onConflictDoUpdate({ target: [suppressions.clientId, suppressions.email], set: suppression })
        .run();
      // The client's other mail to the address, still queued, would bounce the same way.
      const others = this.db
        .update(outbox)
        .set({ status: 'suppressed', payload: null, leaseUntil: 0, lastError: 'address suppressed after a bounce' })
        .where(
          and(
            eq(outbox.status, 'queued'),
            or(
              inArray(
                outbox.verificationId,
                this.db
                  .select({ id: verifications.id })
                  .from(verifications)
                  .where(and(eq(verifications.clientId, mail.clientId), eq(verifications.email, mail.email))),
              ),
              and(eq(outbox.clientId, mail.clientId), eq(outbox.email, mail.email)),
            ),
          ),
        )
        .returning({ id: outbox.id, verificationId: outbox.verificationId, userRef: outbox.userRef })
        .all()
        .map((o) => ({ ...o, clientId: mail.clientId, email: mail.email }));
      // Who proved the address at this client: told of it when the mailbox is gone.
      const provenFor = knownGone
        ? []
        : this.db
            .select({ userRef: personAddresses.userRef })
            .from(personAddresses)
            .where(and(eq(personAddresses.clientId, mail.clientId), eq(personAddresses.email, mail.email)))
            .all()
            .map((row) => row.userRef);
      writeEvents(this.statements, b.events(mail, until, others, provenFor));
      return true;
    });
  }

  failExpired(now: number, eventsFor: (mail: GivenUpMail) => NewEvent[]): Promise<number> {
    return this.group.run(() => {
      const failed = this.statements.failExpired.all({ now });
      writeEvents(this.statements, failed.flatMap(eventsFor));
      return failed.length;
    });
  }

  async countQueued(): Promise<number> {
    return this.db.select({ n: sql<number>`count(*)` }).from(outbox).where(eq(outbox.status, 'queued')).get()?.n ?? 0;
  }
}
