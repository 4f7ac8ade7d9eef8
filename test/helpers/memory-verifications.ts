// The verification ports in memory, for the flows' unit tests: the rules run exactly as
// they do on a database, without one. Writes can be made to lose a race on purpose.
import type { ProvenAddress } from '../../src/verification/proven.js';
import { decoyVerificationId } from '../../src/verification/attempt-flow.js';
import type { SendLimits, Verification } from '../../src/verification/model.js';
import type { NewEvent } from '../../src/events/model.js';
import type {
  AttemptOps,
  BucketRow,
  CounterIncrement,
  LinkOps,
  SendLink,
  SendOps,
  Suppressed,
} from '../../src/verification/ports.js';

/** The limits the flows' unit tests send under (ASVS-like defaults, small enough to reach). */
export const testSendLimits: SendLimits = {
  codeTtlMs: 600_000,
  cooldownMs: 60_000,
  maxAttempts: 5,
  perEmailHour: 5,
  perEmailDay: 10,
  perIpHour: 20,
  perDomainHour: 1_000,
  globalPerMinute: 1_000,
  wrongCodesPerEmailHour: 20,
  codesKept: 3,
  unknownLinksPerIpHour: 30,
};

/**
 * A store holding one pending verification `vf_1` of cl_acme for a@acme.example, sent a
 * second before `now`, whose code hashes to 'right' — as the flows' tests start.
 */
export function withPendingVerification(now: number, changes: Partial<Verification> = {}): MemoryVerifications {
  const store = new MemoryVerifications();
  store.verifications.set('vf_1', {
    id: 'vf_1',
    clientId: 'cl_acme',
    email: 'a@acme.example',
    purpose: 'login',
    locale: 'en',
    status: 'pending',
    attempts: 0,
    maxAttempts: 5,
    sendCount: 1,
    createdAt: now - 1_000,
    lastSentAt: now - 1_000,
    expiresAt: now + 600_000,
    verifiedAt: null,
    verifiedWith: null,
    userRef: null,
    ...changes,
  } as Verification);
  store.codes.set('vf_1', ['right']);
  return store;
}

export class MemoryVerifications {
  /** The addresses right codes proved for people, as the stores record them with the verification. */
  readonly proven: ProvenAddress[] = [];
  /** The client's decoy verification, made on first use here (the databases make it with the client). */
  decoyOf(clientId: string): Verification {
    const id = decoyVerificationId(clientId);
    const made = this.verifications.get(id);
    if (made) return made;
    const decoy: Verification = {
      id,
      clientId,
      email: '~',
      purpose: 'login',
      locale: 'en',
      status: 'pending',
      attempts: 0,
      maxAttempts: 2_147_483_647,
      sendCount: 0,
      createdAt: 0,
      lastSentAt: 0,
      expiresAt: 8_640_000_000_000_000,
      verifiedAt: null,
      verifiedWith: null,
      userRef: null,
    };
    this.verifications.set(id, decoy);
    this.codes.set(id, ['decoy-hash-nothing-matches']);
    return decoy;
  }

  readonly verifications = new Map<string, Verification>();
  readonly codes = new Map<string, string[]>();
  /** Continue links by verification id, oldest first. */
  readonly links = new Map<string, SendLink[]>();
  readonly sends: { email: string; ip: string | null; at: number }[] = [];
  readonly outbox: { verificationId: string; payload: string }[] = [];
  readonly guards = new Map<string, number>();
  readonly counters = new Map<string, number>();
  /** The audit trail: events written with the changes they record. */
  readonly events: NewEvent[] = [];
  /** Suppressed addresses by `${clientId}|${email}`. */
  readonly suppressions = new Map<string, Suppressed>();
  /** Every operation called, in order: what the flows did, for the tests to read. */
  readonly calls: string[] = [];
  /** Another send lands between the next read and its write this many times. */
  interleavedSends = 0;

  private count(increments: CounterIncrement[]) {
    for (const e of increments)
      this.counters.set(`${e.key}|${e.bucket}`, (this.counters.get(`${e.key}|${e.bucket}`) ?? 0) + 1);
  }

  private buckets(key: string, since: number): BucketRow[] {
    return [...this.counters].flatMap(([name, count]) => {
      const [k, bucket] = name.split('|') as [string, string];
      return k === key && Number(bucket) >= since ? [{ bucket: Number(bucket), count }] : [];
    });
  }

