// What authenticator apps need of storage. Each method is one statement or one transaction;
// the rules (windows, replay, lockout) live in service.ts. A change takes the audit events
// that record it and writes them in the same statement or transaction. A code check is two round trips:
// count the attempt (reading the factor with it), then accept the time step.
import type { QueuedNotice } from '../people/notices.js';
import type { NewEvent } from '../events/model.js';
import type { NewTotpFactor, TotpFactor } from './model.js';

export interface CountedAttempt {
  factor: TotpFactor | undefined;
  /** The wrong-code count after this attempt, or undefined when the factor is locked. */
  attempts: number | undefined;
  /**
   * Whether the person has a recovery by email open (recovery/), read in the same round
   * trip: a sign-in then ends it — and one without costs no further read.
   */
  recoveryOpen: boolean;
}

export interface TotpFactorsPort {
  create(factor: NewTotpFactor): Promise<void>;
  /** The client's factor (pending or active) with this id. */
  get(id: string, clientId: string): Promise<TotpFactor | undefined>;
  active(clientId: string, userRef: string): Promise<TotpFactor | undefined>;
  /** Every client's active factor whose user reference or account name is `person` (the console's lookup). */
  activeFor(person: string): Promise<TotpFactor[]>;
  /**
   * Counts an attempt on the user's active factor before any code is compared, unless it
   * is locked (a lock that has run out starts a fresh count); the factor comes with it.
   */
  countAttempt(query: { clientId: string; userRef: string; now: number; maxAttempts: number }): Promise<CountedAttempt>;
  /** The same for a pending enrolment, by its id. */
  countEnrollmentAttempt(query: { id: string; now: number; maxAttempts: number }): Promise<number | undefined>;
  /**
   * Accepts a time step newer than the last accepted one and clears the wrong-code count;
   * `resealed` replaces the encrypted secret in the same write (after a CODE_SECRET rotation).
   */
  acceptStep(id: string, step: number, events: NewEvent[], resealed?: string): Promise<boolean>;
  lock(id: string, until: number, events: NewEvent[]): Promise<void>;
  /**
   * pending → active unless the enrolment has expired; the user's other factors go and the
   * recovery codes are stored, in one transaction. False when nothing was activated. With
   * `notice`, the mail that tells the person, queued in the same transaction when it is.
   */
  activate(
    id: string,
    now: number,
    recoveryCodeHashes: string[],
    events: NewEvent[],
    notice?: QueuedNotice,
  ): Promise<boolean>;
  /** Marks an unused recovery code with one of these hashes used, and clears the wrong-code count (with `notice`, queued with it). */
  useRecoveryCode(
    factorId: string,
    codeHashes: string[],
    now: number,
    events: NewEvent[],
    notice?: QueuedNotice,
  ): Promise<boolean>;
  /** New recovery codes in place of the old ones (with `notice`, queued with them). */
  replaceRecoveryCodes(
    factorId: string,
    codeHashes: string[],
    events: NewEvent[],
    notice?: QueuedNotice,
  ): Promise<void>;
  recoveryCodesLeft(factorId: string): Promise<number>;
  /**
   * Every factor of the user (active or pending), for a reset; with `notice`, the mail that
   * tells the person, queued in the same transaction (only when something was removed).
   */
  removeAll(clientId: string, userRef: string, events: NewEvent[], notice?: QueuedNotice): Promise<number>;
}
