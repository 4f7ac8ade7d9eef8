// The send rules, against in-memory ports: no HTTP, no SQL.
import t from 'tap';
import { runSync } from '../../src/verification/flow.js';
import type { SendLimits } from '../../src/verification/model.js';
import type { SendRequest } from '../../src/verification/ports.js';
import { sendFlow } from '../../src/verification/send-flow.js';
import { MemoryVerifications, testSendLimits } from '../helpers/memory-verifications.js';

const limits: SendLimits = testSendLimits;
const start = Date.parse('2026-03-02T09:00:00Z');
let ids = 0;

function request(now: number, overrides: Partial<SendRequest> = {}): SendRequest {
  return {
    clientId: 'cl_acme',
    email: 'a@acme.example',
    userRef: null,
    domain: 'acme.example',
    purpose: 'login',
    locale: 'en',
    endUserIp: null,
    now,
    limits,
    newVerificationId: `vf_${++ids}`,
    codeHashFor: (id) => `hash:${id}:${now}`,
    payloadFor: (v) => `mail:${v.id}`,
    link: null,
    context: { actor: 'portal', requestId: 'req-1' },
    ...overrides,
  };
}

t.test('a first send makes a verification with one code and one queued mail, and counts the mail', async (t) => {
  const store = new MemoryVerifications();
  const outcome = runSync(sendFlow(request(start)), store.sendOps);
  t.equal(outcome.kind, 'queued');
  if (outcome.kind !== 'queued') return;
  t.match(outcome.verification, {
    status: 'pending',
    attempts: 0,
    maxAttempts: 5,
    sendCount: 1,
    expiresAt: start + 600_000,
  });
  t.equal(outcome.joined, false);
  t.same(store.codes.get(outcome.verification.id), [`hash:${outcome.verification.id}:${start}`]);
  t.same(store.outbox, [{ verificationId: outcome.verification.id, payload: `mail:${outcome.verification.id}` }]);
  t.same([...store.counters.keys()].map((k) => k.split('|')[0]).sort(), ['domain:acme.example', 'global']);
  t.same(store.calls, ['loadSendState', 'countAndRead', 'commitSend'], 'one read, the counters, one write');
});

t.test('within the cooldown a resend is refused with the exact wait, and nothing is written', async (t) => {
  const store = new MemoryVerifications();
  runSync(sendFlow(request(start)), store.sendOps);
  store.calls.length = 0;
  const outcome = runSync(sendFlow(request(start + 20_000)), store.sendOps);
  t.same(outcome, { kind: 'limited', retryAfterMs: 40_000, limit: 'cooldown' });
  t.same(store.calls, ['loadSendState'], 'decided on the read alone');
  t.equal(store.outbox.length, 1);
});

t.test(
  'with no cooldown configured, a resend is not refused by it, even after a send stamped a moment later',
  async (t) => {
    const store = new MemoryVerifications();
    const noCooldown = { ...limits, cooldownMs: 0 };
    runSync(sendFlow(request(start + 5, { limits: noCooldown })), store.sendOps);
    const earlierClock = runSync(sendFlow(request(start, { limits: noCooldown })), store.sendOps);
    t.match(earlierClock, { kind: 'queued', joined: true }, "another process's clock was 5 ms ahead");
  },
);

t.test(
  'a resend joins the pending verification: new code, fresh lifetime, attempts kept, the newest three codes valid',
  async (t) => {
    const store = new MemoryVerifications();
    const first = runSync(sendFlow(request(start)), store.sendOps);
    if (first.kind !== 'queued') return t.fail('first send refused');
    store.verifications.get(first.verification.id)!.attempts = 2;
    let last = first;
    for (let i = 1; i <= 3; i++) {
      const outcome = runSync(sendFlow(request(start + i * 60_000)), store.sendOps);
      if (outcome.kind !== 'queued') return t.fail(`resend ${i} refused`);
      last = outcome;
    }
    t.equal(last.verification.id, first.verification.id, 'the same verification');
    t.equal(last.joined, true);
    t.match(last.verification, { sendCount: 4, attempts: 2, expiresAt: start + 180_000 + 600_000 });
    t.same(
      store.codes.get(first.verification.id),
      [1, 2, 3].map((i) => `hash:${first.verification.id}:${start + i * 60_000}`),
      'the oldest code is no longer valid',
    );
    t.equal(store.outbox.length, 4, 'each send queues its mail');
  },
);

