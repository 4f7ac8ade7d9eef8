// What trusted browsers need of storage: each change one statement or transaction, with the
// events that record it (and, when trusting, the notice that tells the person).
import type { NewEvent } from '../events/model.js';
import type { QueuedNotice } from '../people/notices.js';
import type { TrustedBrowser, TrustEnd } from './model.js';

export interface TrustedBrowsersPort {
  add(browser: TrustedBrowser, events: NewEvent[], notice?: QueuedNotice): Promise<void>;
  /** The client's person's browser whose current or previous token has one of these hashes. */
  byToken(clientId: string, userRef: string, hashes: string[]): Promise<TrustedBrowser | undefined>;
  /**
   * The token moves on: `from` becomes the previous one, `to` the current, and the browser
   * is used now — only if `from` is still current and the trust not ended (false otherwise).
   */
  rotate(id: string, from: string, to: string, now: number, events: NewEvent[]): Promise<boolean>;
  /** Ends these of the person's browsers (all, without `id`) still trusted; how many. */
  end(
    clientId: string,
    userRef: string,
    reason: TrustEnd,
    now: number,
    events: (ended: TrustedBrowser[]) => NewEvent[],
    id?: string,
  ): Promise<number>;
  /** The person's browsers not ended, newest first. */
  list(clientId: string, userRef: string): Promise<TrustedBrowser[]>;
}
