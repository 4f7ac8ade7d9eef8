// The continue-link rules, against in-memory ports: no HTTP, no SQL.
import t from 'tap';
import { linkFlow } from '../../src/verification/link-flow.js';
import { runSync } from '../../src/verification/flow.js';
import { attemptFlow } from '../../src/verification/attempt-flow.js';
import type { Verification } from '../../src/verification/model.js';
import type { SendLimits } from '../../src/verification/model.js';
import type { LinkRequest } from '../../src/verification/ports.js';
import { type MemoryVerifications, withPendingVerification } from '../helpers/memory-verifications.js';

const now = Date.parse('2026-03-02T09:00:00Z');
const limits = { unknownLinksPerIpHour: 3 } as SendLimits;
const context = { actor: 'portal' as const, requestId: 'req-7' };

/** The pending verification, its mail's link bound to browser-a. */
function withLink(changes: Partial<Verification> = {}) {
  const store = withPendingVerification(now, changes);
  store.links.set('vf_1', [{ linkHash: 'link-1', bindingHash: 'browser-a' }]);
  return store;
}

/** A click: the link's hash, and the binding hash of the browser that clicked (undefined: no cookie). */
const click = (
  store: MemoryVerifications,
  linkHash: string,
  browser: string | undefined,
  overrides: Partial<LinkRequest> = {},
) =>
  runSync(
    linkFlow({
      clientId: 'cl_acme',
      linkHashes: [linkHash],
      sameBrowser: (stored) => browser !== undefined && stored === browser,
      anyBrowser: false,
      ipKey: '203.0.113.9',
      now,
      limits,
      context,
      ...overrides,
    }),
    store.linkOps,
  );

const code = (store: MemoryVerifications, value: string) =>
  runSync(
    attemptFlow({
      clientId: 'cl_acme',
      target: { verificationId: 'vf_1' },
      now,
      matches: (_id, hashes) => hashes.includes(value),
      context,
    }),
    store.attemptOps,
  );

t.test('the link in the browser that asked verifies, recorded as a link, in one read and one write', async (t) => {
  const store = withLink();
  t.match(click(store, 'link-1', 'browser-a'), {
    kind: 'verified',
    sameBrowser: true,
    verification: { status: 'verified', verifiedWith: 'link', attempts: 1 },
  });
  t.same(store.calls, ['loadLink', 'commitAttempt:verified']);
  t.match(store.events, [
    {
      type: 'verification.verified',
      subject: 'vf_1',
      maskedEmail: 'a***@acme.example',
      data: { method: 'link', sameBrowser: true, attempts: 1 },
    },
  ]);
  t.notOk(store.codes.has('vf_1'), 'the codes are erased with it: the code no longer works');
  t.match(code(store, 'right'), { kind: 'already_verified' });
});

t.test(
  'another browser (a mail scanner) changes nothing: no attempt, no count; the link and the code still work',
  async (t) => {
    const store = withLink();
    for (const browser of [undefined, 'browser-b']) {
      t.match(click(store, 'link-1', browser), { kind: 'different_browser', verification: { id: 'vf_1' } });
    }
    const v = store.verifications.get('vf_1')!;
    t.equal(v.status, 'pending');
    t.equal(v.attempts, 0, 'attempts untouched');
    t.same([...store.counters.keys()], [], 'nothing counted');
    t.same(
      store.events.map((e) => [e.type, e.data.reason]),
      [
        ['verification.link_refused', 'different_browser'],
        ['verification.link_refused', 'different_browser'],
      ],
      'the trail says why',
    );
    t.match(code(store, 'right'), { kind: 'verified' }, 'the code from the same mail verifies');
  },
);

t.test('after a scanner, the person’s own click still verifies', async (t) => {
  const store = withLink();
  click(store, 'link-1', undefined);
  t.match(click(store, 'link-1', 'browser-a'), { kind: 'verified' });
});

t.test('a client that allows any browser verifies without the binding, and says so', async (t) => {
  const store = withLink();
  t.match(click(store, 'link-1', undefined, { anyBrowser: true }), { kind: 'verified', sameBrowser: false });
  t.match(store.events.at(-1), { data: { method: 'link', sameBrowser: false } });
});

t.test('a used link is refused the second time, and counted against floods', async (t) => {
  const store = withLink();
  click(store, 'link-1', 'browser-a');
  t.match(click(store, 'link-1', 'browser-a'), { kind: 'already_verified' });
  t.equal([...store.counters].find(([k]) => k.startsWith('link:cl_acme:203.0.113.9|'))?.[1], 1);
});

t.test(
  'expired, canceled and locked verifications refuse their links, each with its own reason, counting nothing',
  async (t) => {
    for (const [changes, kind] of [
      [{ expiresAt: now }, 'expired'],
      [{ status: 'expired' }, 'expired'],
      [{ status: 'canceled' }, 'canceled'],
      [{ status: 'locked', attempts: 5 }, 'locked'],
    ] as const) {
      const store = withLink(changes as Partial<Verification>);
      t.match(click(store, 'link-1', 'browser-a'), { kind }, kind);
      t.equal(store.verifications.get('vf_1')!.attempts, changes.status === 'locked' ? 5 : 0);
      t.same([...store.counters.keys()], []);
      t.match(store.events, [{ type: 'verification.link_refused', data: { reason: kind } }]);
    }
  },
);

t.test(
  'unknown links are counted per client and IP; past the limit they are refused unread; a pending link still works',
  async (t) => {
    const store = withLink();
    const outcomes = [1, 2, 3, 4].map(() => click(store, 'no-such-link', 'browser-a').kind);
    t.same(outcomes, ['unknown', 'unknown', 'unknown', 'limited']);
    t.match(click(store, 'no-such-link', 'browser-a'), { kind: 'limited', retryAfterMs: 3_600_000 });
    t.match(
      click(store, 'no-such-link', 'browser-a', { ipKey: '198.51.100.1' }),
      { kind: 'unknown' },
      'another IP has its own count',
    );
    t.match(click(store, 'link-1', 'browser-a'), { kind: 'verified' }, 'never locking the verification');
    t.same(
      store.events.filter((e) => e.type === 'verification.link_refused'),
      [],
      'an unknown link names no verification',
    );
  },
);

t.test("another client's link is unknown to this one, and left untouched", async (t) => {
  const store = withLink();
  t.match(click(store, 'link-1', 'browser-a', { clientId: 'cl_other' }), { kind: 'unknown' });
  t.equal(store.verifications.get('vf_1')!.status, 'pending');
  t.equal(store.verifications.get('vf_1')!.attempts, 0);
});

t.test('a click that loses the race to an attempt reads again', async (t) => {
  const store = withLink();
  store.interleavedAttempts = 1;
  t.match(click(store, 'link-1', 'browser-a'), { kind: 'verified', verification: { attempts: 2 } });
  t.same(store.calls, ['loadLink', 'commitAttempt:verified', 'loadLink', 'commitAttempt:verified']);
});
