// The attempt rules, against in-memory ports: no HTTP, no SQL.
import t from 'tap';
import { attemptFlow, decoyVerificationId, unmatchableVerificationId } from '../../src/verification/attempt-flow.js';
import { runSync } from '../../src/verification/flow.js';
import type { Verification } from '../../src/verification/model.js';
import type { AttemptRequest } from '../../src/verification/ports.js';
import { type MemoryVerifications, withPendingVerification } from '../helpers/memory-verifications.js';

const now = Date.parse('2026-03-02T09:00:00Z');

const withVerification = (changes: Partial<Verification> = {}) => withPendingVerification(now, changes);

const attempt = (store: MemoryVerifications, code: string, overrides: Partial<AttemptRequest> = {}) =>
  runSync(
    attemptFlow({
      clientId: 'cl_acme',
      target: { verificationId: 'vf_1' },
      now,
      matches: (_id, hashes) => hashes.includes(code),
      context: { actor: 'portal', requestId: 'req-9' },
      ...overrides,
    }),
    store.attemptOps,
  );

t.test('no answer without its attempt counted: the count and the outcome are one write', async (t) => {
  const store = withVerification();
  const outcome = attempt(store, 'wrong');
  t.match(outcome, { kind: 'invalid', attemptsRemaining: 4, verification: { attempts: 1 } });
  t.equal(store.verifications.get('vf_1')!.attempts, 1, 'the attempt is counted where the answer came from');
  t.same(store.calls, ['loadAttempt', 'commitAttempt:wrong'], 'one read, one write');
});

t.test('an attempt that loses the race to another is not answered from its compare: it reads again', async (t) => {
  const store = withVerification();
  store.interleavedAttempts = 1;
  let compares = 0;
  const outcome = attempt(store, 'right', { matches: (_id, hashes) => (compares++, hashes.includes('right')) });
  t.match(
    outcome,
    { kind: 'verified', verification: { attempts: 2 } },
    'answered from the second round, counted after the other attempt',
  );
  t.equal(compares, 2, 'the first compare was thrown away');
  t.same(store.calls, ['loadAttempt', 'commitAttempt:verified', 'loadAttempt', 'commitAttempt:verified']);
});

t.test('a right code verifies once; the next attempt is told it is used', async (t) => {
  const store = withVerification();
  const first = attempt(store, 'right');
  t.match(first, { kind: 'verified', verification: { status: 'verified', verifiedAt: now } });
  t.notOk(store.codes.has('vf_1'), 'the codes are erased');
  t.match(attempt(store, 'right'), { kind: 'already_verified' });
  t.same(
    store.calls,
    ['loadAttempt', 'commitAttempt:verified', 'loadAttempt'],
    'one read, one write; a used one is answered on the read',
  );
});

t.test('wrong codes count down, the last one locks, and then even the right code is refused', async (t) => {
  const store = withVerification();
  const remaining = [1, 2, 3, 4, 5]
    .map(() => attempt(store, 'wrong'))
    .map((o) => (o.kind === 'invalid' ? o.attemptsRemaining : o.kind));
  t.same(remaining, [4, 3, 2, 1, 0]);
  t.equal(store.verifications.get('vf_1')!.status, 'locked');
  t.match(attempt(store, 'right'), { kind: 'locked' });
  t.equal(
    [...store.counters].find(([k]) => k.startsWith('wrong:a@acme.example'))?.[1],
    5,
    'each wrong code counts against the address',
  );
});

t.test('expired and canceled verifications are answered without counting', async (t) => {
  const expired = withVerification({ expiresAt: now });
  t.match(attempt(expired, 'right'), { kind: 'expired' });
  t.equal(expired.verifications.get('vf_1')!.attempts, 0);
  const canceled = withVerification({ status: 'canceled' });
  t.match(attempt(canceled, 'right'), { kind: 'canceled' });
});

