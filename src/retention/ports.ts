// What the hourly purge needs of storage: delete, in short batches, what no rule needs.

export interface PurgeCutoffs {
  now: number;
  /** Verifications that expired before this go, with their codes and outbox rows; so do notices (mail of no verification) that expired before it. */
  verificationsBefore: number;
  /** Send events, send guards and counter buckets older than this go (the limits look back a day). */
  sendEventsBefore: number;
  /** Signing keys retired before this go (no token they signed is still valid). */
  keysRetiredBefore: number;
  /**
   * Audit events older than this go (EVENT_RETENTION_DAYS), and recoveries by email that
   * ended (or whose code expired untyped) before it; ended suppressions go at `now`.
   */
  eventsBefore: number;
}

export interface PurgeResult {
  verifications: number;
  /** Notices (mail beyond the code) past their lifetime and the retention. */
  notices: number;
  sendEvents: number;
  signingKeys: number;
  events: number;
  suppressions: number;
  /** Recoveries by email over (completed, canceled, expired) before the trail's retention; a waiting one stays. */
  recoveries: number;
}

export interface MaintenancePort {
  purge(cutoffs: PurgeCutoffs): Promise<PurgeResult>;
}
