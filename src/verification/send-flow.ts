// The send rules: cooldown, then each limit in the order a person would want it explained,
// then a new verification or a resend that joins the pending one. Two reads and one write:
// the state (one database read), the shared counters (one Redis round trip, or the same
// read), then the whole outcome in one guarded write — read again if another send to the
// same address or from the same IP came in between.
import { event } from '../events/model.js';
import { aboutVerification } from './audit.js';
import { operations, type Flow } from './flow.js';
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
} from './limits.js';
import type { SendLimits, SendLimitName, SendOutcome, SendRefusal, Verification } from './model.js';
import type { BucketRow, CounterIncrement, CounterRead, SendOps, SendRequest, SendState } from './ports.js';

/**
 * How often a send may read again after losing a race: each loss means another send to the
 * address or from the IP went through, so past both hourly limits the limits decide.
 */
export const sendRounds = (limits: SendLimits) => limits.perEmailHour + limits.perIpHour + 1;

const op = operations<SendOps>();

/** The one read of a send (or of a look at the limits: standing.ts). */
export function* load(
  request: Pick<SendRequest, 'clientId' | 'email' | 'purpose' | 'endUserIp' | 'now' | 'limits'>,
  counters: CounterRead[],
): Flow<SendOps, SendState> {
  const { now, limits } = request;
  return yield* op('loadSendState', {
    clientId: request.clientId,
    email: request.email,
    purpose: request.purpose,
    ip: request.endUserIp,
    emailSince: now - dayMs,
    emailLimit: limits.perEmailDay,
    ipSince: now - hourMs,
    ipLimit: limits.perIpHour,
    counters,
    now,
  });
}

/** The bucketed windows of the send limits, from the configured numbers. */
export function bucketedWindows({ email, domain }: Pick<SendRequest, 'email' | 'domain'>, limits: SendLimits) {
  return {
    guessing: { key: `wrong:${email}`, windowMs: wrongCodesWindowMs, limit: limits.wrongCodesPerEmailHour, hot: false },
    domain: { key: `domain:${domain}`, windowMs: hourMs, limit: limits.perDomainHour, hot: true },
    global: { key: 'global', windowMs: 60_000, limit: limits.globalPerMinute, hot: true },
  } satisfies Record<string, BucketedWindow & { key: string; hot: boolean }>;
}

/** The reads of the bucketed counters at `now`. */
export const counterReads = (windows: ReturnType<typeof bucketedWindows>, now: number): CounterRead[] =>
  Object.values(windows).map((w) => ({ key: w.key, windowMs: w.windowMs, since: windowStart(w, now), hot: w.hot }));

/** A pending verification a resend may join: not used, not locked, not expired. */
export function joinable(latest: Verification | undefined, now: number): Verification | undefined {
  return latest && latest.status === 'pending' && latest.expiresAt > now ? latest : undefined;
}

/** The limits the database state decides (the address, then the end-user IP), first hit first. */
function stateLimit(
  state: SendState,
  limits: SendLimits,
  now: number,
): { limit: SendLimitName; wait: number } | undefined {
  // The day's newest sends include the hour's (config keeps the daily limit above the hourly one).
  const hourly = state.sendsToEmail.filter((t) => t > now - hourMs).slice(0, limits.perEmailHour);
  const hourWait = retryAfterInWindow(hourly, limits.perEmailHour, hourMs, now);
  if (hourWait > 0) return { limit: 'email_hour', wait: hourWait };
  const dayWait = retryAfterInWindow(state.sendsToEmail, limits.perEmailDay, dayMs, now);
  if (dayWait > 0) return { limit: 'email_day', wait: dayWait };
  const ipWait = retryAfterInWindow(state.sendsFromIp, limits.perIpHour, hourMs, now);
  if (ipWait > 0) return { limit: 'ip_hour', wait: ipWait };
  return undefined;
}

/**
 * What a send decides from its read, in the order a person would want it explained: the
 * suppression, the cooldown, then the first limit hit — wrong codes to the address, the
 * address's and the IP's sends, the domain's and the global ceilings. Without `buckets`
 * (before the counters are read) only what the state decides. The send and support's look
 * at an address (standing.ts) both decide here.
 */
