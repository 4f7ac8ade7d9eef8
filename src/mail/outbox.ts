// What the mail worker needs of the outbox: rows queued by a send in the same transaction
// as its code, claimed under a lease, then marked sent, deferred, bounced or failed — each
// with its audit events, in the same transaction.
import type { NewEvent } from '../events/model.js';

export interface OutboxMail {
  id: number;
  /** What kind of mail (mail/kinds/); a code's has its verification, another kind has none. */
  kind: string;
  verificationId: string | null;
  /** The person a notice is about (its events' subject); a code's subject is its verification. */
  userRef: string | null;
  clientId: string;
  payload: string;
  attempts: number;
  createdAt: number;
  expiresAt: number;
  /** How long the client keeps an address suppressed after a hard bounce (hours). */
  suppressionHours: number;
}

/** A mail given up on, for the events that record it. */
export interface GivenUpMail {
  id: number;
  verificationId: string | null;
  userRef: string | null;
  clientId: string;
  email: string;
}

/** A hard bounce: the mail is bounced, its address suppressed, the client's other queued mail to it dropped. */
export interface Bounce {
  /** The mail that bounced: by its outbox id (refused at hand-over) or its verification (a later DSN). */
  mail: { outboxId: number } | { verificationId: string };
  /** The receiving server refused it as it was handed over: one more delivery attempt (a later report is about one already counted). */
  handOver: boolean;
  reply: string;
  enhancedStatus: string | null;
  now: number;
  /** The end of the suppression, from the bounced mail's client and address. */
  suppressUntil(mail: { clientId: string; suppressionHours: number }): number;
  /**
   * The events of the bounce (mail.bounced, address.suppressed, mail.suppressed per other
   * mail; person.address_gone per person of the client who proved the address, `provenFor`).
   */
  events(bounced: GivenUpMail, suppressedUntil: number, others: GivenUpMail[], provenFor: string[]): NewEvent[];
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
  markSent(
    id: number,
    now: number,
    result: { reply: string | null; queueId: string | null },
    events: NewEvent[],
  ): Promise<void>;
  /** Refused for now (4xx, no connection): tried again at `nextAttemptAt`. */
  markDeferred(
    id: number,
    nextAttemptAt: number,
    refusal: { reply: string; enhancedStatus: string | null },
    events: NewEvent[],
  ): Promise<void>;
  /** Gives up on the mail and erases its payload. */
  markFailed(id: number, error: string, events: NewEvent[]): Promise<void>;
  /**
   * Records a hard bounce, once: false when the mail is unknown or already bounced (a second
   * DSN for the same mail changes nothing).
   */
  bounce(bounce: Bounce): Promise<boolean>;
  /**
   * A code that has expired is useless: its queued mail is given up and its payload erased,
   * with the events `eventsFor` gives, in the same transaction.
   */
  failExpired(now: number, eventsFor: (mail: GivenUpMail) => NewEvent[]): Promise<number>;
  countQueued(): Promise<number>;
}
