// The recoveries port's contract, run on SQLite and on PostgreSQL + Redis: one open recovery
// per person, each step moved once, its events and notice written with it or not at all,
// and completing one removes the person's authenticators in the same transaction.
import type { Test } from 'tap';
import { event, type EventType } from '../../src/events/model.js';
import type { QueuedNotice } from '../../src/people/notices.js';
import type { Recovery } from '../../src/recovery/model.js';
import type { Store } from '../../src/store/store.js';
import { onEachDatabase } from '../helpers/databases.js';
import { openContractStore } from '../helpers/contract-store.js';

await onEachDatabase(async (t) => {
  const now = Date.parse('2026-03-02T09:00:00Z');
  const portal = { actor: 'portal' as const, requestId: null };

  const openTestStore = (t: Test) => openContractStore(t, { clients: ['cl_a'], createdAt: now });

  let ids = 0;
  const recovery = (overrides: Partial<Recovery> = {}): Recovery => ({
    id: `rc_contract${++ids}`,
    clientId: 'cl_a',
    userRef: 'u1',
    verificationId: 'vf_1',
    status: 'code_sent',
    attempts: 0,
    createdAt: now,
    codeExpiresAt: now + 600_000,
    startedAt: null,
    completesAt: null,
    endedAt: null,
    endedBy: null,
    reason: null,
    ...overrides,
  });
  const about = (type: EventType) => event(type, now, { clientId: 'cl_a', subject: 'u1' }, portal);
  const notice = (kind: QueuedNotice['kind']): QueuedNotice => ({
    kind,
    clientId: 'cl_a',
    userRef: 'u1',
    email: 'pat@acme.example',
    payload: 'sealed',
    queuedAt: now,
    expiresAt: now + 3_600_000,
  });
  const trail = async (store: Store) =>
    (await store.events.list({ clientId: 'cl_a', limit: 50 })).map((e) => e.type).reverse();

  t.test('one open recovery per person; an expired one makes way', async (t) => {
    const store = await openTestStore(t);
    const first = recovery();
    t.equal(await store.recoveries.create(first, now, [about('recovery.requested')]), true);
    t.equal(
      await store.recoveries.create(recovery(), now + 1, [about('recovery.requested')]),
      false,
      'a second while the first waits for its code',
    );
    t.same(await trail(store), ['recovery.requested'], "the refused one's event is not written");
    t.equal(await store.recoveries.create(recovery({ userRef: 'u2' }), now, []), true, 'another person has their own');
    const later = recovery({ createdAt: now + 600_000 });
    t.equal(await store.recoveries.create(later, now + 600_000, []), true, "once the first one's code expired");
    t.match(await store.recoveries.get('cl_a', 'u1', first.id), { status: 'expired' });
    t.same(
      (await store.recoveries.list('cl_a', 'u1', 10)).map((r) => r.id),
      [later.id, first.id],
      'newest first',
    );
    t.equal(await store.recoveries.get('cl_a', 'u2', first.id), undefined, "another person's id is not theirs");
    t.equal(await store.recoveries.get('cl_b', 'u1', first.id), undefined, "another client's neither");
  });

  t.test('code_sent → waiting → completed, each once, removing the authenticators with it', async (t) => {
    const store = await openTestStore(t);
    await store.totpFactors.create({
      id: 'te_1',
      clientId: 'cl_a',
      userRef: 'u1',
      accountName: 'pat@acme.example',
      secretEncrypted: 'sealed',
      createdAt: now,
      expiresAt: now + 600_000,
    });
    await store.totpFactors.activate('te_1', now, ['r1', 'r2'], []);
    const attempt = () => store.totpFactors.countAttempt({ clientId: 'cl_a', userRef: 'u1', now, maxAttempts: 99 });
    t.equal((await attempt()).recoveryOpen, false, 'a sign-in reads, in the same round trip, that no recovery is open');
    const r = recovery();
    await store.recoveries.create(r, now, []);
    t.equal((await attempt()).recoveryOpen, true, '…and that one is');
    const completesAt = now + 86_400_000;
    t.equal(
      await store.recoveries.start(r.id, now, completesAt, [about('recovery.started')], notice('recovery_started')),
      true,
    );
    t.equal(await store.recoveries.start(r.id, now, completesAt, [], notice('recovery_started')), false, 'once');
    t.match(await store.recoveries.get('cl_a', 'u1', r.id), { status: 'waiting', startedAt: now, completesAt });
    t.equal(await store.outbox.countQueued(), 1, 'the notice is queued with it, once');
    t.same(await store.recoveries.due(completesAt - 1, 10), [], 'not due before its time');
    t.same(
      (await store.recoveries.due(completesAt, 10)).map((d) => d.id),
      [r.id],
      'due at its time',
    );
    t.equal(
      await store.recoveries.cancel(r.id, { at: now, by: 'portal', reason: null }, []),
      true,
      'a waiting one can be canceled…',
    );
    t.equal((await attempt()).recoveryOpen, false, 'a canceled one is not open');
    t.equal(
      await store.recoveries.complete(
        r.id,
        { at: completesAt, by: 'wait', reason: null },
        [about('recovery.completed')],
        notice('recovery_completed'),
      ),
      false,
      '…and then no longer completes',
    );
    t.ok(await store.totpFactors.active('cl_a', 'u1'), 'so the app stays');

    const again = recovery({ createdAt: now + 1 });
    t.equal(await store.recoveries.create(again, now + 1, []), true);
    await store.recoveries.start(again.id, now + 1, completesAt, []);
    t.equal(
      await store.recoveries.complete(
        again.id,
        { at: completesAt, by: 'support', reason: 'called from the office' },
        [about('recovery.completed')],
        notice('recovery_completed'),
      ),
      true,
    );
    t.match(await store.recoveries.get('cl_a', 'u1', again.id), {
      status: 'completed',
      endedAt: completesAt,
      endedBy: 'support',
      reason: 'called from the office',
    });
    t.equal(await store.totpFactors.active('cl_a', 'u1'), undefined, 'the app is removed with it');
    t.equal(await store.totpFactors.recoveryCodesLeft('te_1'), 0, 'and its recovery codes');
    t.equal(await store.outbox.countQueued(), 2);
    t.equal(
      await store.recoveries.cancel(again.id, { at: now, by: 'portal', reason: null }, [about('recovery.canceled')]),
      false,
      'a completed one is not canceled',
    );
    t.same(await trail(store), ['recovery.started', 'recovery.completed']);
  });

  t.test('a recovery that mailed nothing counts its wrong codes up to the limit', async (t) => {
    const store = await openTestStore(t);
    const r = recovery({ verificationId: null });
    await store.recoveries.create(r, now, []);
    t.equal(await store.recoveries.countDecoyAttempt(r.id, 2), 1);
    t.equal(await store.recoveries.countDecoyAttempt(r.id, 2), 2);
    t.equal(await store.recoveries.countDecoyAttempt(r.id, 2), undefined, 'at the limit, no more');
    t.match(await store.recoveries.get('cl_a', 'u1', r.id), { attempts: 2, verificationId: null });
  });

  t.test('the purge takes recoveries over before the cutoff, and never a waiting one', async (t) => {
    const store = await openTestStore(t);
    const canceled = recovery({ userRef: 'u1' });
    const untyped = recovery({ userRef: 'u2' });
    const waiting = recovery({ userRef: 'u3' });
    for (const r of [canceled, untyped, waiting]) await store.recoveries.create(r, now, []);
    await store.recoveries.cancel(canceled.id, { at: now, by: 'portal', reason: null }, []);
    await store.recoveries.start(waiting.id, now, now + 1_000, []);
    const later = now + 90 * 86_400_000;
    const purged = await store.maintenance.purge({
      now: later,
      verificationsBefore: later,
      sendEventsBefore: later,
      keysRetiredBefore: 0,
      eventsBefore: later,
    });
    t.equal(purged.recoveries, 2);
    t.equal(await store.recoveries.get('cl_a', 'u1', canceled.id), undefined);
    t.equal(await store.recoveries.get('cl_a', 'u2', untyped.id), undefined, 'a code never typed, long expired');
    t.match(await store.recoveries.get('cl_a', 'u3', waiting.id), { status: 'waiting' }, 'the waiting one stays');
  });
});
