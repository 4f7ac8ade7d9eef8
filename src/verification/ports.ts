// What email verification needs of storage, in the words of its flows. A request is two
// steps against the database: read everything the decision needs (load*), then write the
// whole outcome at once (commit*), guarded by what the decision assumed. The rules between
// the two steps are in the flows (send-flow.ts, attempt-flow.ts, link-flow.ts,
// cancel-flow.ts), written once for every adapter; an adapter only runs them.
import type { ProvenAddress } from './proven.js';
import type { RequestContext, NewEvent } from '../events/model.js';
import type { ExpiryPort } from './expiry.js';
import type { Flow } from './flow.js';
import type { Delivery, CodePurpose, SendLimits, Verification, VerificationTarget, VerifiedWith } from './model.js';

/** One bucket of a bucketed counter (see limits.ts). */
export interface BucketRow {
  bucket: number;
  count: number;
}

/** A counter to read: its buckets from `since` on. */
export interface CounterRead {
  key: string;
  windowMs: number;
  since: number;
  /**
   * Updated by every send (the global ceiling, a recipient domain): a store shared by
   * several processes keeps it out of database rows they would all wait on (Redis).
   */
  hot?: boolean;
}

/** One increment of a windowed counter, in the bucket its time falls in. */
export interface CounterIncrement {
  key: string;
  windowMs: number;
  bucket: number;
}

/**
 * The versions of the send guards of the address and of the end-user IP as read (null: no
 * send yet). Every send bumps them, so a write that finds other versions knows another
 * send came between its read and its write.
 */
export interface SendGuard {
  email: number | null;
  ip: number | null;
}

export interface SendQuery {
  clientId: string;
  email: string;
  purpose: CodePurpose;
  ip: string | null;
  /** Sends to the address after `emailSince`, newest first, at most `emailLimit`. */
  emailSince: number;
  emailLimit: number;
  ipSince: number;
  ipLimit: number;
  /** Counters read with the state where the database keeps them (one read, not three). */
  counters: CounterRead[];
  /** A suppression of the address is read with the state while it lasts past `now`. */
  now: number;
}

export interface SendState {
  /** The newest verification of this client, address and purpose. */
  latest: Verification | undefined;
  sendsToEmail: number[];
  sendsFromIp: number[];
  guard: SendGuard;
  /** The counters of the query by key, when the database keeps them; else {}. */
  buckets: Record<string, BucketRow[]>;
  /** The client's suppression of the address (after a hard bounce), while it lasts. */
  suppression: Suppressed | undefined;
}

/** Why and until when mail to an address is not sent. */
export interface Suppressed {
  reason: string;
  /** The refusal's RFC 3463 status (5.1.1: mailbox unknown), when it gave one. */
  enhancedStatus: string | null;
  until: number;
}

export interface CountQuery {
  state: SendState;
  read: CounterRead[];
  /** Events to count now where hot counters are shared (Redis); else left to commitSend. */
  count: CounterIncrement[];
}

export interface Counted {
  /** The buckets by key, as they were before this send's increments. */
  buckets: Record<string, BucketRow[]>;
  /** Whether `count` was counted already; if not, commitSend counts it in its transaction. */
  counted: boolean;
}

export interface SendWrite {
  clientId: string;
  email: string;
  /** The person the address is being proven for: a first send records it, a resend that names one replaces it. */
  userRef: string | null;
  ip: string | null;
  now: number;
  expiresAt: number;
  codeHash: string;
  /** The keyed hashes of this mail's continue link and of the browser it is bound to, when it carries one. */
  link: SendLink | null;
  /** The sealed outbox payload of this send's mail. */
  payload: string;
  guard: SendGuard;
  /** Counter increments to write in the same transaction. */
  count: CounterIncrement[];
  /** The audit events of this send, written with it (or not at all). */
  events: NewEvent[];
  verification:
    | { kind: 'new'; id: string; purpose: CodePurpose; locale: string; maxAttempts: number }
    /** A resend: a fresh lifetime, one more send; only while it is still pending. */
    | { kind: 'join'; id: string; keepCodes: number };
}

export interface SendLink {
  linkHash: string;
  bindingHash: string | null;
}

/** The operations of a send, in the order sendFlow uses them. */
export interface SendOps {
  loadSendState(query: SendQuery): SendState;
  countAndRead(query: CountQuery): Counted;
  /** Gives back the increments countAndRead counted, for a send that was refused after all. */
  uncount(increments: CounterIncrement[]): void;
  /**
   * Writes the verification (new or joined), its code, the send event, the outbox row and
   * the counter increments at once — or nothing, and undefined, when the guard versions have
   * moved or a joined verification is no longer pending.
   */
  commitSend(write: SendWrite): Verification | undefined;
}

export interface AttemptQuery {
  clientId: string;
  target: VerificationTarget;
  /** The client's decoy (attempt-flow.ts), read in place of a target that is not found. */
  decoyId: string;
}

export interface AttemptState {
  /** The client's verification the target names (another client's is not found). */
  verification: Verification | undefined;
  /**
   * When the target names none: the client's decoy verification (decoyVerificationId), read
   * instead, with its code hashes, so that the attempt is counted on a row as a wrong code's
   * is. Absent where a store keeps none.
   */
  decoy?: { id: string; attempts: number };
  codeHashes: string[];
}

