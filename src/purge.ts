import type { Config } from './config.js';
import type { KeyRing } from './assertions/keyring.js';
import type { Store } from './store/types.js';
import { dayMs } from './verification/limits.js';

/** Deletes what no rule needs any more: old verifications, old send events, dead keys. */
export function purgeExpired(store: Store, keys: KeyRing, config: Config, now: number) {
  return store.purge(now, now - config.RETENTION_DAYS * dayMs, now - dayMs, keys.retiredKeysUnneededBefore(now));
}
