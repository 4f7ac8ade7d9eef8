// The attempt rules: the attempt is counted before the code is compared (in the read
// itself), a right code is used once, the last wrong attempt locks, and an unknown id costs
// what a known one costs. One read, one write; no answer is ever free.
import { operations, type Flow } from './flow.js';
import { bucketStart, wrongCodesWindowMs } from './limits.js';
import type { AttemptOutcome } from './model.js';
import type { AttemptOps, AttemptRequest, CounterEvent } from './ports.js';

/**
 * The id the unknown-id path writes to: as long as a real one (newId's 16 random bytes are
 * 22 base64url characters), but of '~', which base64url never produces, so it matches no
 * row on any database — the id the caller sent may be another client's verification,
 * which must stay untouched.
 */
export const unmatchableVerificationId = `vf_${'~'.repeat(22)}`;

/** The counter of attempts on unknown verification ids, per client (a trace of id probing). */
export const unknownIdCounter = 'unknown:';

/**
 * How often an attempt reads again when another attempt's outcome is still being written,
 * and how long it waits before each read (doubling): together well under a second.
 */
export const attemptRetries = 8;
export const settleDelayMs = (round: number) => Math.min(200, 5 * 2 ** round);

const op = operations<AttemptOps>();

const wrongCodeEvent = (key: string, now: number): CounterEvent => ({ key, windowMs: wrongCodesWindowMs, bucket: bucketStart({ windowMs: wrongCodesWindowMs }, now) });

export function* attemptFlow(request: AttemptRequest): Flow<AttemptOps, AttemptOutcome> {
  const { now } = request;
  for (let round = 0; ; round++) {
    const { verification, counted, codeHashes } = yield* op('loadAttempt', { clientId: request.clientId, target: request.target, now });
    if (!verification) {
      // The same work as a wrong code: a compare and a write (with a counter event), so an
      // unknown id is not told apart from a known one by how long the answer takes.
      request.matches(unmatchableVerificationId, codeHashes);
      yield* op('commitAttempt', { id: unmatchableVerificationId, now, outcome: 'wrong', count: [wrongCodeEvent(`${unknownIdCounter}${request.clientId}`, now)] });
      return { kind: 'not_found' };
    }
    if (verification.status === 'verified') return { kind: 'already_verified', verification };
    if (verification.status === 'locked') return { kind: 'locked', verification };
    if (verification.status === 'canceled') return { kind: 'canceled', verification };
    if (now >= verification.expiresAt) return { kind: 'expired', verification };
    if (counted === undefined) {
      // Pending and live as read, yet not counted: another attempt holds the last count
      // (or changed the row between the read and the count), and its outcome — verified,
      // or locked — is still being written. Where attempts run side by side (PostgreSQL),
      // wait for it and answer from the row as it ends up; a store that runs attempts one
      // at a time never gets here.
      if (round + 1 >= attemptRetries) return { kind: 'locked', verification };
      yield* op('settle', { ms: settleDelayMs(round) });
      continue;
    }

    const matched = request.matches(verification.id, codeHashes);
    if (matched) {
      const used = yield* op('commitAttempt', { id: verification.id, now, outcome: 'verified', count: [] });
      return used ? { kind: 'verified', verification: used } : { kind: 'already_verified', verification };
    }
    // Wrong codes also count per address across verifications: a guesser who starts
    // verification after verification still runs out (sends pause; see send-flow.ts).
    yield* op('commitAttempt', { id: verification.id, now, outcome: 'wrong', count: [wrongCodeEvent(`wrong:${verification.email}`, now)] });
    return { kind: 'invalid', attemptsRemaining: Math.max(0, verification.maxAttempts - counted), verification };
  }
}
