// The continue-link rules: one read, then one write. A right link in the browser that asked
// verifies as a right code does (the same guarded write); the same link in another browser
// — a mail scanner's — is refused and changes nothing but the trail. Unknown and used links
// count per client and IP, and past the limit are refused without a look; a pending link
// is never refused for someone else's flood, and never locks anything.
import { event, type NewEvent } from '../events/model.js';
import { aboutVerification } from './audit.js';
import { operations, type Flow } from './flow.js';
import { bucketStart, hourMs, retryAfterInBuckets, windowStart } from './limits.js';
import { closedBecause, type LinkOutcome, type Verification } from './model.js';
import type { LinkOps, LinkRequest } from './ports.js';
import { provenBy } from './proven.js';

const op = operations<LinkOps>();

export type LinkRefusal = 'different_browser' | 'expired' | 'canceled' | 'already_verified' | 'locked';

const refused = (v: Verification, reason: LinkRefusal, request: LinkRequest): NewEvent =>
  event('verification.link_refused', request.now, aboutVerification(v), request.context, { reason });

export function* linkFlow(request: LinkRequest): Flow<LinkOps, LinkOutcome> {
  const { now } = request;
  const probes = {
    key: `link:${request.clientId}:${request.ipKey}`,
    windowMs: hourMs,
    limit: request.limits.unknownLinksPerIpHour,
  };
  const probe = { key: probes.key, windowMs: hourMs, bucket: bucketStart(probes, now) };
  const query = {
    clientId: request.clientId,
    linkHashes: request.linkHashes,
    probes: { key: probes.key, windowMs: hourMs, since: windowStart(probes, now) },
  };
  for (let round = 0; ; round++) {
    const state = yield* op('loadLink', query);
    const v = state.verification;
    const reason = v && closedBecause(v, now);
    // Unknown and used links are what a flood sends: counted, and refused unread past the limit.
    if (!v || reason === 'already_verified') {
      const wait = retryAfterInBuckets(state.probes, probes, now);
      if (wait > 0) return { kind: 'limited', retryAfterMs: wait };
      yield* op('recordLinkRefusal', { count: [probe], events: v ? [refused(v, 'already_verified', request)] : [] });
      return v ? { kind: 'already_verified', verification: v } : { kind: 'unknown' };
    }
    if (reason) {
      yield* op('recordLinkRefusal', { count: [], events: [refused(v, reason, request)] });
      return { kind: reason, verification: v };
    }
    // Another browser: nothing consumed, nothing counted against the person. The link still
    // works where they asked, and the code anywhere.
    const sameBrowser = request.sameBrowser(state.bindingHash);
    if (!request.anyBrowser && !sameBrowser) {
      yield* op('recordLinkRefusal', { count: [], events: [refused(v, 'different_browser', request)] });
      return { kind: 'different_browser', verification: v };
    }
    const attempts = v.attempts + 1;
    const written = yield* op('commitAttempt', {
      id: v.id,
      now,
      seenAttempts: v.attempts,
      outcome: 'verified',
      verifiedWith: 'link',
      count: [],
      events: [
        event('verification.verified', now, aboutVerification(v), request.context, {
          attempts,
          method: 'link',
          sameBrowser,
        }),
      ],
      proven: provenBy(v, now),
    });
    if (written) return { kind: 'verified', verification: written, sameBrowser };
    // An attempt was counted between the read and the write: read again (each lost round is
    // a counted attempt, so the verification is soon used or locked).
    if (round > v.maxAttempts) return { kind: 'locked', verification: v };
  }
}