export interface AttemptWrite {
  id: string;
  now: number;
  /**
   * The attempt count the decision read. The write counts this attempt and records its
   * outcome at once, only if the count is still this one, the verification still pending
   * and unexpired: otherwise another attempt came first and nothing is written.
   */
  seenAttempts: number;
  /** verified: pending → verified and the codes erased; wrong: locked if it was the last attempt. */
  outcome: 'verified' | 'wrong';
  /** What verified it, recorded with a verified outcome. */
  verifiedWith: VerifiedWith;
  /**
   * Counter increments of this attempt (wrong codes per address, probes of unknown ids),
   * written whether or not the guard held: the code was compared either way.
   */
  count: CounterIncrement[];
  /** The audit events of the outcome (verified, locked), written only with it. */
  events: NewEvent[];
  /** The address a right code proved for a person (people/), written only with the outcome. */
  proven: ProvenAddress | null;
}

export interface AttemptOps {
  loadAttempt(query: AttemptQuery): AttemptState;
  /** The verification as written, or undefined when the guard did not hold (nothing written). */
  commitAttempt(write: AttemptWrite): Verification | undefined;
}

export interface LinkQuery {
  clientId: string;
  /** The token's hash under each key (CODE_SECRET rotation): at most one is stored. */
  linkHashes: string[];
  /** The count of unknown and used links from this IP for this client. */
  probes: CounterRead;
}

export interface LinkState {
  /** The verification of the link, if it is this client's (another client's is not found). */
  verification: Verification | undefined;
  bindingHash: string | null;
  probes: BucketRow[];
}

export interface LinkOps {
  loadLink(query: LinkQuery): LinkState;
  /** The same write as a right code's (see AttemptOps). */
  commitAttempt(write: AttemptWrite): Verification | undefined;
  /** A refused link: its counter increments and its event, written together. */
  recordLinkRefusal(write: { count: CounterIncrement[]; events: NewEvent[] }): void;
}

export interface SendRequest {
  clientId: string;
  email: string;
  /** The person the portal sends this code for (people/), when it names one. */
  userRef: string | null;
  /** The address's domain (punycode), for the per-domain limit. */
  domain: string;
  purpose: CodePurpose;
  locale: string;
  /** The end-user IP key (an IPv4 address or an IPv6 /64), when the portal gave one. */
  endUserIp: string | null;
  now: number;
  limits: SendLimits;
  newVerificationId: string;
  codeHashFor(verificationId: string): string;
  /** The sealed outbox payload for the mail of this send. */
  payloadFor(verification: { id: string; locale: string }): string;
  /** This mail's continue link, when it carries one. */
  link: SendLink | null;
  context: RequestContext;
}

export type StandingRequest = Pick<SendRequest, 'clientId' | 'email' | 'domain' | 'purpose' | 'now' | 'limits'>;

export interface AttemptRequest {
  clientId: string;
  target: VerificationTarget;
  now: number;
  /** Compares the submitted code with the stored hashes (constant time). */
  matches(verificationId: string, storedHashes: readonly string[]): boolean;
  context: RequestContext;
  /** A recovery's code (recovery/): only a recovery's verification is found, and a portal's attempt never finds one. */
  recovery?: boolean;
}

export interface LinkRequest {
  clientId: string;
  linkHashes: string[];
  /** Whether the portal's binding is the one stored with the link (constant time). */
  sameBrowser(storedBindingHash: string | null): boolean;
  /** The client allows its links in any browser. */
  anyBrowser: boolean;
  /** The end-user IP key (or the portal's IP), for the count of unknown links. */
  ipKey: string;
  now: number;
  limits: SendLimits;
  context: RequestContext;
}

/** The operations of a cancel (cancel-flow.ts). */
export interface CancelOps {
  /** The client's own verification (another client's is not found). */
  loadCancel(query: { id: string; clientId: string }): Verification | undefined;
  /**
   * pending → canceled, its codes erased and its queued mail dropped, with its events, in one
   * transaction — only while it is still pending and unexpired at `now` (else nothing is
   * written, and false).
   */
  commitCancel(write: { id: string; now: number; events: NewEvent[] }): boolean;
}

/**
 * The port the verification service uses (and the expiry sweep: see expiry.ts). The rules
 * are the flows' (send-flow.ts, attempt-flow.ts, link-flow.ts, cancel-flow.ts): a store
 * only runs a flow over its operations, in its own way — one SQLite transaction, or one
 * awaited statement after another on PostgreSQL.
 */
export interface VerificationsPort extends ExpiryPort {
  /** A send's flow, or a standing's (where an address stands: nothing written). */
  runSend<T>(flow: Flow<SendOps, T>): Promise<T>;
  runAttempt<T>(flow: Flow<AttemptOps, T>): Promise<T>;
  /** A continue link clicked. */
  runLink<T>(flow: Flow<LinkOps, T>): Promise<T>;
  runCancel<T>(flow: Flow<CancelOps, T>): Promise<T>;
  /** Every client's newest verifications of the address, newest first (the console's lookup). */
  newestByEmail(email: string, limit: number): Promise<{ id: string; clientId: string }[]>;
  /** The client's own verification and its newest mail's delivery. */
  get(id: string, clientId: string): Promise<{ verification: Verification; delivery: Delivery | null } | undefined>;
}
