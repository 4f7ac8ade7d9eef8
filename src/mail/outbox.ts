// What the mail worker needs of the outbox: rows queued by a send in the same transaction
// as its code, claimed under a lease, then marked sent, retried or failed.

export interface OutboxMail {
  id: number;
  verificationId: string;
  payload: string;
  attempts: number;
  createdAt: number;
  expiresAt: number;
}

export interface OutboxPort {
  /** Leases up to `limit` due mails whose code still lives; nobody else claims them until the lease ends. */
  claimDue(now: number, leaseMs: number, limit: number): Promise<OutboxMail[]>;
  /** Extends the leases of mail still being delivered, so no one else takes it meanwhile. */
  renewLeases(ids: number[], leaseUntil: number): Promise<void>;
  /**
   * Called once when a worker starts: gives back mail a dead process had claimed. SQLite has
   * one process, so every lease found at start is a dead one's; PostgreSQL's leases are
   * short and renewed, so a dead replica's mail comes back within one lease anyway.
   */
  releaseAbandoned(): Promise<number>;
  markSent(id: number, now: number): Promise<void>;
  markRetry(id: number, nextAttemptAt: number, error: string): Promise<void>;
  /** Gives up on the mail and erases its payload. */
  markFailed(id: number, error: string): Promise<void>;
  /** A code that has expired is useless: its queued mail is given up and its payload erased. */
  failExpired(now: number): Promise<number>;
  countQueued(): Promise<number>;
}
