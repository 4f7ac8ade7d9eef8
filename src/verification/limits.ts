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
