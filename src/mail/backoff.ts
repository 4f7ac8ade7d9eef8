/**
 * Exponential backoff with jitter: 1 s, 2 s, 4 s … capped at a minute, each drawn between
 * half and the whole step, so a burst of failed mails does not retry in lockstep.
 */
export function retryDelayMs(
  attempt: number,
  random: () => number = Math.random,
  baseMs = 1_000,
  capMs = 60_000,
): number {
  const step = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 16));
  return Math.round(step / 2 + (random() * step) / 2);
}
