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

/** Marks what has expired, in batches, every `intervalMs` once started (its timer is unref'd). */
export class ExpirySweep {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly port: ExpiryPort,
    private readonly now: () => number,
    private readonly onError: (error: unknown) => void,
  ) {}

  async runOnce(): Promise<number> {
    let total = 0;
    for (let round = 0; round < 20; round++) {
      const expired = await this.port.expireDue(this.now(), 500, expiredEvents);
      total += expired;
      if (expired < 500) break;
    }
    return total;
  }

  start(intervalMs = 1_000): void {
    this.timer = setInterval(() => {
      this.running ??= this.runOnce()
        .catch(this.onError)
        .finally(() => (this.running = undefined));
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
