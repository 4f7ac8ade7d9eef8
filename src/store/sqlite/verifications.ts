// Verifications on SQLite: the operations the flows (verification/*-flow.ts) run on. A
// flow runs whole, synchronously, inside one BEGIN IMMEDIATE transaction (through group commit): every send and attempt is
// serialized, across processes too, so the guards it still checks always hold here.
import { and, asc, desc, eq, gt, inArray, lte } from 'drizzle-orm';
import { clients, outbox, verificationCodes, verifications } from '../../../db/schema.js';
import { type Flow, runSync } from '../../verification/flow.js';
import type { Delivery, Verification } from '../../verification/model.js';
import type {
  AttemptOps,
  BucketRow,
  CancelOps,
  CounterIncrement,
  LinkOps,
  SendOps,
  VerificationsPort,
} from '../../verification/ports.js';
import { sendGuardKeys } from '../send-guards.js';
import type { GroupCommit } from './group-commit.js';
import type { SqliteDb } from './open.js';
import type { Statements } from './statements.js';
import { writeEvents } from './events.js';
import type { NewEvent } from '../../events/model.js';
import type { ExpiryWindow } from '../../verification/expiry.js';

const asVerification = (row: unknown) => row as Verification | undefined;

/** Counter increments are rows of this file, written in the transaction of the change they count. */
function countIncrements(st: Statements, increments: CounterIncrement[]) {
  for (const e of increments) st.countInBucket.run({ key: e.key, bucket: e.bucket });
}

function sendOps(st: Statements): SendOps {
  const version = (key: string | null) => (key === null ? null : (st.guardVersion.get({ key })?.version ?? null));
  return {
    loadSendState: (q) => {
      const keys = sendGuardKeys(q.email, q.ip);
      const buckets: Record<string, BucketRow[]> = {};
      for (const c of q.counters) buckets[c.key] = st.bucketsSince.all({ key: c.key, since: c.since });
      return {
        latest: asVerification(st.latestForAddress.get({ clientId: q.clientId, email: q.email, purpose: q.purpose })),
        sendsToEmail: st.sendsToEmailSince
          .all({ email: q.email, since: q.emailSince, limit: q.emailLimit })
          .map((r) => r.createdAt),
        sendsFromIp:
          q.ip === null
            ? []
            : st.sendsFromIpSince.all({ ip: q.ip, since: q.ipSince, limit: q.ipLimit }).map((r) => r.createdAt),
        guard: { email: version(keys.email), ip: version(keys.ip) },
        buckets,
        suppression: st.suppressionOf.get({ clientId: q.clientId, email: q.email, now: q.now }),
      };
    },
    // The counters live in this file: they are written by commitSend, in the same transaction.
    countAndRead: (q) => ({ buckets: q.state.buckets, counted: false }),
    uncount: () => {},
    commitSend: (w) => {
      const keys = sendGuardKeys(w.email, w.ip);
      if (version(keys.email) !== w.guard.email || version(keys.ip) !== w.guard.ip) return undefined;
      const v = w.verification;
      const verification = asVerification(
        v.kind === 'join'
          ? st.joinVerification.get({ id: v.id, now: w.now, expiresAt: w.expiresAt, userRef: w.userRef })
          : st.insertVerification.get({
              ...v,
              clientId: w.clientId,
              email: w.email,
              userRef: w.userRef,
              now: w.now,
              expiresAt: w.expiresAt,
            }),
      );
      if (!verification) return undefined;
      st.insertCode.run({ verificationId: verification.id, codeHash: w.codeHash, now: w.now });
      if (w.link) st.insertLink.run({ verificationId: verification.id, ...w.link, now: w.now });
      if (v.kind === 'join') {
        st.keepNewestCodes.run({ verificationId: verification.id, keep: v.keepCodes });
        st.keepNewestLinks.run({ verificationId: verification.id, keep: v.keepCodes });
      }
      for (const key of [keys.email, keys.ip]) if (key !== null) st.bumpGuard.run({ key, now: w.now });
      st.insertSendEvent.run({ clientId: w.clientId, email: w.email, ip: w.ip, now: w.now });
      st.insertOutbox.run({ verificationId: verification.id, payload: w.payload, now: w.now, expiresAt: w.expiresAt });
      countIncrements(st, w.count);
      writeEvents(st, w.events);
      return verification;
    },
  };
}

/** The guarded write of an attempt: counted and decided together (see attempt-flow.ts). */
function commitAttempt(st: Statements): AttemptOps['commitAttempt'] {
  return (w) => {
    countIncrements(st, w.count);
    const guard = { id: w.id, seen: w.seenAttempts, now: w.now };
    const written = asVerification(
      w.outcome === 'verified'
        ? st.attemptVerified.get({ ...guard, with: w.verifiedWith })
        : st.attemptWrong.get(guard),
    );
    if (written && w.outcome === 'verified') st.deleteCodes.run({ id: w.id });
    if (written && w.proven) st.recordProven.run({ ...w.proven });
    if (written) writeEvents(st, w.events);
    return written;
  };
}

