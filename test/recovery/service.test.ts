// The recovery's rules against in-memory ports: what is mailed and to whom, what starts the
// wait, what ends it and who is told — without HTTP or SQL.
import pino from 'pino';
import t from 'tap';
import type { Client } from '../../src/clients/model.js';
import type { NewEvent } from '../../src/events/model.js';
import type { QueuedNotice } from '../../src/people/notices.js';
import type { Recovery } from '../../src/recovery/model.js';
import type { RecoveriesPort, RecoveryEnd } from '../../src/recovery/ports.js';
import { RecoveryService, type RecoveryServiceDeps } from '../../src/recovery/service.js';
import { DomainError } from '../../src/shared/domain-error.js';
import { refuse as refuseCode } from '../../src/verification/refusals.js';

const hour = 3_600_000;
const client = {
  id: 'cl_a',
  name: 'Acme',
  recoveryWaitHours: 24,
  noticesOff: [],
  defaultLocale: 'en',
} as unknown as Client;
const portal = { actor: 'portal' as const, requestId: null };
const support = { actor: 'operator' as const, requestId: null, operatorId: 'op_1', reason: 'phone lost, called in' };

/** A recoveries port in memory, moving each row as the SQL does. */
function memoryRecoveries() {
  const rows = new Map<string, Recovery>();
  const events: NewEvent[] = [];
  const notices: QueuedNotice[] = [];
  const removedFactors: string[] = [];
  const write = (written: NewEvent[], notice?: QueuedNotice) => {
    events.push(...written);
    if (notice) notices.push(notice);
    return true;
  };
  const move = (id: string, from: Recovery['status'][], change: Partial<Recovery>) => {
    const row = rows.get(id);
    if (!row || !from.includes(row.status)) return false;
    rows.set(id, { ...row, ...change });
    return true;
  };
  const ended = (end: RecoveryEnd) => ({ endedAt: end.at, endedBy: end.by, reason: end.reason });
  const port: RecoveriesPort = {
    async create(recovery, now, written) {
      for (const row of rows.values())
        if (row.clientId === recovery.clientId && row.userRef === recovery.userRef) {
          if (row.status === 'code_sent' && row.codeExpiresAt <= now) row.status = 'expired';
          if (row.status === 'code_sent' || row.status === 'waiting') return false;
        }
      rows.set(recovery.id, { ...recovery });
      return write(written);
    },
    async get(clientId, userRef, id) {
      const row = rows.get(id);
      return row?.clientId === clientId && row.userRef === userRef ? { ...row } : undefined;
    },
    async list(clientId, userRef, limit) {
      return [...rows.values()]
        .filter((r) => r.clientId === clientId && r.userRef === userRef)
        .sort((a, b) => b.createdAt - a.createdAt)
        .slice(0, limit)
        .map((r) => ({ ...r }));
    },
    async countDecoyAttempt(id, max) {
      const row = rows.get(id)!;
      if (row.attempts >= max) return undefined;
      row.attempts++;
      return row.attempts;
    },
    async start(id, startedAt, completesAt, written, notice) {
      return move(id, ['code_sent'], { status: 'waiting', startedAt, completesAt }) && write(written, notice);
    },
    async cancel(id, end, written, notice) {
      return move(id, ['code_sent', 'waiting'], { status: 'canceled', ...ended(end) }) && write(written, notice);
    },
    async complete(id, end, written, notice) {
      if (!move(id, ['waiting'], { status: 'completed', ...ended(end) })) return false;
      removedFactors.push(rows.get(id)!.userRef);
      return write(written, notice);
    },
    async due(now, limit) {
      return [...rows.values()].filter((r) => r.status === 'waiting' && r.completesAt! <= now).slice(0, limit);
    },
  };
  return { port, rows, events, notices, removedFactors };
}

