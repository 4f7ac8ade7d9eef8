// Where an address stands for a client's sends, for support ("why was my code refused, and
// when can I try again?"): the same read, the same windows and the same decision as a send
// (sendRefusal), and nothing counted or written. The verdict is what a send would be
// answered now — the suppression, the cooldown, the first limit hit; each limit is told
// with its count and reset. The per-IP limit needs the person's IP, which support does
// not have: the verdict is for a send that names none.
import { operations, type Flow } from './flow.js';
import {
  dayMs,
  hourMs,
  retryAfterCooldown,
  retryAfterInBuckets,
  retryAfterInWindow,
  type BucketedWindow,
} from './limits.js';
import type { LimitStanding, SendLimitName, SendStanding } from './model.js';
import type { SendOps, StandingRequest } from './ports.js';
import { bucketedWindows, counterReads, joinable, load, sendRefusal } from './send-flow.js';

const op = operations<SendOps>();

export type { LimitStanding, SendStanding, StandingRequest };

export function* standingFlow(request: StandingRequest): Flow<SendOps, SendStanding> {
  const { limits, now } = request;
  const windows = bucketedWindows(request, limits);
  const reads = counterReads(windows, now);
  const state = yield* load({ ...request, endUserIp: null }, reads);
  const { buckets } = yield* op('countAndRead', { state, read: reads, count: [] });
  const bucketed = (limit: SendLimitName, w: BucketedWindow & { key: string }): LimitStanding => {
    const counted = buckets[w.key] ?? [];
    return {
      limit,
      used: counted.reduce((sum, b) => sum + b.count, 0),
      max: w.limit,
      windowMs: w.windowMs,
      retryAfterMs: retryAfterInBuckets(counted, w, now),
    };
  };
  const hourly = state.sendsToEmail.filter((t) => t > now - hourMs);
  const pending = joinable(state.latest, now);
  const verdict = sendRefusal(state, buckets, request, windows);
  const each: LimitStanding[] = [
    ...(pending && limits.cooldownMs > 0
      ? [
          {
            limit: 'cooldown' as const,
            used: 1,
            max: 1,
            windowMs: limits.cooldownMs,
            retryAfterMs: retryAfterCooldown(pending.lastSentAt, limits.cooldownMs, now),
          },
        ]
      : []),
    bucketed('guessing', windows.guessing),
    {
      limit: 'email_hour',
      used: hourly.length,
      max: limits.perEmailHour,
      windowMs: hourMs,
      retryAfterMs: retryAfterInWindow(hourly, limits.perEmailHour, hourMs, now),
    },
    {
      limit: 'email_day',
      used: state.sendsToEmail.length,
      max: limits.perEmailDay,
      windowMs: dayMs,
      retryAfterMs: retryAfterInWindow(state.sendsToEmail, limits.perEmailDay, dayMs, now),
    },
    bucketed('domain_hour', windows.domain),
    bucketed('global_minute', windows.global),
  ];
  return { verdict, limits: each };
}