function linkOps(st: Statements): LinkOps {
  return {
    loadLink: ({ clientId, linkHashes, probes }) => {
      const link = linkHashes.map((hash) => st.linkByHash.get({ hash })).find((found) => found !== undefined);
      const row = link && asVerification(st.verificationById.get({ id: link.verificationId }));
      const mine = row?.clientId === clientId;
      return {
        verification: mine ? row : undefined,
        bindingHash: mine ? (link?.bindingHash ?? null) : null,
        probes: st.bucketsSince.all({ key: probes.key, since: probes.since }),
      };
    },
    commitAttempt: commitAttempt(st),
    recordLinkRefusal: (w) => {
      countIncrements(st, w.count);
      writeEvents(st, w.events);
    },
  };
}

function attemptOps(st: Statements): AttemptOps {
  return {
    loadAttempt: ({ clientId, target, decoyId }) => {
      const row =
        'verificationId' in target
          ? asVerification(st.verificationById.get({ id: target.verificationId }))
          : asVerification(st.latestForAddress.get({ clientId, email: target.email, purpose: target.purpose }));
      // Another client's verification is not found, and nothing about it is read further:
      // the client's decoy is read in its place (attempt-flow.ts).
      const verification = row?.clientId === clientId ? row : undefined;
      const decoy = verification ? undefined : asVerification(st.verificationById.get({ id: decoyId }));
      const hashes = st.codeHashes.all({ id: (verification ?? decoy)?.id ?? '' }).map((r) => r.codeHash);
      return { verification, decoy: decoy && { id: decoy.id, attempts: decoy.attempts }, codeHashes: hashes };
    },
    commitAttempt: commitAttempt(st),
  };
}

export class SqliteVerifications implements VerificationsPort {
  private readonly sendOps: SendOps;
  private readonly attemptOps: AttemptOps;
  private readonly linkOps: LinkOps;
  private readonly cancelOps: CancelOps;

  constructor(
    private readonly db: SqliteDb,
    private readonly statements: Statements,
    private readonly group: GroupCommit,
  ) {
    this.sendOps = sendOps(statements);
    this.attemptOps = attemptOps(statements);
    this.linkOps = linkOps(statements);
    this.cancelOps = cancelOps(db, statements);
  }

  runSend<T>(flow: Flow<SendOps, T>): Promise<T> {
    return this.group.run(() => runSync(flow, this.sendOps));
  }

  runAttempt<T>(flow: Flow<AttemptOps, T>): Promise<T> {
    return this.group.run(() => runSync(flow, this.attemptOps));
  }

  runLink<T>(flow: Flow<LinkOps, T>): Promise<T> {
    return this.group.run(() => runSync(flow, this.linkOps));
  }

  runCancel<T>(flow: Flow<CancelOps, T>): Promise<T> {
    return this.group.run(() => runSync(flow, this.cancelOps));
  }

  /** Every write runs in one transaction after another: a sweep never passes a row in use. */
  readonly expiryLookbackMs = 0;

  expireDue(window: ExpiryWindow, limit: number, eventsFor: (v: Verification) => NewEvent[]): Promise<number> {
    return this.group.run(() => {
      const due = this.db
        .select({ id: verifications.id })
        .from(verifications)
        .where(
          and(
            gt(verifications.expiresAt, window.after),
            lte(verifications.expiresAt, window.upTo),
            eq(verifications.status, 'pending'),
          ),
        )
        .orderBy(asc(verifications.expiresAt))
        .limit(limit);
      const expired = this.db
        .update(verifications)
        .set({ status: 'expired' })
        .where(inArray(verifications.id, due))
        .returning()
        .all() as Verification[];
      writeEvents(this.statements, expired.flatMap(eventsFor));
      return expired.length;
    });
  }

  async newestByEmail(email: string, limit: number) {
    // Through the (client, address) index, client by client: an index on the address alone
    // would cost every send a write for a lookup support makes now and then.
    const everyClient = this.db.select({ id: clients.id }).from(clients);
    return this.db
      .select({ id: verifications.id, clientId: verifications.clientId })
      .from(verifications)
      .where(and(inArray(verifications.clientId, everyClient), eq(verifications.email, email)))
      .orderBy(desc(verifications.createdAt))
      .limit(limit)
      .all();
  }

  async get(id: string, clientId: string) {
    const row = asVerification(this.statements.verificationById.get({ id }));
    if (!row || row.clientId !== clientId) return undefined;
    const mail = this.statements.latestDelivery.get({ id });
    return { verification: row, delivery: (mail as Delivery | undefined) ?? null };
  }
}

function cancelOps(db: SqliteDb, st: Statements): CancelOps {
  return {
    loadCancel: ({ id, clientId }) => {
      const row = asVerification(st.verificationById.get({ id }));
      return row?.clientId === clientId ? row : undefined;
    },
    commitCancel: ({ id, now, events }) => {
      const canceled = db
        .update(verifications)
        .set({ status: 'canceled' })
        .where(and(eq(verifications.id, id), eq(verifications.status, 'pending'), gt(verifications.expiresAt, now)))
        .run().changes;
      if (canceled === 0) return false;
      db.delete(verificationCodes).where(eq(verificationCodes.verificationId, id)).run();
      db.update(outbox)
        .set({ status: 'failed', payload: null, lastError: 'verification canceled' })
        .where(and(eq(outbox.verificationId, id), eq(outbox.status, 'queued')))
        .run();
      writeEvents(st, events);
      return true;
    },
  };
}
