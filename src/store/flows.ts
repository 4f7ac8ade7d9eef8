// The send and attempt rules, written once for both databases. A flow is a generator that
// yields the database operations it needs and receives their results: SQLite runs it
// synchronously inside its write transaction (better-sqlite3 cannot await), PostgreSQL
// awaits each operation inside its transaction. The operations themselves (Ops) are the
// only thing the dialects implement twice.
import {
  bucketStart,
  dayMs,
  hourMs,
  retryAfterCooldown,
  retryAfterInBuckets,
  retryAfterInWindow,
  windowStart,
  wrongCodesWindowMs,
  type BucketedWindow,
} from '../verification/limits.js';
import type { AttemptOutcome, AttemptRequest, Purpose, SendLimits, SendOutcome, SendRequest, Verification } from './types.js';

export interface BucketRow {
  bucket: number;
  count: number;
}

/** The statements of a send and an attempt, in the order the flows use them. */
export interface Ops {
  /**
   * Serializes sends to the same address (and from the same end-user IP) across processes,
   * so a check and the write it allows cannot interleave with another send's.
   */
  lockSend(p: { email: string; ip: string | null }): void;
  latestForAddress(p: { clientId: string; email: string; purpose: Purpose }): Verification | undefined;
  verificationById(p: { id: string }): Verification | undefined;
  /** Newest first, at most `limit`. */
  sendsToEmailSince(p: { email: string; since: number; limit: number }): { createdAt: number }[];
  sendsFromIpSince(p: { ip: string; since: number; limit: number }): { createdAt: number }[];
  /** The counter's buckets from `since` on (the window is passed for stores that keep one key per bucket). */
  bucketsSince(p: { key: string; windowMs: number; since: number }): BucketRow[];
  countInBucket(p: { key: string; windowMs: number; bucket: number }): void;
  insertVerification(p: {
    id: string;
    clientId: string;
    email: string;
    purpose: Purpose;
    locale: string;
    maxAttempts: number;
    now: number;
    expiresAt: number;
  }): Verification;
  joinVerification(p: { id: string; now: number; expiresAt: number }): Verification;
  insertCode(p: { verificationId: string; codeHash: string; now: number }): void;
  keepNewestCodes(p: { verificationId: string; keep: number }): void;
  insertSendEvent(p: { clientId: string; email: string; ip: string | null; now: number }): void;
  insertOutbox(p: { verificationId: string; payload: string; now: number; expiresAt: number }): void;
  /** +1 attempt unless the verification is no longer pending or has none left. */
  countAttempt(p: { id: string }): { attempts: number } | undefined;
  codeHashes(p: { id: string }): { codeHash: string }[];
  /** pending → verified; undefined when another attempt got there first. */
  markVerified(p: { id: string; now: number }): Verification | undefined;
  deleteCodes(p: { id: string }): void;
  lockIfExhausted(p: { id: string }): void;
}

/**
 * The id the unknown-id path runs its statements against: as long as a real one (newId's
 * 16 random bytes are 22 base64url characters), but of '~', which base64url never
 * produces, so it matches no row on either database.
 */
export const unmatchableVerificationId = `vf_${'~'.repeat(22)}`;

/** The counter of attempts on unknown verification ids, per client (a trace of id probing). */
export const unknownIdCounter = 'unknown:';

export type OpName = keyof Ops;
type Params<K extends OpName> = Parameters<Ops[K]>[0];
type Call = { [K in OpName]: { op: K; params: Params<K> } }[OpName];
export type Flow<T> = Generator<Call, T, unknown>;
export type AsyncOps = { [K in OpName]: (p: Params<K>) => Promise<ReturnType<Ops[K]>> };

function* call<K extends OpName>(op: K, params: Params<K>): Generator<Call, ReturnType<Ops[K]>, unknown> {
  return (yield { op, params } as Call) as ReturnType<Ops[K]>;
}

export function runSync<T>(flow: Flow<T>, ops: Ops): T {
  let step = flow.next();
  while (!step.done) step = flow.next((ops[step.value.op] as (p: unknown) => unknown)(step.value.params));
  return step.value;
}

