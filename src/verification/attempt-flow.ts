// The attempt rules: one read, then one write that counts the attempt and records its
// outcome together, guarded by the count the decision read. No answer is ever free: the
// compare's result is acted on only once that write — which counts the attempt — has
// succeeded. A right code is used once, the last wrong attempt locks, and an unknown id
// costs what a known one costs.
import { event as auditEvent, type NewEvent } from '../events/model.js';
import { aboutVerification } from './audit.js';
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
const unknownIdCounter = 'unknown:';

const op = operations<AttemptOps>();

const event = (key: string, now: number): CounterEvent => ({ key, windowMs: wrongCodesWindowMs, bucket: bucketStart({ windowMs: wrongCodesWindowMs }, now) });

export function* attemptFlow(request: AttemptRequest): Flow<AttemptOps, AttemptOutcome> {
  const { now } = request;
  for (let round = 0; ; round++) {
    const { verification, codeHashes } = yield* op('loadAttempt', { clientId: request.clientId, target: request.target });
    if (!verification) {
      // The same work as a wrong code: a compare and a write (with a counter event), so an
      // unknown id is not told apart from a known one by how long the answer takes.
      request.matches(unmatchableVerificationId, codeHashes);
      const probe = { id: unmatchableVerificationId, now, seenAttempts: 0, outcome: 'wrong' as const };
      yield* op('commitAttempt', { ...probe, count: [event(`${unknownIdCounter}${request.clientId}`, now)], events: [] });
      return { kind: 'not_found' };
    }
    if (verification.status === 'verified') return { kind: 'already_verified', verification };
    if (verification.status === 'canceled') return { kind: 'canceled', verification };
    if (verification.status === 'locked' || verification.attempts >= verification.maxAttempts) return { kind: 'locked', verification };
    if (now >= verification.expiresAt) return { kind: 'expired', verification };

    const matched = request.matches(verification.id, codeHashes);
    const attempts = verification.attempts + 1;
    // A wrong code that does not lock writes no event (and masks no address for one).
    const type = matched ? 'verification.verified' : attempts >= verification.maxAttempts ? 'verification.locked' : undefined;
    const events: NewEvent[] = type ? [auditEvent(type, now, aboutVerification(verification), request.context, { attempts })] : [];
    const written = yield* op('commitAttempt', {
      id: verification.id,
      now,
      seenAttempts: verification.attempts,
      outcome: matched ? 'verified' : 'wrong',
      // Wrong codes also count per address across verifications: a guesser who starts
      // verification after verification still runs out (sends pause; see send-flow.ts).
      count: matched ? [] : [event(`wrong:${verification.email}`, now)],
      events,
    });
    if (written) {
      return matched
        ? { kind: 'verified', verification: written }
        : { kind: 'invalid', attemptsRemaining: Math.max(0, written.maxAttempts - written.attempts), verification: written };
    }
    // Another attempt was counted between the read and the write: this one is not, and
    // nothing is answered from its compare. Read again. Every lost round is another counted
    // attempt, so after maxAttempts of them the verification is used or locked.
    if (round > verification.maxAttempts) return { kind: 'locked', verification };
  }
}