t.test('a verification that is used, locked or expired is not joined', async (t) => {
  for (const change of ['verified', 'locked', 'expired'] as const) {
    const store = new MemoryVerifications();
    const first = runSync(sendFlow(request(start)), store.sendOps);
    if (first.kind !== 'queued') return t.fail('first send refused');
    const row = store.verifications.get(first.verification.id)!;
    if (change === 'expired') row.expiresAt = start + 1;
    else row.status = change;
    const again = runSync(sendFlow(request(start + 61_000)), store.sendOps);
    t.ok(
      again.kind === 'queued' && again.verification.id !== first.verification.id && !again.joined,
      `${change}: a new verification`,
    );
  }
});

t.test('the limits, each in turn, in the order a person would want them explained', async (t) => {
  const hour = 3_600_000;
  // Five sends in the first hour (60 s apart, each a new verification: other purposes alternate).
  const filled = (sends: number, spacingMs: number, ip: string | null = null) => {
    const store = new MemoryVerifications();
    for (let i = 0; i < sends; i++) {
      const outcome = runSync(
        sendFlow(
          request(start + i * spacingMs, { endUserIp: ip, email: ip ? `u${i}@acme.example` : 'a@acme.example' }),
        ),
        store.sendOps,
      );
      if (outcome.kind !== 'queued') throw new Error(`send ${i} refused: ${JSON.stringify(outcome)}`);
    }
    return store;
  };
  const hourly = filled(5, 60_000);
  t.same(
    runSync(sendFlow(request(start + 300_000)), hourly.sendOps),
    { kind: 'limited', retryAfterMs: hour - 300_000, limit: 'email_hour' },
    'five an hour: the sixth waits for the first to leave the hour',
  );

  const daily = filled(10, hour);
  t.same(
    runSync(sendFlow(request(start + 10 * hour)), daily.sendOps),
    { kind: 'limited', retryAfterMs: 14 * hour, limit: 'email_day' },
    'ten a day',
  );

  const store = new MemoryVerifications();
  for (let i = 0; i < 20; i++)
    runSync(sendFlow(request(start + i, { endUserIp: '203.0.113.0', email: `u${i}@acme.example` })), store.sendOps);
  const fromIp = runSync(
    sendFlow(request(start + 100, { endUserIp: '203.0.113.0', email: 'new@acme.example' })),
    store.sendOps,
  );
  t.same(
    fromIp,
    { kind: 'limited', retryAfterMs: hour - 100, limit: 'ip_hour' },
    'twenty an hour from one end-user IP',
  );

  const domainLimited = new MemoryVerifications();
  const tight = { ...limits, perDomainHour: 2 };
  for (let i = 0; i < 2; i++)
    runSync(sendFlow(request(start, { limits: tight, email: `d${i}@acme.example` })), domainLimited.sendOps);
  const third = runSync(sendFlow(request(start, { limits: tight, email: 'd2@acme.example' })), domainLimited.sendOps);
  t.match(third, { kind: 'limited', limit: 'domain_hour' }, 'the recipient domain');

  const globalLimited = new MemoryVerifications();
  const ceiling = { ...limits, globalPerMinute: 2 };
  for (let i = 0; i < 2; i++)
    runSync(
      sendFlow(request(start, { limits: ceiling, email: `g${i}@other${i}.example`, domain: `other${i}.example` })),
      globalLimited.sendOps,
    );
  const over = runSync(
    sendFlow(request(start, { limits: ceiling, email: 'g@third.example', domain: 'third.example' })),
    globalLimited.sendOps,
  );
  t.match(over, { kind: 'limited', limit: 'global_minute' }, 'the global ceiling');
  t.equal(globalLimited.outbox.length, 2, 'a refused send queues nothing');
  t.equal(
    [...globalLimited.counters.values()].reduce((a, b) => a + b, 0),
    4,
    'and counts nothing',
  );

  const guessed = filled(5, 60_000);
  guessed.counters.set(`wrong:a@acme.example|${start}`, 20);
  t.match(
    runSync(sendFlow(request(start + 300_000)), guessed.sendOps),
    { kind: 'limited', limit: 'guessing' },
    'wrong codes are named before the hourly limit they also hit',
  );
});

