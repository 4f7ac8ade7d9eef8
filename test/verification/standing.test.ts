// Support's look at an address gives the send's own answer: the same read and the same
// decision (sendRefusal), so "can be sent now" is never said of an address a send refuses —
// a suppression, the cooldown, any limit — and nothing is counted by looking.
import t from 'tap';
import { runSync } from '../../src/verification/flow.js';
import type { SendLimits } from '../../src/verification/model.js';
import type { SendRequest } from '../../src/verification/ports.js';
import { sendFlow } from '../../src/verification/send-flow.js';
import { standingFlow } from '../../src/verification/standing.js';
import { MemoryVerifications, testSendLimits } from '../helpers/memory-verifications.js';

const limits: SendLimits = { ...testSendLimits, perEmailHour: 3 };
const start = Date.parse('2026-03-02T09:00:00Z');
let ids = 0;
const base = {
  clientId: 'cl_acme',
  email: 'a@acme.example',
  domain: 'acme.example',
  purpose: 'login' as const,
  limits,
};
const send = (store: MemoryVerifications, now: number) =>
  runSync(
    sendFlow({
      ...base,
      locale: 'en',
      userRef: null,
      endUserIp: null,
      now,
      newVerificationId: `vf_${++ids}`,
      codeHashFor: (id) => `hash:${id}`,
      payloadFor: (v) => `mail:${v.id}`,
      link: null,
      context: { actor: 'portal', requestId: null },
    } satisfies SendRequest),
    store.sendOps,
  );
const look = (store: MemoryVerifications, now: number) => runSync(standingFlow({ ...base, now }), store.sendOps);

t.test('the verdict is what a send is answered, at every step of a busy hour', async (t) => {
  const store = new MemoryVerifications();
  for (const at of [0, 1_000, 61_000, 122_000, 183_000, 244_000, 3_700_000]) {
    const verdict = look(store, start + at).verdict;
    const outcome = send(store, start + at);
    if (outcome.kind === 'queued')
      t.equal(verdict, undefined, `+${at / 1000} s: a send goes out, and the look said nothing against it`);
    else
      t.same(
        verdict,
        outcome,
        `+${at / 1000} s: the look said what the send was told (${outcome.kind === 'limited' ? outcome.limit : outcome.kind})`,
      );
  }
});

t.test('a suppressed address: the verdict is the suppression, whatever the limits say', async (t) => {
  const store = new MemoryVerifications();
  store.suppressions.set('cl_acme|a@acme.example', {
    reason: '550 5.1.1 <a***@acme.example>: mailbox unknown',
    enhancedStatus: '5.1.1',
    until: start + 86_400_000,
  });
  const { verdict, limits: each } = look(store, start);
  t.same(verdict, {
    kind: 'suppressed',
    reason: '550 5.1.1 <a***@acme.example>: mailbox unknown',
    enhancedStatus: '5.1.1',
    until: start + 86_400_000,
  });
  t.ok(
    each.every((l) => l.retryAfterMs === 0),
    'though no limit is hit',
  );
  t.same(send(store, start), verdict, 'as the send answers');
  store.suppressions.clear();
  t.equal(look(store, start).verdict, undefined, 'lifted: nothing against a send');
});

t.test('looking counts nothing', async (t) => {
  const store = new MemoryVerifications();
  send(store, start);
  const before = JSON.stringify([...store.counters]);
  look(store, start + 1_000);
  look(store, start + 2_000);
  t.equal(JSON.stringify([...store.counters]), before);
});