export async function runAsync<T>(flow: Flow<T>, ops: AsyncOps): Promise<T> {
  let step = flow.next();
  while (!step.done) step = flow.next(await (ops[step.value.op] as (p: unknown) => Promise<unknown>)(step.value.params));
  return step.value;
}

/** The bucketed windows of the send limits, from the configured numbers. */
function bucketedWindows(limits: SendLimits) {
  return {
    domain: { windowMs: hourMs, limit: limits.perDomainHour },
    global: { windowMs: 60_000, limit: limits.globalPerMinute },
    guessing: { windowMs: wrongCodesWindowMs, limit: limits.wrongCodesPerEmailHour },
  } satisfies Record<string, BucketedWindow>;
}
type Windows = ReturnType<typeof bucketedWindows>;

function* bucketWait(key: string, window: BucketedWindow, now: number) {
  const buckets = yield* call('bucketsSince', { key, windowMs: window.windowMs, since: windowStart(window, now) });
  return retryAfterInBuckets(buckets, window, now);
}

function countEvent(key: string, window: Pick<BucketedWindow, 'windowMs'>, now: number) {
  return call('countInBucket', { key, windowMs: window.windowMs, bucket: bucketStart(window, now) });
}

export function* sendFlow(request: SendRequest): Flow<SendOutcome> {
  const { limits, now } = request;
  yield* call('lockSend', { email: request.email, ip: request.endUserIp });
  const latest = yield* call('latestForAddress', { clientId: request.clientId, email: request.email, purpose: request.purpose });
  const pending = latest && latest.status === 'pending' && latest.expiresAt > now ? latest : undefined;
  if (pending) {
    const wait = retryAfterCooldown(pending.lastSentAt, limits.cooldownMs, now);
    if (wait > 0) return { kind: 'limited', retryAfterMs: wait, limit: 'cooldown' };
  }
  const windows = bucketedWindows(limits);
  const limited = yield* sendLimitHit(request, windows);
  if (limited) return limited;

  const expiresAt = now + limits.codeTtlMs;
  // Resend joins the pending verification: a new code, a fresh lifetime, the earlier codes
  // kept (the newest few), and the attempts already spent still counted.
  const verification = pending
    ? yield* call('joinVerification', { id: pending.id, now, expiresAt })
    : yield* call('insertVerification', {
        id: request.newVerificationId,
        clientId: request.clientId,
        email: request.email,
        purpose: request.purpose,
        locale: request.locale,
        maxAttempts: limits.maxAttempts,
        now,
        expiresAt,
      });
  yield* call('insertCode', { verificationId: verification.id, codeHash: request.codeHashFor(verification.id), now });
  if (pending) yield* call('keepNewestCodes', { verificationId: verification.id, keep: limits.codesKept });
  yield* call('insertSendEvent', { clientId: request.clientId, email: request.email, ip: request.endUserIp, now });
  yield* call('insertOutbox', { verificationId: verification.id, payload: request.payloadFor(verification), now, expiresAt });
  // The shared counters last: on PostgreSQL their rows are the ones every send updates, so
  // their row locks are held for the shortest time before the commit.
  yield* countEvent(`domain:${request.domain}`, windows.domain, now);
  yield* countEvent('global', windows.global, now);
  return { kind: 'queued', verification, joined: pending !== undefined };
}

/**
 * The limits in the order a person would want them explained: the address first (the
 * usual case), then the end-user IP, then the limits that protect everyone else.
 */
