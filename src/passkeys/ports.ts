// What passkeys need of storage: each change one statement or transaction with the events
// that record it (and, when one is added or removed, the notice that tells the person).
import type { NewEvent } from '../events/model.js';
import type { QueuedNotice } from '../people/notices.js';
import type { Challenge, Passkey, PasskeySettings } from './model.js';

export interface PasskeysPort {
  settings(clientId: string): Promise<PasskeySettings | undefined>;
  saveSettings(settings: PasskeySettings, events: NewEvent[]): Promise<void>;

  addChallenge(challenge: Challenge): Promise<void>;
  /** The client's challenge with this hash, taken: never returned twice, whoever races. */
  takeChallenge(clientId: string, hash: string): Promise<Challenge | undefined>;
  /** Forgets challenges that expired before `now`; how many. */
  dropExpiredChallenges(now: number, limit: number): Promise<number>;

  add(passkey: Passkey, events: NewEvent[], notice?: QueuedNotice): Promise<void>;
  /** The client's passkey with this credential id (whoever's it is). */
  byCredential(clientId: string, credentialId: string): Promise<Passkey | undefined>;
  /** The person's passkeys, newest first. */
  list(clientId: string, userRef: string): Promise<Passkey[]>;
  /** A sign-in with it (or one refused for its counter): what changes — if it still exists. */
  used(
    id: string,
    change: Pick<Passkey, 'counter' | 'lastUsedAt' | 'counterWentBackAt'>,
    events: NewEvent[],
  ): Promise<boolean>;
  rename(clientId: string, userRef: string, id: string, name: string, events: NewEvent[]): Promise<Passkey | undefined>;
  /**
   * Removes the person's passkey `id` (all of theirs, without it); those removed. The events
   * and the notice are written only when something was removed.
   */
  remove(
    clientId: string,
    userRef: string,
    events: (removed: Passkey[]) => NewEvent[],
    notice?: QueuedNotice,
    id?: string,
  ): Promise<Passkey[]>;
}
