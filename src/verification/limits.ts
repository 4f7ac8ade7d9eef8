// Sliding-window send limits as plain functions of recorded send times.

/**
 * Given the send times inside the window (newest first, at most `max` of them), how long
 * until one more send is allowed; 0 when it is allowed now.
 */
export function retryAfterInWindow(newestFirst: readonly number[], max: number, windowMs: number, now: number): number {
  if (newestFirst.length < max) return 0;
  const oldestCounted = newestFirst[max - 1]!;
  return Math.max(0, oldestCounted + windowMs - now);
}

/** Resends of one pending verification wait for the cooldown after the previous mail. */
export function retryAfterCooldown(lastSentAt: number, cooldownMs: number, now: number): number {
  return Math.max(0, lastSentAt + cooldownMs - now);
}

export const hourMs = 3_600_000;
export const dayMs = 86_400_000;

/** Wrong codes count per address over this window, across verifications. */
export const wrongCodesWindowMs = hourMs;

/**
 * A bucketed window: the window is split into 60 buckets; an event counts in the bucket
 * its time falls in, and a bucket leaves the window 60 buckets after it started.
 */
export interface BucketedWindow {
  windowMs: number;
  limit: number;
}

export const bucketsPerWindow = 60;

export function bucketStart(window: Pick<BucketedWindow, 'windowMs'>, now: number): number {
  const size = window.windowMs / bucketsPerWindow;
  return Math.floor(now / size) * size;
}

/** The first bucket start still inside the window at `now`. */
export function windowStart(window: Pick<BucketedWindow, 'windowMs'>, now: number): number {
  return bucketStart(window, now) - (window.windowMs / bucketsPerWindow) * (bucketsPerWindow - 1);
}

/**
 * How long until one more event fits, given the buckets inside the window (any order);
 * 0 when it fits now. Old buckets leave the window one by one until the sum is below
 * the limit.
 */
export function retryAfterInBuckets(
  buckets: readonly { bucket: number; count: number }[],
  window: BucketedWindow,
  now: number,
): number {
  let total = buckets.reduce((sum, b) => sum + b.count, 0);
  if (total < window.limit) return 0;
  for (const b of [...buckets].sort((x, y) => x.bucket - y.bucket)) {
    total -= b.count;
    if (total < window.limit) return Math.max(0, b.bucket + window.windowMs - now);
  }
  return window.windowMs;
}
