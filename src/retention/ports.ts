// What the hourly purge needs of storage: delete, in short batches, what no rule needs.

export interface PurgeCutoffs {
  now: number;
  /** Verifications that expired before this go, with their codes and outbox rows. */
  verificationsBefore: number;
  /** Send events, send guards and counter buckets older than this go (the limits look back a day). */
  sendEventsBefore: number;
  /** Signing keys retired before this go (no token they signed is still valid). */
  keysRetiredBefore: number;
}

export interface PurgeResult {
  verifications: number;
  sendEvents: number;
  signingKeys: number;
}

export interface MaintenancePort {
  purge(cutoffs: PurgeCutoffs): Promise<PurgeResult>;
}
