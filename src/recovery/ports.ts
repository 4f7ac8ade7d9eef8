// What recoveries need of storage. Each change is one transaction with the events that
// record it and, when there is one, the notice that tells the person: nothing is changed
// without its trail and its mail.
import type { NewEvent } from '../events/model.js';
import type { QueuedNotice } from '../people/notices.js';
import type { Recovery, RecoveryEndedBy } from './model.js';

export interface RecoveryEnd {
  at: number;
  by: RecoveryEndedBy;
  reason: string | null;
}

export interface RecoveriesPort {
  /**
   * A new recovery (code_sent), unless the person has an open one: a code_sent one past its
   * code's expiry is marked expired first. False when another is open (nothing written).
   */
  create(recovery: Recovery, now: number, events: NewEvent[]): Promise<boolean>;
  get(clientId: string, userRef: string, id: string): Promise<Recovery | undefined>;
  /** The person's recoveries, newest first. */
  list(clientId: string, userRef: string, limit: number): Promise<Recovery[]>;
  /**
   * Counts a wrong code on a recovery that mailed nothing, unless `max` were counted; the
   * count after it, or undefined when it was already at `max`.
   */
  countDecoyAttempt(id: string, max: number): Promise<number | undefined>;
  /** code_sent → waiting; false when it was no longer code_sent. */
  start(
    id: string,
    startedAt: number,
    completesAt: number,
    events: NewEvent[],
    notice?: QueuedNotice,
  ): Promise<boolean>;
  /** code_sent or waiting → canceled; false when it was neither. */
  cancel(id: string, end: RecoveryEnd, events: NewEvent[], notice?: QueuedNotice): Promise<boolean>;
  /**
   * waiting → completed, and every authenticator of the person (with its recovery codes)
   * removed, in one transaction; false when it was no longer waiting.
   */
  complete(id: string, end: RecoveryEnd, events: NewEvent[], notice?: QueuedNotice): Promise<boolean>;
  /** Waiting recoveries whose time has come, oldest first. */
  due(now: number, limit: number): Promise<Recovery[]>;
}
