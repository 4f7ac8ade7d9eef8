// Retention: what the service keeps, and for how long.
import type { KeyRing } from '../assertions/keyring.js';
import { dayMs } from '../verification/limits.js';
import type { MaintenancePort, PurgeResult } from './ports.js';

/**
 * Deletes what no rule needs any more: verifications past their retention, send events
 * older than the day the limits look back, audit events past their retention, ended
 * suppressions, and keys no valid token was signed with.
 */
export function purgeExpired(
  maintenance: MaintenancePort,
  keys: KeyRing,
  retentionDays: number,
  now: number,
  eventRetentionDays = 30,
): Promise<PurgeResult> {
  return maintenance.purge({
    now,
    verificationsBefore: now - retentionDays * dayMs,
    eventsBefore: now - eventRetentionDays * dayMs,
    sendEventsBefore: now - dayMs,
    keysRetiredBefore: keys.retiredKeysUnneededBefore(now),
  });
}
