// The attempt rules: one read, then one write that counts the attempt and records its
// outcome together, guarded by the count the decision read. No answer is ever free: the
// compare's result is acted on only once that write — which counts the attempt — has
// succeeded. A right code is used once, the last wrong attempt locks, and an unknown id
// costs what a known one costs.
import { event as auditEvent, type NewEvent } from '../events/model.js';
import { aboutVerification } from './audit.js';
import { operations, type Flow } from './flow.js';
import { bucketStart, wrongCodesWindowMs } from './limits.js';
import { closedBecause, type AttemptOutcome } from './model.js';
import type { AttemptOps, AttemptRequest, CounterIncrement } from './ports.js';
import { provenBy } from './proven.js';

/**
 * Every client's decoy verification (made with the client, db/migrations/*_decoy_verifications):
 * an attempt on a verification that does not exist — or is another client's, which must
 * stay untouched — reads it and counts the attempt on it, the same read and the same write
 * as a wrong code, so the time to answer does not tell "no such verification" (or "no code
 * pending for this address") from "wrong code". The '~' never occurs in an id newId makes
 * nor passes the API's id pattern, and its mailbox '~' is no address, so nothing names it.
 */
export const decoyVerificationId = (clientId: string) => `vf_~${clientId}`;

/** Where a store keeps no decoy: an id of the same length that matches no row. */
export const unmatchableVerificationId = `vf_${'~'.repeat(22)}`;

/** The counter of attempts on unknown verification ids, per client (a trace of id probing). */
const unknownIdCounter = 'unknown:';

const op = operations<AttemptOps>();

const increment = (key: string, now: number): CounterIncrement => ({
  key,
  windowMs: wrongCodesWindowMs,
  bucket: bucketStart({ windowMs: wrongCodesWindowMs }, now),
});

export function* attemptFlow(request: AttemptRequest): Flow<AttemptOps, AttemptOutcome> {
  const { now } = request;
  for (let round = 0; ; round++) {
    const loaded = yield* op('loadAttempt', {
      clientId: request.clientId,
      target: request.target,
      decoyId: decoyVerificationId(request.clientId),
    });
    const { decoy, codeHashes } = loaded;
    // A recovery's code is checked by the recovery only, a portal's code never by one: the
    // other kind is answered like an unknown id, untouched.
    const verification =
      loaded.verification && (loaded.verification.purpose === 'recovery') === (request.recovery === true)
        ? loaded.verification
        : undefined;
    if (!verification) {
      // The same work as a wrong code: a compare and a write (with a counter event), on the
      // decoy, so an unknown target is not told apart from a known one by how long the
      // answer takes. Not found, whatever the write did: the decoy is never answered from.
      const id = decoy?.id ?? unmatchableVerificationId;
      request.matches(id, codeHashes);
      const probe = {
        id,
        now,
        seenAttempts: decoy?.attempts ?? 0,
        outcome: 'wrong' as const,
        verifiedWith: 'code' as const,
      };
      yield* op('commitAttempt', {
        ...probe,
        count: [increment(`${unknownIdCounter}${request.clientId}`, now)],
        events: [],
        proven: null,
      });
      return { kind: 'not_found' };
    }
    const closed = closedBecause(verification, now);
    if (closed) return { kind: closed, verification };

    const matched = request.matches(verification.id, codeHashes);
    const attempts = verification.attempts + 1;
    // A wrong code that does not lock writes no event (and masks no address for one).
    const type = matched
      ? 'verification.verified'
      : attempts >= verification.maxAttempts
        ? 'verification.locked'
        : undefined;
    const events: NewEvent[] = type
      ? [
          auditEvent(
            type,
            now,
            aboutVerification(verification),
            request.context,
            matched ? { attempts, method: 'code' } : { attempts },
          ),
        ]
      : [];
    const written = yield* op('commitAttempt', {
      id: verification.id,
      now,
      seenAttempts: verification.attempts,
      outcome: matched ? 'verified' : 'wrong',
      verifiedWith: 'code',
      // Wrong codes also count per address across verifications: a guesser who starts
      // verification after verification still runs out (sends pause; see send-flow.ts).
      count: matched ? [] : [increment(`wrong:${verification.email}`, now)],
      events,
      // A right code proves the address for the person the code was sent for, if any.
      proven: matched ? provenBy(verification, now) : null,
    });
    if (written) {
      return matched
        ? { kind: 'verified', verification: written }
        : {
            kind: 'invalid',
            attemptsRemaining: Math.max(0, written.maxAttempts - written.attempts),
            verification: written,
          };
    }
    // Another attempt was counted between the read and the write: this one is not, and
    // nothing is answered from its compare. Read again. Every lost round is another counted
    // attempt, so after maxAttempts of them the verification is used or locked.
    if (round > verification.maxAttempts) return { kind: 'locked', verification };
  }
}