t.test(
  "an unknown id, or another client's, is not found — after the same work as a wrong code, on the decoy, touching nothing else",
  async (t) => {
    const store = withVerification();
    const compared: string[] = [];
    const matches = (id: string) => (compared.push(id), false);
    t.match(attempt(store, 'right', { target: { verificationId: 'vf_nope' }, matches }), { kind: 'not_found' });
    t.match(attempt(store, 'right', { clientId: 'cl_other', matches }), { kind: 'not_found' });
    t.match(
      attempt(store, 'right', { target: { email: 'nobody@acme.example', purpose: 'login' }, matches }),
      { kind: 'not_found' },
      'an address with nothing pending',
    );
    t.same(
      compared,
      [decoyVerificationId('cl_acme'), decoyVerificationId('cl_other'), decoyVerificationId('cl_acme')],
      "a compare ran, against the caller's own decoy",
    );
    t.same(
      store.calls,
      [
        'loadAttempt',
        'commitAttempt:wrong',
        'loadAttempt',
        'commitAttempt:wrong',
        'loadAttempt',
        'commitAttempt:wrong',
      ],
      'a read and a write, as a wrong code',
    );
    t.match(
      store.verifications.get(decoyVerificationId('cl_acme')),
      { attempts: 2, status: 'pending' },
      'the attempts were counted on the decoy, as on a verification',
    );
    t.match(store.verifications.get(decoyVerificationId('cl_other')), { attempts: 1 });
    t.match(
      store.verifications.get('vf_1'),
      { attempts: 0, status: 'pending' },
      "the other client's verification is untouched",
    );
    t.equal(
      [...store.counters].find(([k]) => k.startsWith('unknown:cl_other'))?.[1],
      1,
      'probes of unknown ids are counted per client',
    );
  },
);

t.test('a store without a decoy: the attempt is written against an id no row has', async (t) => {
  const store = withVerification();
  const ops = {
    ...store.attemptOps,
    loadAttempt: (q: Parameters<typeof store.attemptOps.loadAttempt>[0]) => ({
      ...store.attemptOps.loadAttempt(q),
      decoy: undefined,
    }),
  };
  const compared: string[] = [];
  const outcome = runSync(
    attemptFlow({
      clientId: 'cl_acme',
      target: { verificationId: 'vf_nope' },
      now,
      matches: (id) => (compared.push(id), false),
      context: { actor: 'portal', requestId: null },
    }),
    ops,
  );
  t.match(outcome, { kind: 'not_found' });
  t.same(compared, [unmatchableVerificationId]);
});

t.test('by address: the newest verification of that address and purpose', async (t) => {
  const store = withVerification();
  t.match(attempt(store, 'right', { target: { email: 'a@acme.example', purpose: 'login' } }), { kind: 'verified' });
  t.match(attempt(store, 'right', { target: { email: 'a@acme.example', purpose: 'signup' } }), { kind: 'not_found' });
});

t.test('an attempt that keeps losing the race is answered, not retried for ever', async (t) => {
  const store = withVerification({ maxAttempts: 1_000 });
  store.interleavedAttempts = 10_000;
  t.match(attempt(store, 'right'), { kind: 'locked' });
  t.ok(store.calls.length < 2_100, 'boundedly, by the attempts a verification allows');
});

t.test(
  'a right code records verification.verified with the attempt count and the method, written with the outcome',
  async (t) => {
    const store = withVerification({ attempts: 1 });
    attempt(store, 'right');
    t.same(store.events, [
      {
        type: 'verification.verified',
        clientId: 'cl_acme',
        subject: 'vf_1',
        maskedEmail: 'a***@acme.example',
        requestId: 'req-9',
        actor: 'portal',
        at: now,
        data: { attempts: 2, method: 'code' },
      },
    ]);
  },
);

t.test('a wrong code records nothing, unless it locks the verification', async (t) => {
  const store = withVerification({ attempts: 3 });
  attempt(store, 'wrong');
  t.same(store.events, [], 'the fourth wrong code of five');
  attempt(store, 'wrong');
  t.match(store.events, [{ type: 'verification.locked', subject: 'vf_1', data: { attempts: 5 } }]);
});

t.test('an attempt that loses its race records nothing for the lost round', async (t) => {
  const store = withVerification();
  store.interleavedAttempts = 1;
  attempt(store, 'right');
  t.equal(store.events.length, 1, 'one verified event, from the round that was written');
});
