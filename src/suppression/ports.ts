// What suppression needs of storage. Suppressions are made by a bounce (OutboxPort.bounce),
// in the transaction that records it; here they are read and lifted.
import type { NewEvent } from '../events/model.js';
import type { Suppression } from './model.js';

export interface SuppressionsPort {
  /** The client's suppressions that still last at `now`, newest first. */
  list(clientId: string, now?: number): Promise<Suppression[]>;
  /** Every client's suppression of the address that still lasts at `now` (the console's lookup). */
  findByEmail(email: string, now: number): Promise<Suppression[]>;
  /** Lifts the client's suppression of the address, with its events; false when there is none. */
  lift(clientId: string, email: string, events: NewEvent[]): Promise<boolean>;
}
