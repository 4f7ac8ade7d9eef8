// The cancel rules: the portal (DELETE /verifications/:id) or support ends a pending
// verification. One read, then one guarded write: a right code that lands in between wins,
// and the cancel is answered already_verified; a verification that is no longer pending is
// left as it is.
import type { RequestContext } from '../events/model.js';
import { canceledEvent } from './audit.js';
import { operations, type Flow } from './flow.js';
import type { CancelOutcome } from './model.js';
import type { CancelOps } from './ports.js';

const op = operations<CancelOps>();

export interface CancelRequest {
  id: string;
  clientId: string;
  now: number;
  context: RequestContext;
}

export function* cancelFlow(request: CancelRequest): Flow<CancelOps, CancelOutcome> {
  const { now } = request;
  // A lost write means the verification changed in between (a code used it, or it locked):
  // read again and answer what it is now. Two rounds settle it; the third is a safety net.
  for (let round = 0; round < 3; round++) {
    const verification = yield* op('loadCancel', { id: request.id, clientId: request.clientId });
    if (!verification) return 'not_found';
    if (verification.status === 'verified') return 'already_verified';
    if (verification.status !== 'pending' || now >= verification.expiresAt) return 'unchanged';
    const canceled = yield* op('commitCancel', {
      id: verification.id,
      now,
      events: [canceledEvent(verification, now, request.context)],
    });
    if (canceled) return 'canceled';
  }
  return 'unchanged';
}