export function sendRefusal(
  state: SendState,
  buckets: Record<string, BucketRow[]> | undefined,
  request: Pick<SendRequest, 'email' | 'domain' | 'limits' | 'now'>,
  windows: ReturnType<typeof bucketedWindows> = bucketedWindows(request, request.limits),
): SendRefusal | undefined {
  const { limits, now } = request;
  if (state.suppression) return { kind: 'suppressed', ...state.suppression };
  const pending = joinable(state.latest, now);
  // No cooldown configured means none: a resend is then never refused by it, not even
  // when the previous send's process read a clock a millisecond ahead of this one.
  if (pending && limits.cooldownMs > 0) {
    const wait = retryAfterCooldown(pending.lastSentAt, limits.cooldownMs, now);
    if (wait > 0) return { kind: 'limited', retryAfterMs: wait, limit: 'cooldown' };
  }
  const byCounter = (limit: SendLimitName, w: BucketedWindow & { key: string }) => {
    const wait = buckets ? retryAfterInBuckets(buckets[w.key] ?? [], w, now) : 0;
    return wait > 0 ? { limit, wait } : undefined;
  };
  const refusal =
    byCounter('guessing', windows.guessing) ??
    stateLimit(state, limits, now) ??
    byCounter('domain_hour', windows.domain) ??
    byCounter('global_minute', windows.global);
  return refusal && { kind: 'limited', retryAfterMs: refusal.wait, limit: refusal.limit };
}

export function* sendFlow(request: SendRequest): Flow<SendOps, SendOutcome> {
  const { limits, now } = request;
  const windows = bucketedWindows(request, limits);
  const reads: CounterRead[] = Object.values(windows).map((w) => ({
    key: w.key,
    windowMs: w.windowMs,
    since: windowStart(w, now),
    hot: w.hot,
  }));
  // A send that goes out counts once per recipient domain and once globally.
  const increments: CounterIncrement[] = [windows.domain, windows.global].map((w) => ({
    key: w.key,
    windowMs: w.windowMs,
    bucket: bucketStart(w, now),
  }));

  for (let round = 0; ; round++) {
    const state = yield* load(request, reads);
    // What the state alone refuses: a suppression or the cooldown before anything counts.
    const byState = sendRefusal(state, undefined, request, windows);
    if (byState && (byState.kind === 'suppressed' || byState.limit === 'cooldown')) return byState;
    // The shared counters are counted before they are checked (exact across processes),
    // but only for a send the state allows; a refused send gives its count back.
    const counts = yield* op('countAndRead', { state, read: reads, count: byState ? [] : increments });
    const counted = counts.counted && !byState;
    const refusal = sendRefusal(state, counts.buckets, request, windows);
    if (refusal) {
      if (counted) yield* op('uncount', increments);
      return refusal;
    }
    const pending = joinable(state.latest, now);

    const expiresAt = now + limits.codeTtlMs;
    // Resend joins the pending verification: a new code, a fresh lifetime, the newest codes
    // kept, and the attempts already spent still counted.
    const target = pending ?? { id: request.newVerificationId, locale: request.locale };
    const subject = aboutVerification({ clientId: request.clientId, id: target.id, email: request.email });
    const verification = yield* op('commitSend', {
      clientId: request.clientId,
      email: request.email,
      ip: request.endUserIp,
      now,
      expiresAt,
      codeHash: request.codeHashFor(target.id),
      userRef: request.userRef,
      link: request.link,
      payload: request.payloadFor(target),
      guard: state.guard,
      count: counted ? [] : increments,
      events: [
        pending
          ? event('verification.code_resent', now, subject, request.context, {
              sendCount: pending.sendCount + 1,
              expiresAt,
            })
          : event('verification.created', now, subject, request.context, {
              purpose: request.purpose,
              locale: request.locale,
              expiresAt,
            }),
      ],
      verification: pending
        ? { kind: 'join', id: pending.id, keepCodes: limits.codesKept }
        : {
            kind: 'new',
            id: request.newVerificationId,
            purpose: request.purpose,
            locale: request.locale,
            maxAttempts: limits.maxAttempts,
          },
    });
    if (verification) return { kind: 'queued', verification, joined: pending !== undefined };
    // Another send to this address (or from this IP) came between the read and the write:
    // decide again on the new state. Each lost round is another send that went through.
    if (counted) yield* op('uncount', increments);
    if (round + 1 >= sendRounds(limits)) return { kind: 'limited', retryAfterMs: 1_000, limit: 'cooldown' };
  }
}
