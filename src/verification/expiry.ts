// A verification whose code expired unused is marked expired, once, with its event — so the
// trail (and the portal's webhook) says what became of it. Mail still queued for it is
// given up by the mail worker (mail.failed).
import { byMailcode, event, type NewEvent } from '../events/model.js';
import { aboutVerification } from './audit.js';
import type { Verification } from './model.js';

export interface ExpiryPort {
  /**
   * pending → expired for up to `limit` verifications whose code expired at or before
   * `now`, each with the events `eventsFor` gives, in one transaction; how many.
   */
  expireDue(now: number, limit: number, eventsFor: (v: Pick<Verification, 'id' | 'clientId' | 'email' | 'expiresAt'>) => NewEvent[]): Promise<number>;
}

export const expiredEvents = (v: Pick<Verification, 'id' | 'clientId' | 'email' | 'expiresAt'>): NewEvent[] => [
  event('verification.expired', v.expiresAt, aboutVerification(v), byMailcode),
];

/** Marks what has expired, in batches, every `intervalMs` (timers unref'd: they never keep a process alive). */
export function startExpirySweep(port: ExpiryPort, now: () => number, onError: (error: unknown) => void, intervalMs = 1_000): { stop(): Promise<void>; runOnce(): Promise<number> } {
  let running: Promise<unknown> | undefined;
  const runOnce = async () => {
    let total = 0;
    for (let round = 0; round < 20; round++) {
      const expired = await port.expireDue(now(), 500, expiredEvents);
      total += expired;
      if (expired < 500) break;
    }
    return total;
  };
  const timer = setInterval(() => {
    if (running) return;
    running = runOnce()
      .catch(onError)
      .finally(() => (running = undefined));
  }, intervalMs);
  timer.unref();
  return {
    runOnce,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