function setUp(options: { wrongCodes?: boolean } = {}) {
  let now = Date.parse('2026-03-02T09:00:00Z');
  const store = memoryRecoveries();
  const mailed: string[] = [];
  const checked: string[] = [];
  const people: Record<string, { email: string; locale: string | null }> = {
    'u-42': { email: 'pat@acme.example', locale: 'de' },
    'u-7': { email: 'sam@acme.example', locale: null },
  };
  const apps = new Set(['u-42']);
  let verified = false;
  const verification: RecoveryServiceDeps['verification'] = {
    async sendRecoveryCode(_client, input) {
      mailed.push(`${input.email} ${input.locale}`);
      return { verification: { id: `vf_${mailed.length}`, expiresAt: now + 600_000 } as never, resendAfter: now };
    },
    async verifyCode(_client, target) {
      checked.push((target as { verificationId: string }).verificationId);
      if (options.wrongCodes) throw refuseCode({ kind: 'invalid_code', attemptsRemaining: 4 });
      if (verified) throw refuseCode({ kind: 'already_verified' });
      verified = true;
      return { assertion: 'jwt', expiresAt: now };
    },
  };
  const service = new RecoveryService({
    recoveries: store.port,
    verification,
    hasAuthenticator: async (_clientId, userRef) => apps.has(userRef),
    noticeAddress: async (_clientId, userRef) => people[userRef],
    notices: {
      addressOf: async (_clientId, userRef) => people[userRef],
      outboxKeys: [Buffer.alloc(32, 7)],
      mailFrom: 'no-reply@acme.example',
      resolveLocale: (...candidates) => candidates.find((c) => c) ?? 'en',
    },
    codeTtlMs: 600_000,
    maxAttempts: 5,
    now: () => now,
    logger: pino({ level: 'silent' }),
  });
  const refusal = async (work: Promise<unknown>) => {
    try {
      await work;
    } catch (error) {
      if (error instanceof DomainError) return error.refusal as { kind: string };
      throw error;
    }
    return undefined;
  };
  return {
    service,
    verification,
    store,
    mailed,
    checked,
    refusal,
    advance: (ms: number) => {
      now += ms;
    },
    now: () => now,
  };
}

t.test('a recovery mails a code to the proven address, in its language, and nothing for nobody', async (t) => {
  const { service, mailed, store } = setUp();
  const pat = await service.start(client, 'u-42', {}, portal);
  t.equal(pat.status, 'code_sent');
  t.equal(pat.verificationId, 'vf_1');
  const sam = await service.start(client, 'u-7', {}, portal);
  const nobody = await service.start(client, 'u-404', {}, portal);
  t.same(mailed, ['pat@acme.example de'], 'only a person with an app and a proven address is mailed');
  for (const r of [sam, nobody]) {
    t.equal(r.status, 'code_sent', 'the others read the same');
    t.equal(r.codeExpiresAt - r.createdAt, pat.codeExpiresAt - pat.createdAt);
    t.equal(r.verificationId, null);
  }
  t.same(
    store.events.map((e) => [e.subject, e.type, e.data.mailed]),
    [
      ['u-42', 'recovery.requested', true],
      ['u-7', 'recovery.requested', false],
      ['u-404', 'recovery.requested', false],
    ],
    "the trail says which mailed (the client's own trail, never the answer)",
  );
});

t.test('for nobody, every code is wrong and they run out as a real one does', async (t) => {
  const { service, refusal } = setUp();
  const r = await service.start(client, 'u-404', {}, portal);
  for (let left = 4; left >= 0; left--)
    t.same(await refusal(service.confirm(client, 'u-404', r.id, '123456', portal)), {
      kind: 'invalid_code',
      attemptsRemaining: left,
    });
  t.same(await refusal(service.confirm(client, 'u-404', r.id, '123456', portal)), { kind: 'too_many_attempts' });
});

t.test("a right code starts the client's wait and tells the person when the app goes", async (t) => {
  const { service, store, now, refusal } = setUp();
  const r = await service.start(client, 'u-42', {}, portal);
  const waiting = await service.confirm(client, 'u-42', r.id, '123456', portal);
  t.match(waiting, { status: 'waiting', startedAt: now(), completesAt: now() + 24 * hour });
  t.same(
    store.notices.map((n) => n.kind),
    ['recovery_started'],
  );
  t.same(
    store.events.slice(-2).map((e) => e.type),
    ['recovery.started', 'notice.queued'],
  );
  t.same(await refusal(service.confirm(client, 'u-42', r.id, '123456', portal)), {
    kind: 'recovery_closed',
    state: 'waiting',
  });
  t.same(await refusal(service.start(client, 'u-42', {}, portal)), { kind: 'recovery_pending', recoveryId: r.id });
});

t.test('a code verified before a crash still starts the wait when typed again', async (t) => {
  const { service, store, verification } = setUp();
  const r = await service.start(client, 'u-42', {}, portal);
  // The verification took the code, then the process died before the wait was written.
  await verification.verifyCode(client, { verificationId: r.verificationId! }, '123456', portal);
  const waiting = await service.confirm(client, 'u-42', r.id, '123456', portal);
  t.equal(waiting.status, 'waiting');
  t.equal(store.notices.length, 1);
});