  readonly sendOps: SendOps = {
    loadSendState: (q) => {
      this.calls.push('loadSendState');
      const latest = [...this.verifications.values()]
        .filter((v) => v.clientId === q.clientId && v.email === q.email && v.purpose === q.purpose)
        .sort((a, b) => b.createdAt - a.createdAt)[0];
      const newest = (list: number[], limit: number) => list.sort((a, b) => b - a).slice(0, limit);
      const state = {
        latest: latest && { ...latest },
        sendsToEmail: newest(
          this.sends.filter((s) => s.email === q.email && s.at > q.emailSince).map((s) => s.at),
          q.emailLimit,
        ),
        sendsFromIp:
          q.ip === null
            ? []
            : newest(
                this.sends.filter((s) => s.ip === q.ip && s.at > q.ipSince).map((s) => s.at),
                q.ipLimit,
              ),
        guard: {
          email: this.guards.get(`email:${q.email}`) ?? null,
          ip: q.ip === null ? null : (this.guards.get(`ip:${q.ip}`) ?? null),
        },
        buckets: Object.fromEntries(q.counters.map((c) => [c.key, this.buckets(c.key, c.since)])),
        suppression: [this.suppressions.get(`${q.clientId}|${q.email}`)].find(
          (s) => s !== undefined && s.until > q.now,
        ),
      };
      if (this.interleavedSends > 0) {
        this.interleavedSends--;
        this.guards.set(`email:${q.email}`, (this.guards.get(`email:${q.email}`) ?? 0) + 1);
      }
      return state;
    },
    countAndRead: (q) => {
      this.calls.push('countAndRead');
      return { buckets: q.state.buckets, counted: false };
    },
    uncount: (increments) => {
      this.calls.push('uncount');
      for (const e of increments)
        this.counters.set(`${e.key}|${e.bucket}`, (this.counters.get(`${e.key}|${e.bucket}`) ?? 0) - 1);
    },
    commitSend: (w) => {
      this.calls.push('commitSend');
      const keys = [`email:${w.email}`, ...(w.ip === null ? [] : [`ip:${w.ip}`])];
      const seen = [w.guard.email, ...(w.ip === null ? [] : [w.guard.ip])];
      if (keys.some((key, i) => (this.guards.get(key) ?? null) !== seen[i])) return undefined;
      const v = w.verification;
      let verification: Verification;
      if (v.kind === 'join') {
        const pending = this.verifications.get(v.id);
        if (pending?.status !== 'pending' || pending.expiresAt <= w.now) return undefined;
        verification = {
          ...pending,
          lastSentAt: w.now,
          expiresAt: w.expiresAt,
          sendCount: pending.sendCount + 1,
          userRef: w.userRef ?? pending.userRef,
        };
        this.codes.set(v.id, [...(this.codes.get(v.id) ?? []), w.codeHash].slice(-v.keepCodes));
        this.links.set(v.id, [...(this.links.get(v.id) ?? []), ...(w.link ? [w.link] : [])].slice(-v.keepCodes));
      } else {
        verification = {
          id: v.id,
          clientId: w.clientId,
          email: w.email,
          purpose: v.purpose,
          locale: v.locale,
          status: 'pending',
          attempts: 0,
          maxAttempts: v.maxAttempts,
          sendCount: 1,
          createdAt: w.now,
          lastSentAt: w.now,
          expiresAt: w.expiresAt,
          verifiedAt: null,
          verifiedWith: null,
          userRef: w.userRef,
        };
        this.codes.set(v.id, [w.codeHash]);
        this.links.set(v.id, w.link ? [w.link] : []);
      }
      this.verifications.set(verification.id, verification);
      for (const key of keys) this.guards.set(key, (this.guards.get(key) ?? 0) + 1);
      this.sends.push({ email: w.email, ip: w.ip, at: w.now });
      this.outbox.push({ verificationId: verification.id, payload: w.payload });
      this.count(w.count);
      this.events.push(...w.events);
      return { ...verification };
    },
  };

  /** Another attempt is counted between the next read and its write this many times. */
  interleavedAttempts = 0;

  readonly attemptOps: AttemptOps = {
    loadAttempt: ({ clientId, target }) => {
      this.calls.push('loadAttempt');
      const found =
        'verificationId' in target
          ? this.verifications.get(target.verificationId)
          : [...this.verifications.values()]
              .filter((v) => v.clientId === clientId && v.email === target.email && v.purpose === target.purpose)
              .sort((a, b) => b.createdAt - a.createdAt)[0];
      const row = found?.clientId === clientId ? found : undefined;
      const snapshot = row && { ...row };
      if (row && this.interleavedAttempts > 0) {
        this.interleavedAttempts--;
        row.attempts++;
      }
      if (!row) {
        // As the databases do: the client's decoy, read in place of what is not there.
        const decoy = this.decoyOf(clientId);
        return {
          verification: undefined,
          decoy: { id: decoy.id, attempts: decoy.attempts },
          codeHashes: [...(this.codes.get(decoy.id) ?? [])],
        };
      }
      return { verification: snapshot, codeHashes: [...(this.codes.get(row.id) ?? [])] };
    },
    commitAttempt: (w) => {
      this.calls.push(`commitAttempt:${w.outcome}`);
      this.count(w.count);
      const row = this.verifications.get(w.id);
      if (row?.status !== 'pending' || row.attempts !== w.seenAttempts || row.expiresAt <= w.now) return undefined;
      row.attempts++;
      if (w.outcome === 'wrong') {
        if (row.attempts >= row.maxAttempts) row.status = 'locked';
      } else {
        row.status = 'verified';
        row.verifiedAt = w.now;
        row.verifiedWith = w.verifiedWith;
        this.codes.delete(w.id);
        if (w.proven) this.proven.push(w.proven);
      }
      this.events.push(...w.events);
      return { ...row };
    },
  };

  readonly linkOps: LinkOps = {
    loadLink: ({ clientId, linkHashes, probes }) => {
      this.calls.push('loadLink');
      const found = [...this.links].flatMap(([id, list]) =>
        list.filter((l) => linkHashes.includes(l.linkHash)).map((l) => ({ id, ...l })),
      )[0];
      const row = found && this.verifications.get(found.id);
      const mine = row?.clientId === clientId ? row : undefined;
      if (mine && this.interleavedAttempts > 0) {
        this.interleavedAttempts--;
        const snapshot = { ...mine };
        mine.attempts++;
        return {
          verification: snapshot,
          bindingHash: found!.bindingHash,
          probes: this.buckets(probes.key, probes.since),
        };
      }
      return {
        verification: mine && { ...mine },
        bindingHash: mine ? found!.bindingHash : null,
        probes: this.buckets(probes.key, probes.since),
      };
    },
    commitAttempt: (w) => this.attemptOps.commitAttempt(w),
    recordLinkRefusal: (w) => {
      this.calls.push('recordLinkRefusal');
      this.count(w.count);
      this.events.push(...w.events);
    },
  };
}