t.test('a send that loses the race for its address reads again and decides on the new state', async (t) => {
  const store = new MemoryVerifications();
  store.interleavedSends = 1;
  const outcome = runSync(sendFlow(request(start)), store.sendOps);
  t.equal(outcome.kind, 'queued');
  t.same(
    store.calls,
    ['loadSendState', 'countAndRead', 'commitSend', 'loadSendState', 'countAndRead', 'commitSend'],
    'the first write found a newer guard and wrote nothing',
  );
  t.equal(store.outbox.length, 1, 'one mail');

  const busy = new MemoryVerifications();
  busy.interleavedSends = 100;
  t.match(
    runSync(sendFlow(request(start)), busy.sendOps),
    { kind: 'limited', limit: 'cooldown' },
    'an address that never settles is answered, not retried for ever',
  );
  t.equal(busy.outbox.length, 0);
});

t.test(
  'a send records what it did in the same write: created, then code_resent, with the address masked',
  async (t) => {
    const store = new MemoryVerifications();
    const first = runSync(sendFlow(request(start)), store.sendOps);
    const again = runSync(sendFlow(request(start + 61_000)), store.sendOps);
    if (first.kind !== 'queued' || again.kind !== 'queued') return t.fail('both sends go out');
    const id = first.verification.id;
    t.same(store.events, [
      {
        type: 'verification.created',
        clientId: 'cl_acme',
        subject: id,
        maskedEmail: 'a***@acme.example',
        requestId: 'req-1',
        actor: 'portal',
        at: start,
        data: { purpose: 'login', locale: 'en', expiresAt: start + 600_000 },
      },
      {
        type: 'verification.code_resent',
        clientId: 'cl_acme',
        subject: id,
        maskedEmail: 'a***@acme.example',
        requestId: 'req-1',
        actor: 'portal',
        at: start + 61_000,
        data: { sendCount: 2, expiresAt: start + 661_000 },
      },
    ]);
  },
);

t.test('a refused send records nothing', async (t) => {
  const store = new MemoryVerifications();
  runSync(sendFlow(request(start)), store.sendOps);
  runSync(sendFlow(request(start + 1_000)), store.sendOps);
  t.same(
    store.events.map((e) => e.type),
    ['verification.created'],
    'the cooldown refusal left no event',
  );
});

t.test('a suppressed address is refused at once, with the reason and the end, before any limit counts', async (t) => {
  const store = new MemoryVerifications();
  store.suppressions.set('cl_acme|a@acme.example', {
    reason: '550 5.1.1 mailbox unknown',
    enhancedStatus: '5.1.1',
    until: start + 3_600_000,
  });
  const outcome = runSync(sendFlow(request(start)), store.sendOps);
  t.same(outcome, {
    kind: 'suppressed',
    reason: '550 5.1.1 mailbox unknown',
    enhancedStatus: '5.1.1',
    until: start + 3_600_000,
  });
  t.same(store.calls, ['loadSendState'], 'decided on the read: nothing counted, nothing written');
  t.same(store.outbox, []);
  const otherClient = runSync(sendFlow(request(start, { clientId: 'cl_other' })), store.sendOps);
  t.equal(otherClient.kind, 'queued', "another client's suppression does not stop this client's mail");
  const after = runSync(sendFlow(request(start + 3_600_000, { clientId: 'cl_acme' })), store.sendOps);
  t.equal(after.kind, 'queued', 'once the suppression ends, mail goes out again');
});