function* sendLimitHit({ email, domain, endUserIp, limits, now }: SendRequest, windows: Windows): Generator<Call, SendOutcome | undefined, unknown> {
  const guessingWait = yield* bucketWait(`wrong:${email}`, windows.guessing, now);
  if (guessingWait > 0) return { kind: 'limited', retryAfterMs: guessingWait, limit: 'guessing' };
  // One read serves both windows: the day's newest sends include the hour's (the daily
  // limit is never below the hourly one; config checks that).
  const daily = (yield* call('sendsToEmailSince', { email, since: now - dayMs, limit: limits.perEmailDay })).map((r) => r.createdAt);
  const hourly = daily.filter((t) => t > now - hourMs).slice(0, limits.perEmailHour);
  const hourWait = retryAfterInWindow(hourly, limits.perEmailHour, hourMs, now);
  if (hourWait > 0) return { kind: 'limited', retryAfterMs: hourWait, limit: 'email_hour' };
  const dayWait = retryAfterInWindow(daily, limits.perEmailDay, dayMs, now);
  if (dayWait > 0) return { kind: 'limited', retryAfterMs: dayWait, limit: 'email_day' };
  if (endUserIp) {
    const fromIp = yield* call('sendsFromIpSince', { ip: endUserIp, since: now - hourMs, limit: limits.perIpHour });
    const ipWait = retryAfterInWindow(
      fromIp.map((r) => r.createdAt),
      limits.perIpHour,
      hourMs,
      now,
    );
    if (ipWait > 0) return { kind: 'limited', retryAfterMs: ipWait, limit: 'ip_hour' };
  }
  const domainWait = yield* bucketWait(`domain:${domain}`, windows.domain, now);
  if (domainWait > 0) return { kind: 'limited', retryAfterMs: domainWait, limit: 'domain_hour' };
  const globalWait = yield* bucketWait('global', windows.global, now);
  if (globalWait > 0) return { kind: 'limited', retryAfterMs: globalWait, limit: 'global_minute' };
  return undefined;
}

function* findTarget(request: AttemptRequest): Generator<Call, Verification | undefined, unknown> {
  if ('verificationId' in request.target) {
    const row = yield* call('verificationById', { id: request.target.verificationId });
    return row && row.clientId === request.clientId ? row : undefined;
  }
  return yield* call('latestForAddress', { clientId: request.clientId, ...request.target });
}

export function* attemptFlow(request: AttemptRequest): Flow<AttemptOutcome> {
  const { now } = request;
  const row = yield* findTarget(request);
  if (!row) {
    // The same statements as a real attempt, so an unknown id is not told apart from a
    // known one by how long the answer takes. They run against an id no row can have: the
    // id the caller sent may be another client's verification, which must stay untouched.
    const id = unmatchableVerificationId;
    yield* call('countAttempt', { id });
    request.matches(
      id,
      (yield* call('codeHashes', { id })).map((r) => r.codeHash),
    );
    yield* call('lockIfExhausted', { id });
    // …and one counter write, as a wrong code makes; it also leaves a trace of id probing.
    yield* countEvent(`${unknownIdCounter}${request.clientId}`, { windowMs: wrongCodesWindowMs }, now);
    return { kind: 'not_found' };
  }
  const verification = row;
  if (row.status === 'verified') return { kind: 'already_verified', verification };
  if (row.status === 'locked') return { kind: 'locked', verification };
  if (row.status === 'canceled') return { kind: 'canceled', verification };
  if (now >= row.expiresAt) return { kind: 'expired', verification };

  // The attempt is counted before the compare, so no answer is ever free. The count is a
  // conditional UPDATE (attempts < max, still pending): on PostgreSQL a concurrent attempt
  // waits for this row and re-checks the condition, so no two attempts share a count.
  const counted = yield* call('countAttempt', { id: row.id });
  if (!counted) {
    // Another attempt changed the row after we read it (only possible where attempts run
    // side by side, as on PostgreSQL): answer from the row as it is now.
    const current = yield* call('verificationById', { id: row.id });
    return current?.status === 'verified' ? { kind: 'already_verified', verification: current } : { kind: 'locked', verification: current ?? verification };
  }
  const matched = request.matches(
    row.id,
    (yield* call('codeHashes', { id: row.id })).map((r) => r.codeHash),
  );
  // Both branches end in one conditional UPDATE, so right and wrong codes cost the same.
  if (matched) {
    const used = yield* call('markVerified', { id: row.id, now });
    if (!used) return { kind: 'already_verified', verification };
    yield* call('deleteCodes', { id: row.id });
    return { kind: 'verified', verification: used };
  }
  yield* call('lockIfExhausted', { id: row.id });
  // Wrong codes also count per address across verifications: a guesser who starts
  // verification after verification still runs out (sends pause; see sendLimitHit).
  yield* countEvent(`wrong:${row.email}`, { windowMs: wrongCodesWindowMs }, now);
  return { kind: 'invalid', attemptsRemaining: Math.max(0, row.maxAttempts - counted.attempts), verification };
}