t.test('wrong codes are the verification’s refusals; an expired code is the recovery’s', async (t) => {
  const { service, refusal, advance } = setUp({ wrongCodes: true });
  const r = await service.start(client, 'u-42', {}, portal);
  t.same(await refusal(service.confirm(client, 'u-42', r.id, '000000', portal)), {
    kind: 'invalid_code',
    attemptsRemaining: 4,
  });
  advance(600_000);
  t.same(await refusal(service.confirm(client, 'u-42', r.id, '000000', portal)), { kind: 'code_expired' });
  t.equal((await service.get(client, 'u-42', r.id)).status, 'code_sent', 'stored as it was…');
  t.equal(service.stateOf(await service.get(client, 'u-42', r.id)), 'expired', '…and read as expired');
  t.equal((await service.start(client, 'u-42', {}, portal)).status, 'code_sent', 'so a new one may start');
});

t.test('a sign-in during the wait cancels it and tells the person; before the code, quietly', async (t) => {
  const { service, store } = setUp();
  const first = await service.start(client, 'u-42', {}, portal);
  await service.signedIn(client, 'u-42', portal);
  t.match(await service.get(client, 'u-42', first.id), { status: 'canceled', endedBy: 'sign_in' });
  t.same(store.notices, [], 'nothing had started: nothing to tell');

  const second = await service.start(client, 'u-42', {}, portal);
  await service.confirm(client, 'u-42', second.id, '123456', portal);
  await service.signedIn(client, 'u-42', portal);
  t.match(await service.get(client, 'u-42', second.id), { status: 'canceled', endedBy: 'sign_in' });
  t.same(
    store.notices.map((n) => n.kind),
    ['recovery_started', 'recovery_canceled'],
  );
  await service.signedIn(client, 'u-42', portal);
  t.equal(store.notices.length, 2, 'a sign-in with nothing open does nothing');
});

t.test(
  'at the end of the wait the app goes — at the next read or the background pass, whichever is first',
  async (t) => {
    const { service, store, advance } = setUp();
    const r = await service.start(client, 'u-42', {}, portal);
    await service.confirm(client, 'u-42', r.id, '123456', portal);
    advance(24 * hour - 1);
    t.equal(await service.completeDue(async () => client), 0, 'not a moment early');
    advance(1);
    await service.signedIn(client, 'u-42', portal);
    t.equal(store.rows.get(r.id)!.status, 'waiting', 'a sign-in after the end does not cancel a due recovery');
    t.match(await service.get(client, 'u-42', r.id), { status: 'completed', endedBy: 'wait' }, 'read: completed');
    t.same(store.removedFactors, ['u-42']);
    t.same(
      store.notices.map((n) => n.kind),
      ['recovery_started', 'recovery_completed'],
    );
    t.equal(await service.completeDue(async () => client), 0, 'and only once');
  },
);

t.test('the background pass completes what is due, and leaves a vanished client’s alone', async (t) => {
  const { service, advance, store } = setUp();
  const r = await service.start(client, 'u-42', {}, portal);
  await service.confirm(client, 'u-42', r.id, '123456', portal);
  advance(24 * hour);
  t.equal(await service.completeDue(async () => undefined), 0);
  t.equal(store.rows.get(r.id)!.status, 'waiting');
  t.equal(await service.completeDue(async () => client), 1);
  t.equal(store.rows.get(r.id)!.status, 'completed');
});

t.test('support approves early or cancels, with the reason kept; the portal cancels too', async (t) => {
  const { service, store, refusal } = setUp();
  const r = await service.start(client, 'u-42', {}, portal);
  t.same(await refusal(service.approve(client, 'u-42', r.id, support)), {
    kind: 'recovery_closed',
    state: 'code_sent',
  });
  await service.confirm(client, 'u-42', r.id, '123456', portal);
  const approved = await service.approve(client, 'u-42', r.id, support);
  t.match(approved, { status: 'completed', endedBy: 'support', reason: 'phone lost, called in' });
  t.same(store.removedFactors, ['u-42']);
  const completedEvent = store.events.find((e) => e.type === 'recovery.completed')!;
  t.match(completedEvent, {
    actor: 'operator',
    actorId: 'op_1',
    data: { by: 'support', reason: 'phone lost, called in' },
  });

  const next = await service.start(client, 'u-42', {}, portal);
  t.match(await service.cancel(client, 'u-42', next.id, portal), { status: 'canceled', endedBy: 'portal' });
  t.same(await refusal(service.cancel(client, 'u-42', next.id, support)), {
    kind: 'recovery_closed',
    state: 'canceled',
  });
  t.same(await refusal(service.get(client, 'u-1', next.id)), { kind: 'recovery_not_found' }, "another person's id");
});

t.test('a client with no wait removes the app at the right code', async (t) => {
  const { service, store } = setUp();
  const now = { ...client, recoveryWaitHours: 0 } as Client;
  const r = await service.start(now, 'u-42', {}, portal);
  t.match(await service.confirm(now, 'u-42', r.id, '123456', portal), { status: 'completed', endedBy: 'wait' });
  t.same(store.removedFactors, ['u-42']);
});
