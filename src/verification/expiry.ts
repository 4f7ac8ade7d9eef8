// A verification whose code expired unused is marked expired, once, with its event — so the
// trail (and the portal's webhook) says what became of it. Mail still queued for it is
// given up by the mail worker (mail.failed).
//
// The sweep walks expiry times forward: each pass looks only at the codes that expired
// since the last one (the expiry-time index answers that range), so no index has to follow
// a verification's status. An index on pending verifications did: every right or wrong
// code rewrote its entry, a cost paid by every attempt for a once-a-second query.
import { byMailcode, event, type NewEvent } from '../events/model.js';
import { aboutVerification } from './audit.js';
import type { Verification } from './model.js';
import type { BackgroundJob } from '../shared/background.js';

/** Codes that expired after `after` and at or before `upTo` (ms). */
export interface ExpiryWindow {
  after: number;
  upTo: number;
}

export interface ExpiryPort {
  /**
   * How far back a sweep looks again: 0 where writes are serialized (SQLite); on
   * PostgreSQL a pass skips rows an attempt holds locked, and the next passes see them.
   */
  readonly expiryLookbackMs: number;
  /**
   * pending → expired for up to `limit` verifications whose code expired in `window`,
   * each with the events `eventsFor` gives, in one transaction; how many.
   */
  expireDue(
    window: ExpiryWindow,
    limit: number,
    eventsFor: (v: Pick<Verification, 'id' | 'clientId' | 'email' | 'expiresAt'>) => NewEvent[],
  ): Promise<number>;
}

export const expiredEvents = (v: Pick<Verification, 'id' | 'clientId' | 'email' | 'expiresAt'>): NewEvent[] => [
  event('verification.expired', v.expiresAt, aboutVerification(v), byMailcode),
];

/** Verifications marked per transaction, and full batches per pass. */
const batch = 500;
const fullBatchesPerPass = 20;
/**
 * The widest stretch of expiry times one transaction looks through: a first pass catching
 * up on the retention's days goes an hour at a time, so no transaction reads them all.
 */
const sliceMs = 3_600_000;

/** A background job (shared/background.ts): marks what has expired, in batches, every second. */
export class ExpirySweep implements BackgroundJob {
  readonly name = 'expiry';
  readonly idleMs = 1_000;
  /** Every pending verification that expired at or before this time is marked (ms). */
  private sweptUpTo: number | undefined;

  /**
   * `catchUpMs`: how far back the first pass looks — what expired while no process swept.
   * The event retention is enough: an older event would be purged as soon as written.
   */
  constructor(
    private readonly port: ExpiryPort,
    private readonly now: () => number,
    private readonly catchUpMs: number,
  ) {}

  async runOnce(): Promise<number> {
    const upTo = this.now();
    let after = this.sweptUpTo === undefined ? upTo - this.catchUpMs : this.sweptUpTo - this.port.expiryLookbackMs;
    let total = 0;
    let fullBatches = 0;
    while (after < upTo && fullBatches < fullBatchesPerPass) {
      const end = Math.min(upTo, after + sliceMs);
      const expired = await this.port.expireDue({ after, upTo: end }, batch, expiredEvents);
      total += expired;
      // A full batch may have left more in the slice (the marked ones are no longer
      // pending): the same slice again. Otherwise the slice is done.
      if (expired === batch) fullBatches++;
      else after = end;
    }
    // The next pass goes on from what this one finished.
    this.sweptUpTo = Math.max(this.sweptUpTo ?? -Infinity, after);
    return total;
  }

  /** Every second: a pass catches up by itself (see runOnce), so it never asks for another at once. */
  async pass(): Promise<boolean> {
    await this.runOnce();
    return false;
  }
}
