// One contract for every store port, run on SQLite and on PostgreSQL + Redis: both
// adapters must answer every method the same.
import type { Test } from 'tap';
import { decoyVerificationId } from '../../src/verification/attempt-flow.js';
import type { SigningKeyRow } from '../../src/assertions/ports.js';
import { event, type EventType } from '../../src/events/model.js';
import type { Store } from '../../src/store/store.js';
import { serviceScope } from '../../src/operators/model.js';
import { sessionCutoffs } from '../../src/operators/sessions.js';
import type { SendLimits } from '../../src/verification/model.js';
import type { AttemptRequest, LinkRequest, SendRequest } from '../../src/verification/ports.js';
import type { RequestContext } from '../../src/events/model.js';
import { attemptFlow } from '../../src/verification/attempt-flow.js';
import { cancelFlow } from '../../src/verification/cancel-flow.js';
import { linkFlow } from '../../src/verification/link-flow.js';
import { sendFlow } from '../../src/verification/send-flow.js';
import { standingFlow, type StandingRequest } from '../../src/verification/standing.js';

/** The flows, run on a store's operations as the verification service runs them. */
const flows = (store: Store) => ({
  send: (request: SendRequest) => store.verifications.runSend(sendFlow(request)),
  standing: (request: StandingRequest) => store.verifications.runSend(standingFlow(request)),
  attempt: (request: AttemptRequest) => store.verifications.runAttempt(attemptFlow(request)),
  useLink: (request: LinkRequest) => store.verifications.runLink(linkFlow(request)),
  cancel: (id: string, clientId: string, now: number, context: RequestContext) =>
    store.verifications.runCancel(cancelFlow({ id, clientId, now, context })),
  async findByEmail(email: string, limit: number) {
    const newest = await store.verifications.newestByEmail(email, limit);
    const found = await Promise.all(newest.map(({ id, clientId }) => store.verifications.get(id, clientId)));
    return found.filter((f) => f !== undefined);
  },
});
import { onEachDatabase } from '../helpers/databases.js';
import { openContractStore } from '../helpers/contract-store.js';

await onEachDatabase(async (t) => {
  const now = Date.parse('2026-03-02T09:00:00Z');
  const limits: SendLimits = {
    codeTtlMs: 600_000,
    cooldownMs: 60_000,
    maxAttempts: 3,
    perEmailHour: 5,
    perEmailDay: 10,
    perIpHour: 20,
    perDomainHour: 1_000,
    globalPerMinute: 1_000,
    wrongCodesPerEmailHour: 20,
    codesKept: 3,
    unknownLinksPerIpHour: 3,
  };

  const openTestStore = (t: Test) => openContractStore(t);

  const newClient = (id: string, hash = `hash-${id}`) => ({
    id,
    name: `Client ${id}`,
    apiKeyHash: hash,
    allowedDomains: ['acme.example'],
    createdAt: now,
  });

  let ids = 0;
  const portal = { actor: 'portal' as const, requestId: 'req-contract' };
  const send = (store: Store, at: number, overrides: Partial<SendRequest> = {}) =>
    flows(store).send({
      clientId: 'cl_a',
      email: 'a@acme.example',
      userRef: null,
      domain: 'acme.example',
      purpose: 'login',
      locale: 'en',
      endUserIp: '203.0.113.9',
      now: at,
      limits,
      newVerificationId: `vf_contract${++ids}`,
      codeHashFor: (id) => `code:${id}:${at}`,
      payloadFor: (v) => `payload:${v.id}`,
      link: null,
      context: portal,
      ...overrides,
    });
  const attempt = (
    store: Store,
    target: { verificationId: string } | { email: string; purpose: 'login' | 'signup' },
    code: string,
    at = now + 1_000,
    clientId = 'cl_a',
  ) =>
    flows(store).attempt({
      clientId,
      target,
      now: at,
      matches: (_id, hashes) => hashes.includes(code),
      context: portal,
    });

  t.test('ping answers', async (t) => {
    const store = await openTestStore(t);
    t.equal(await store.ping(), true);
  });

  t.test('clients: create, get, list, find by key hash, update, revoke, each change with its events', async (t) => {
    const store = await openTestStore(t);
    const { clients } = store;
    const change = (type: EventType, at: number) =>
      event(type, at, { clientId: 'cl_a', subject: 'cl_a' }, { actor: 'cli', requestId: null });
    const created = await clients.create(newClient('cl_a'), [change('client.created', now)]);
    t.match(created, {
      id: 'cl_a',
      name: 'Client cl_a',
      allowedDomains: ['acme.example'],
      defaultLocale: 'en',
      codeInSubject: true,
      revokedAt: null,
    });
    t.notOk('apiKeyHash' in created, 'the key hash never leaves with a client');
    await clients.create({ ...newClient('cl_b'), createdAt: now + 1 }, []);
    t.same(
      (await clients.list()).map((c) => c.id),
      ['cl_a', 'cl_b'],
      'oldest first',
    );
    t.same(await clients.get('cl_a'), created);
    t.equal(await clients.get('cl_nope'), undefined);
    t.match(await clients.findByKeyHash('hash-cl_a'), { id: 'cl_a', apiKeyHash: 'hash-cl_a' });
    t.equal(await clients.findByKeyHash('hash-nope'), undefined);
    const updated = await clients.update('cl_a', { allowedDomains: ['acme-group.example'], accentColor: '#112233' }, [
      change('client.updated', now + 2),
    ]);
    t.match(
      updated,
      { allowedDomains: ['acme-group.example'], accentColor: '#112233', name: 'Client cl_a' },
      'what is not given is kept',
    );
    t.match(
      await clients.findByKeyHash('hash-cl_a'),
      { allowedDomains: ['acme-group.example'] },
      'the lookup sees the change',
    );
    t.equal(await clients.update('cl_nope', { name: 'x' }, [change('client.updated', now + 3)]), undefined);
    t.equal(await clients.revoke('cl_a', now + 5, [change('client.revoked', now + 5)]), true);
    t.equal(await clients.revoke('cl_a', now + 6, [change('client.revoked', now + 6)]), false, 'only once');
    t.match(await clients.findByKeyHash('hash-cl_a'), { revokedAt: now + 5 });
    t.equal(await clients.revoke('cl_nope', now, [change('client.revoked', now)]), false);
    const trail = await store.events.after(0, 100);
    t.same(
      trail.map((e) => [e.type, e.at]),
      [
        ['client.created', now],
        ['client.updated', now + 2],
        ['client.revoked', now + 5],
      ],
      'an event for each change made, none for a refused one',
    );
  });

  t.test(
    'dkim keys: create (a selector once per client and domain), list without the private half, signing keys, retire, remove, each with its events',
    async (t) => {
      const store = await openTestStore(t);
      const { dkimKeys } = store;
      await store.clients.create(newClient('cl_a'), []);
      await store.clients.create(newClient('cl_b'), []);
      const change = (type: EventType, at: number, clientId = 'cl_a') =>
        event(type, at, { clientId, subject: clientId }, { actor: 'cli', requestId: null });
      const key = (id: string, clientId: string, selector: string, at: number) => ({
        id,
        clientId,
        domain: 'acme.example',
        selector,
        publicKey: `pub-${id}`,
        privateKeySealed: `sealed-${id}`,
        createdAt: at,
        signsFrom: at,
      });
      t.equal(await dkimKeys.create(key('dk_1', 'cl_a', 'mc1', now), [change('dkim.key_created', now)]), true);
      t.equal(
        await dkimKeys.create(key('dk_2', 'cl_a', 'mc1', now + 1), [change('dkim.key_created', now + 1)]),
        false,
        'the same selector for the same domain: refused, nothing written',
      );
      t.equal(
        await dkimKeys.create(key('dk_3', 'cl_b', 'mc1', now + 2), [change('dkim.key_created', now + 2, 'cl_b')]),
        true,
        'another client may use the selector',
      );
      t.equal(await dkimKeys.create(key('dk_4', 'cl_a', 'mc2', now + 3), [change('dkim.key_rotated', now + 3)]), true);
      const listed = await dkimKeys.list('cl_a');
      t.same(
        listed,
        [
          {
            id: 'dk_1',
            clientId: 'cl_a',
            domain: 'acme.example',
            selector: 'mc1',
            publicKey: 'pub-dk_1',
            createdAt: now,
            signsFrom: now,
            retiredAt: null,
          },
          {
            id: 'dk_4',
            clientId: 'cl_a',
            domain: 'acme.example',
            selector: 'mc2',
            publicKey: 'pub-dk_4',
            createdAt: now + 3,
            signsFrom: now + 3,
            retiredAt: null,
          },
        ],
        'oldest first, never the sealed private key',
      );
      t.same(
        (await dkimKeys.list()).map((k) => k.id),
        ['dk_1', 'dk_3', 'dk_4'],
        "every client's",
      );
      t.same(
        (await dkimKeys.signingKeys('cl_a')).map((k) => [k.id, k.privateKeySealed]).sort(),
        [
          ['dk_1', 'sealed-dk_1'],
          ['dk_4', 'sealed-dk_4'],
        ],
        'for signing, with the sealed key',
      );
      t.equal(
        await dkimKeys.retire('cl_b', 'dk_1', now + 4, [change('dkim.key_retired', now + 4, 'cl_b')]),
        false,
        "not another client's key",
      );
      t.equal(await dkimKeys.retire('cl_a', 'dk_1', now + 5, [change('dkim.key_retired', now + 5)]), true);
      t.equal(await dkimKeys.retire('cl_a', 'dk_1', now + 6, [change('dkim.key_retired', now + 6)]), false, 'once');
      t.match((await dkimKeys.list('cl_a'))[0], { id: 'dk_1', retiredAt: now + 5 });
      t.same(
        (await dkimKeys.signingKeys('cl_a')).map((k) => k.id),
        ['dk_4'],
        'a retired key signs no more',
      );
      t.equal(
        await dkimKeys.remove('cl_b', 'dk_4', [change('dkim.key_removed', now + 7, 'cl_b')]),
        false,
        "not another client's key",
      );
      t.equal(await dkimKeys.remove('cl_a', 'dk_4', [change('dkim.key_removed', now + 8)]), true);
      t.same(
        (await dkimKeys.list('cl_a')).map((k) => k.id),
        ['dk_1'],
      );
      const trail = await store.events.after(0, 100);
      t.same(
        trail.map((e) => [e.type, e.clientId, e.at]),
        [
          ['dkim.key_created', 'cl_a', now],
          ['dkim.key_created', 'cl_b', now + 2],
          ['dkim.key_rotated', 'cl_a', now + 3],
          ['dkim.key_retired', 'cl_a', now + 5],
          ['dkim.key_removed', 'cl_a', now + 8],
        ],
        'an event for each change made, none for a refused one',
      );
    },
  );

  t.test("client relays: set, replace, get, clear, each with its events; one client's relay is its own", async (t) => {
    const store = await openTestStore(t);
    const { clientRelays } = store;
    await store.clients.create(newClient('cl_a'), []);
    await store.clients.create(newClient('cl_b'), []);
    const change = (type: EventType, at: number) =>
      event(type, at, { clientId: 'cl_a', subject: 'cl_a' }, { actor: 'cli', requestId: null });
    t.equal(await clientRelays.get('cl_a'), undefined);
    await clientRelays.set('cl_a', { smtpUrlSealed: 'sealed-1', shown: 'smtps://one.example', updatedAt: now }, [
      change('client.relay_set', now),
    ]);
    await clientRelays.set('cl_a', { smtpUrlSealed: 'sealed-2', shown: 'smtps://two.example', updatedAt: now + 1 }, [
      change('client.relay_set', now + 1),
    ]);
    t.same(await clientRelays.get('cl_a'), { smtpUrlSealed: 'sealed-2', shown: 'smtps://two.example' }, 'replaced');
    t.equal(await clientRelays.get('cl_b'), undefined, "not another client's");
    t.equal(await clientRelays.clear('cl_b', [change('client.relay_removed', now + 2)]), false);
    t.equal(await clientRelays.clear('cl_a', [change('client.relay_removed', now + 3)]), true);
    t.equal(await clientRelays.get('cl_a'), undefined);
    t.same(
      (await store.events.after(0, 100)).map((e) => [e.type, e.at]),
      [
        ['client.relay_set', now],
        ['client.relay_set', now + 1],
        ['client.relay_removed', now + 3],
      ],
    );
  });

  t.test('verifications: send, resend, limits on real rows, get, cancel', async (t) => {
    const store = await openTestStore(t);
    await store.clients.create(newClient('cl_a'), []);
    await store.clients.create(newClient('cl_b'), []);
    const first = await send(store, now);
    if (first.kind !== 'queued') return t.fail('refused');
    t.match(first.verification, {
      clientId: 'cl_a',
      email: 'a@acme.example',
      purpose: 'login',
      status: 'pending',
      attempts: 0,
      maxAttempts: 3,
      sendCount: 1,
      expiresAt: now + 600_000,
    });
    t.same(await send(store, now + 1_000), { kind: 'limited', retryAfterMs: 59_000, limit: 'cooldown' });
    const again = await send(store, now + 60_000);
    t.match(again, {
      kind: 'queued',
      joined: true,
      verification: { id: first.verification.id, sendCount: 2, expiresAt: now + 660_000 },
    });
    t.match(await store.verifications.get(first.verification.id, 'cl_a'), {
      verification: { id: first.verification.id },
      delivery: { status: 'queued', attempts: 0 },
    });
    t.equal(
      await store.verifications.get(first.verification.id, 'cl_b'),
      undefined,
      "another client's verification is not found",
    );
    t.equal(await store.outbox.countQueued(), 2, 'a mail per send');

    const other = await send(store, now, {
      purpose: 'signup',
      email: 'b@acme.example',
      newVerificationId: 'vf_tocancel',
    });
    t.equal(other.kind, 'queued');
    t.equal(await flows(store).cancel('vf_tocancel', 'cl_b', now + 1, portal), 'not_found');
    t.equal(await flows(store).cancel('vf_tocancel', 'cl_a', now + 1, portal), 'canceled');
    t.equal(await flows(store).cancel('vf_tocancel', 'cl_a', now + 2, portal), 'unchanged');
    t.equal(await store.outbox.countQueued(), 2, "the canceled verification's mail is dropped");
    t.match(await attempt(store, { verificationId: 'vf_tocancel' }, `code:vf_tocancel:${now}`), { kind: 'canceled' });

    // The per-IP limit counts across addresses, on the rows the store keeps.
    const tight = { ...limits, perIpHour: 3 };
    for (let i = 0; i < 3; i++) await send(store, now + 120_000, { limits: tight, email: `ip${i}@acme.example` });
    t.match(await send(store, now + 120_000, { limits: tight, email: 'ip3@acme.example' }), {
      kind: 'limited',
      limit: 'ip_hour',
    });
    const ceiling = { ...limits, globalPerMinute: 1 };
    t.match(await send(store, now + 3_600_000, { limits: ceiling, email: 'g1@acme.example', endUserIp: null }), {
      kind: 'queued',
    });
    t.match(
      await send(store, now + 3_600_000, { limits: ceiling, email: 'g2@acme.example', endUserIp: null }),
      { kind: 'limited', limit: 'global_minute' },
      'the shared counters count',
    );
  });

  t.test('verifications: expireDue marks what expired pending, once, with its events', async (t) => {
    const store = await openTestStore(t);
    await store.clients.create(newClient('cl_a'), []);
    const gone = await send(store, now, { email: 'gone@acme.example' });
    const used = await send(store, now, { email: 'used@acme.example' });
    await send(store, now + 300_000, { email: 'later@acme.example' });
    if (gone.kind !== 'queued' || used.kind !== 'queued') return t.fail('sent');
    await attempt(store, { verificationId: used.verification.id }, `code:${used.verification.id}:${now}`);
    const eventsFor = (v: { id: string; clientId: string; expiresAt: number }) => [
      {
        type: 'verification.expired' as const,
        clientId: v.clientId,
        subject: v.id,
        maskedEmail: null,
        requestId: null,
        actor: 'mailcode' as const,
        data: {},
        at: v.expiresAt,
      },
    ];
    t.equal(
      await store.verifications.expireDue({ after: now + 600_000, upTo: now + 899_999 }, 10, eventsFor),
      0,
      'a window after its expiry does not see it',
    );
    t.equal(
      await store.verifications.expireDue({ after: now, upTo: now + 599_999 }, 10, eventsFor),
      0,
      'nor one before it',
    );
    t.equal(
      await store.verifications.expireDue({ after: now, upTo: now + 600_000 }, 10, eventsFor),
      1,
      'only the pending one past its expiry',
    );
    t.equal(await store.verifications.expireDue({ after: now, upTo: now + 600_000 }, 10, eventsFor), 0, 'once');
    t.match(await store.verifications.get(gone.verification.id, 'cl_a'), { verification: { status: 'expired' } });
    t.match(
      await attempt(
        store,
        { verificationId: gone.verification.id },
        `code:${gone.verification.id}:${now}`,
        now + 600_001,
      ),
      { kind: 'expired' },
    );
    t.match(await store.events.list({ clientId: 'cl_a', types: ['verification.expired'], limit: 5 }), [
      { subject: gone.verification.id, at: now + 600_000 },
    ]);
  });

  t.test('verifications: sends to one address side by side are decided one after the other', async (t) => {
    const store = await openTestStore(t);
    await store.clients.create(newClient('cl_a'), []);
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, () => send(store, now, { limits: { ...limits, cooldownMs: 0 } })),
    );
    t.equal(
      outcomes.filter((o) => o.kind === 'queued').length,
      5,
      `exactly the hourly limit went out: ${JSON.stringify(outcomes.map((o) => (o.kind === 'queued' ? o.verification.sendCount : o.kind)))}`,
    );
    t.equal(await store.outbox.countQueued(), 5);
  });

  t.test(
    'verifications: sends from one end-user IP side by side, to different addresses, stop at the IP limit',
    async (t) => {
      const store = await openTestStore(t);
      await store.clients.create(newClient('cl_a'), []);
      const tight = { ...limits, perIpHour: 6 };
      const outcomes = await Promise.all(
        Array.from({ length: 10 }, (_, i) => send(store, now, { limits: tight, email: `side${i}@acme.example` })),
      );
      t.equal(outcomes.filter((o) => o.kind === 'queued').length, 6, 'exactly the per-IP limit went out');
      t.ok(
        outcomes.filter((o) => o.kind === 'limited').every((o) => o.kind === 'limited' && o.limit === 'ip_hour'),
        'the rest are told why',
      );
      t.equal(await store.outbox.countQueued(), 6);
    },
  );

  t.test('verifications: attempts — wrong codes lock, a right code is used once, by id or by address', async (t) => {
    const store = await openTestStore(t);
    await store.clients.create(newClient('cl_a'), []);
    await store.clients.create(newClient('cl_b'), []);
    const sent = await send(store, now);
    if (sent.kind !== 'queued') return t.fail('refused');
    const id = sent.verification.id;
    const code = `code:${id}:${now}`;
    t.match(
      await attempt(store, { verificationId: id }, code, now + 1_000, 'cl_b'),
      { kind: 'not_found' },
      'not by another client',
    );
    t.match(await attempt(store, { verificationId: 'vf_unknown' }, code), { kind: 'not_found' });
    t.match(await attempt(store, { verificationId: id }, 'wrong'), { kind: 'invalid', attemptsRemaining: 2 });
    t.match(await attempt(store, { email: 'a@acme.example', purpose: 'login' }, code), {
      kind: 'verified',
      verification: { id, status: 'verified', attempts: 2, verifiedAt: now + 1_000 },
    });
    t.match(await attempt(store, { verificationId: id }, code), { kind: 'already_verified' });

    const locked = await send(store, now, { email: 'l@acme.example' });
    if (locked.kind !== 'queued') return t.fail('refused');
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, () => attempt(store, { verificationId: locked.verification.id }, 'wrong')),
    );
    t.equal(
      outcomes.filter((o) => o.kind === 'invalid').length,
      3,
      'exactly maxAttempts wrong codes are judged, even side by side',
    );
    t.match(await store.verifications.get(locked.verification.id, 'cl_a'), {
      verification: { status: 'locked', attempts: 3 },
    });
    t.match(await attempt(store, { verificationId: locked.verification.id }, `code:${locked.verification.id}:${now}`), {
      kind: 'locked',
    });

    const expiring = await send(store, now, { email: 'e@acme.example' });
    if (expiring.kind !== 'queued') return t.fail('refused');
    t.match(await attempt(store, { verificationId: expiring.verification.id }, 'x', now + 600_000), {
      kind: 'expired',
    });
  });

  t.test(
    'verifications: continue links — one per mail, the newest kept, bound, used once, side by side with a code',
    async (t) => {
      const store = await openTestStore(t);
      await store.clients.create(newClient('cl_a'), []);
      await store.clients.create(newClient('cl_b'), []);
      const link = (n: number) => ({ linkHash: `link-${n}`, bindingHash: `browser-${n}` });
      const use = (
        hash: string,
        browser: string | undefined,
        at = now + 1_000,
        clientId = 'cl_a',
        ipKey = '203.0.113.9',
      ) =>
        flows(store).useLink({
          clientId,
          linkHashes: ['other-key-hash', hash],
          sameBrowser: (stored) => stored === browser,
          anyBrowser: false,
          ipKey,
          now: at,
          limits,
          context: portal,
        });
      const first = await send(store, now, { link: link(1) });
      if (first.kind !== 'queued') return t.fail('refused');
      const id = first.verification.id;
      for (const [i, at] of [
        [2, now + 60_000],
        [3, now + 120_000],
        [4, now + 180_000],
      ] as const) {
        t.match(
          await send(store, at, { link: link(i) }),
          { kind: 'queued', verification: { id } },
          `resend ${i} joins`,
        );
      }
      t.match(
        await use('link-1', 'browser-1'),
        { kind: 'unknown' },
        'the oldest link went with the oldest code (three kept)',
      );
      t.match(
        await use('link-2', 'browser-2', now + 1_000, 'cl_b'),
        { kind: 'unknown' },
        "another client's link is unknown",
      );
      t.match(await use('link-2', undefined), { kind: 'different_browser', verification: { id } });
      t.match(
        await use('link-2', 'browser-3'),
        { kind: 'different_browser' },
        "another mail's binding is another browser",
      );
      t.match(
        await store.verifications.get(id, 'cl_a'),
        { verification: { status: 'pending', attempts: 0 } },
        'refusals use nothing up',
      );
      const [a, b] = await Promise.all([use('link-2', 'browser-2'), use('link-3', 'browser-3')]);
      t.same([a.kind, b.kind].sort(), ['already_verified', 'verified'], 'two links side by side: one verifies');
      t.match(await store.verifications.get(id, 'cl_a'), {
        verification: { status: 'verified', verifiedWith: 'link', attempts: 1 },
      });
      t.match(
        await attempt(store, { verificationId: id }, `code:${id}:${now + 180_000}`),
        { kind: 'already_verified' },
        'and the codes are used up with it',
      );

      const coded = await send(store, now, { email: 'c@acme.example', link: link(5) });
      if (coded.kind !== 'queued') return t.fail('refused');
      t.match(await attempt(store, { verificationId: coded.verification.id }, `code:${coded.verification.id}:${now}`), {
        kind: 'verified',
        verification: { verifiedWith: 'code' },
      });
      t.match(await use('link-5', 'browser-5'), { kind: 'already_verified' }, 'a used code ends the link');

      const canceled = await send(store, now, { email: 'x@acme.example', link: link(6) });
      if (canceled.kind !== 'queued') return t.fail('refused');
      await flows(store).cancel(canceled.verification.id, 'cl_a', now + 500, portal);
      t.match(
        await use('link-6', 'browser-6'),
        { kind: 'canceled' },
        'a canceled verification keeps its link to say so',
      );
      const expiring = await send(store, now, { email: 'e@acme.example', link: link(7) });
      if (expiring.kind !== 'queued') return t.fail('refused');
      t.match(await use('link-7', 'browser-7', now + 600_000), { kind: 'expired' });

      const probes = [];
      for (let i = 0; i < 4; i++)
        probes.push((await use('no-such-link', 'browser-1', now + 2_000, 'cl_b', '198.51.100.4')).kind);
      t.same(probes, ['unknown', 'unknown', 'unknown', 'limited'], 'unknown links count per client and IP');
      t.match(
        await use('no-such-link', 'browser-1', now + 2_000, 'cl_a', '198.51.100.4'),
        { kind: 'unknown' },
        'another client counts its own',
      );
      const trail = await store.events.list({ clientId: 'cl_a', types: ['verification.link_refused'], limit: 50 });
      t.same(trail.map((e) => e.data.reason).sort(), [
        'already_verified',
        'already_verified',
        'canceled',
        'different_browser',
        'different_browser',
        'expired',
      ]);
    },
  );

  t.test(
    'verifications: every client has a decoy; an unknown target counts its attempt there, and nothing else names it',
    async (t) => {
      const store = await openTestStore(t);
      await store.clients.create(newClient('cl_a'), []);
      await store.clients.create(newClient('cl_b'), []);
      const decoy = decoyVerificationId('cl_a');
      const state = async () => (await store.verifications.get(decoy, 'cl_a'))?.verification;
      t.match(await state(), { clientId: 'cl_a', status: 'pending', attempts: 0 }, 'made with the client');
      const compared: string[][] = [];
      const probe = (target: Parameters<typeof attempt>[1], clientId = 'cl_a') =>
        flows(store).attempt({
          clientId,
          target,
          now: now + 1_000,
          matches: (id, hashes) => (compared.push([id, ...hashes]), false),
          context: portal,
        });
      t.match(await probe({ verificationId: 'vf_unknown' }), { kind: 'not_found' });
      t.match(
        await probe({ email: 'nobody@acme.example', purpose: 'login' }),
        { kind: 'not_found' },
        'an address with nothing pending',
      );
      t.match(
        await state(),
        { attempts: 2, status: 'pending' },
        'both attempts counted on the decoy, as on a verification',
      );
      t.ok(
        compared.every(([id, ...hashes]) => id === decoy && hashes.length === 1 && hashes[0]!.length === 43),
        "compared with the decoy's one code hash, shaped like a real one",
      );
      t.match(
        await store.verifications.get(decoyVerificationId('cl_b'), 'cl_b'),
        { verification: { attempts: 0 } },
        "another client's decoy is its own",
      );
      t.equal(await store.verifications.get(decoy, 'cl_b'), undefined);
      const sent = await send(store, now, { email: 'a@acme.example' });
      t.equal(sent.kind, 'queued', 'sends never join the decoy');
      t.equal(
        await store.verifications.expireDue({ after: 0, upTo: now + 400 * 86_400_000 }, 10, () => []),
        1,
        'the sent one expires, the decoy never',
      );
      t.match(await state(), { status: 'pending' });
      t.equal(
        (
          await store.maintenance.purge({
            now: now + 400 * 86_400_000,
            verificationsBefore: now + 399 * 86_400_000,
            sendEventsBefore: now,
            keysRetiredBefore: now,
            eventsBefore: now,
          })
        ).verifications,
        1,
        'and is never purged (only the sent one goes)',
      );
      t.ok(await state());
    },
  );

  t.test('outbox: claim under a lease, renew, release, sent, retry, failed, expired, count', async (t) => {
    const store = await openTestStore(t);
    await store.clients.create(newClient('cl_a'), []);
    for (const email of ['o1@acme.example', 'o2@acme.example', 'o3@acme.example']) await send(store, now, { email });
    const { outbox } = store;
    t.equal(await outbox.countQueued(), 3);
    const claimed = await outbox.claimDue(now, 10_000, 2);
    t.equal(claimed.length, 2, 'at most the limit');
    t.match(claimed[0], { payload: /^payload:vf_/, attempts: 0, createdAt: now, expiresAt: now + 600_000 });
    t.equal((await outbox.claimDue(now, 10_000, 10)).length, 1, 'leased mail is not claimed again');
    t.equal((await outbox.claimDue(now + 5_000, 10_000, 10)).length, 0);
    await outbox.renewLeases([claimed[0]!.id], now + 30_000);
    const afterLease = await outbox.claimDue(now + 20_000, 10_000, 10);
    t.notOk(
      afterLease.some((m) => m.id === claimed[0]!.id),
      'a renewed lease holds',
    );
    t.ok(
      afterLease.some((m) => m.id === claimed[1]!.id),
      'an expired lease frees the mail',
    );
    const sentEvent = {
      type: 'mail.sent' as const,
      clientId: 'cl_a',
      subject: claimed[0]!.verificationId!,
      maskedEmail: 'o***@acme.example',
      requestId: null,
      actor: 'mailcode' as const,
      data: { attempt: 1 },
      at: now + 21_000,
    };
    await outbox.markSent(claimed[0]!.id, now + 21_000, { reply: '250 2.0.0 Ok: queued as Q1', queueId: 'Q1' }, [
      sentEvent,
    ]);
    t.match(await store.verifications.get(claimed[0]!.verificationId!, 'cl_a'), {
      delivery: {
        status: 'sent',
        attempts: 1,
        sentAt: now + 21_000,
        lastError: null,
        lastReply: '250 2.0.0 Ok: queued as Q1',
        queueId: 'Q1',
      },
    });
    t.match(
      await store.events.list({
        clientId: 'cl_a',
        subject: claimed[0]!.verificationId!,
        types: ['mail.sent'],
        limit: 10,
      }),
      [{ type: 'mail.sent', data: { attempt: 1 } }],
      'written with the change',
    );
    await outbox.markDeferred(
      claimed[1]!.id,
      now + 60_000,
      { reply: '451 4.3.0 try later', enhancedStatus: '4.3.0' },
      [],
    );
    t.match(await store.verifications.get(claimed[1]!.verificationId!, 'cl_a'), {
      delivery: {
        status: 'queued',
        attempts: 1,
        lastError: '451 4.3.0 try later',
        lastReply: '451 4.3.0 try later',
        enhancedStatus: '4.3.0',
      },
    });
    t.equal(
      (await outbox.claimDue(now + 59_000, 10_000, 10)).filter((m) => m.id === claimed[1]!.id).length,
      0,
      'not before its next attempt',
    );
    const retried = (await outbox.claimDue(now + 61_000, 10_000, 10)).find((m) => m.id === claimed[1]!.id);
    t.match(
      retried,
      { clientId: 'cl_a', suppressionHours: 24 },
      'a claimed mail names its client and how long that client suppresses',
    );
    await outbox.markFailed(claimed[1]!.id, 'no such key opens it', []);
    t.match(await store.verifications.get(claimed[1]!.verificationId!, 'cl_a'), {
      delivery: { status: 'failed', attempts: 2, lastError: 'no such key opens it' },
    });
    t.equal(await outbox.countQueued(), 1);
    const released = await outbox.releaseAbandoned();
    t.ok(released === 0 || released === 1, 'SQLite gives back every lease at start; PostgreSQL leaves them to run out');
    const given: string[] = [];
    t.equal(
      await outbox.failExpired(
        now + 600_000,
        (m) => (
          given.push(`${m.clientId}:${m.email}`),
          [{ ...sentEvent, type: 'mail.failed', subject: m.verificationId!, at: now + 600_000 }]
        ),
      ),
      1,
      'mail whose code expired is given up',
    );
    t.same(given, ['cl_a:o3@acme.example'], 'with what its events name');
    t.equal(await outbox.countQueued(), 0);
    t.equal((await store.events.list({ clientId: 'cl_a', types: ['mail.failed'], limit: 10 })).length, 1);
  });

  t.test(
    'outbox: a bounce bounces the mail once, suppresses the address for the client, drops its other queued mail',
    async (t) => {
      const store = await openTestStore(t);
      await store.clients.create(newClient('cl_a'), []);
      await store.clients.create(newClient('cl_b'), []);
      const first = await send(store, now, { email: 'gone@acme.example' });
      const second = await send(store, now, { email: 'gone@acme.example', purpose: 'signup' });
      const otherClient = await send(store, now, { email: 'gone@acme.example', clientId: 'cl_b' });
      if (first.kind !== 'queued' || second.kind !== 'queued' || otherClient.kind !== 'queued') return t.fail('sent');
      const [mail] = (await store.outbox.claimDue(now, 10_000, 10)).filter(
        (m) => m.verificationId === first.verification.id,
      );
      const seen: unknown[] = [];
      const bounce = (at: number, target: { outboxId: number } | { verificationId: string }, handOver = true) =>
        store.outbox.bounce({
          mail: target,
          handOver,
          reply: '550 5.1.1 <gone@acme.example>: mailbox unknown',
          enhancedStatus: '5.1.1',
          now: at,
          suppressUntil: (m) => at + m.suppressionHours * 3_600_000,
          events: (bounced, until, others) => (
            seen.push({ bounced, until, others }),
            [
              {
                type: 'mail.bounced',
                clientId: bounced.clientId,
                subject: bounced.verificationId!,
                maskedEmail: null,
                requestId: null,
                actor: 'mailcode',
                data: {},
                at,
              },
            ]
          ),
        });
      t.equal(await bounce(now + 1_000, { outboxId: mail!.id }), true);
      t.match(seen[0], {
        bounced: { verificationId: first.verification.id, clientId: 'cl_a', email: 'gone@acme.example' },
        until: now + 1_000 + 24 * 3_600_000,
        others: [{ verificationId: second.verification.id }],
      });
      t.match(
        await store.verifications.get(first.verification.id, 'cl_a'),
        { delivery: { status: 'bounced', enhancedStatus: '5.1.1', lastReply: /mailbox unknown/, attempts: 1 } },
        'refused at hand-over: the attempt counts',
      );
      t.match(
        await store.verifications.get(second.verification.id, 'cl_a'),
        { delivery: { status: 'suppressed' } },
        "the client's other queued mail to the address is dropped",
      );
      t.match(
        await store.verifications.get(otherClient.verification.id, 'cl_b'),
        { delivery: { status: 'queued' } },
        "another client's mail is untouched",
      );
      t.equal(
        await bounce(now + 2_000, { verificationId: first.verification.id }, false),
        false,
        'a second report of the same bounce changes nothing',
      );
      t.match(await store.verifications.get(first.verification.id, 'cl_a'), { delivery: { attempts: 1 } });
      t.equal((await store.events.list({ clientId: 'cl_a', types: ['mail.bounced'], limit: 10 })).length, 1);
      t.match(await send(store, now + 3_000, { email: 'gone@acme.example', purpose: 'login' }), {
        kind: 'suppressed',
        reason: /mailbox unknown/,
        until: now + 1_000 + 24 * 3_600_000,
      });
      t.match(
        await send(store, now + 3_000, { email: 'gone@acme.example', clientId: 'cl_b', purpose: 'signup' }),
        { kind: 'queued' },
        'only the client whose mail bounced suppresses',
      );
      t.match(await store.suppressions.list('cl_a'), [
        {
          email: 'gone@acme.example',
          reason: /mailbox unknown/,
          enhancedStatus: '5.1.1',
          verificationId: first.verification.id,
          createdAt: now + 1_000,
        },
      ]);
      t.same(await store.suppressions.list('cl_b'), []);
      t.equal(
        await store.suppressions.lift('cl_b', 'gone@acme.example', []),
        false,
        "a client cannot lift another's suppression",
      );
      t.equal(await store.suppressions.lift('cl_a', 'gone@acme.example', []), true);
      t.equal(await store.suppressions.lift('cl_a', 'gone@acme.example', []), false, 'once');
      t.match(
        await send(store, now + 61_000, { email: 'gone@acme.example', purpose: 'login' }),
        { kind: 'queued' },
        'lifted: mail goes out again',
      );
      t.equal(await bounce(now, { verificationId: 'vf_unknown' }), false, 'an unknown mail changes nothing');
    },
  );

  t.test('events: newest first, by type, by subject, page by page, each client its own', async (t) => {
    const store = await openTestStore(t);
    const base = { maskedEmail: 'a***@acme.example', requestId: 'req-1', actor: 'portal' as const, data: { n: 1 } };
    const list = Array.from({ length: 5 }, (_, i) => ({
      ...base,
      type: i % 2 ? ('mail.sent' as const) : ('verification.created' as const),
      clientId: 'cl_a',
      subject: `vf_${i % 3}`,
      at: now + i,
    }));
    await store.events.append(list);
    await store.events.append([{ ...base, type: 'mail.sent', clientId: 'cl_b', subject: 'vf_0', at: now + 9 }]);
    const all = await store.events.list({ clientId: 'cl_a', limit: 10 });
    t.same(
      all.map((e) => e.at),
      [now + 4, now + 3, now + 2, now + 1, now],
      "newest first, only the client's own",
    );
    t.match(all[0], {
      id: /^ev_/,
      type: 'verification.created',
      subject: 'vf_1',
      maskedEmail: 'a***@acme.example',
      requestId: 'req-1',
      actor: 'portal',
      data: { n: 1 },
    });
    t.same(
      (await store.events.list({ clientId: 'cl_a', types: ['mail.sent'], limit: 10 })).map((e) => e.at),
      [now + 3, now + 1],
    );
    t.same(
      (await store.events.list({ clientId: 'cl_a', subject: 'vf_0', limit: 10 })).map((e) => e.at),
      [now + 3, now],
    );
    const page1 = await store.events.list({ clientId: 'cl_a', limit: 2 });
    const page2 = await store.events.list({ clientId: 'cl_a', limit: 2, before: page1[1]!.id });
    t.same(
      page2.map((e) => e.at),
      [now + 2, now + 1],
      'the next page starts after the cursor',
    );
    const foreign = (await store.events.list({ clientId: 'cl_b', limit: 1 }))[0]!;
    t.same(
      await store.events.list({ clientId: 'cl_a', limit: 10, before: foreign.id }),
      [],
      "another client's event is no cursor",
    );
    const tail = await store.events.after(all[2]!.seq, 10);
    t.same(
      tail.map((e) => e.at),
      [now + 3, now + 4, now + 9],
      'the tail: every client, oldest first, after a position',
    );
    t.equal(await store.events.lastSeq(), tail[2]!.seq);
  });

  t.test(
    'webhooks: create, fan out by type, claim in order per subject, retry, deliver, fail, disable, replay',
    async (t) => {
      const store = await openTestStore(t);
      const { webhooks } = store;
      const ev = (type: EventType, subject: string, clientId = 'cl_a') => ({
        type,
        clientId,
        subject,
        maskedEmail: null,
        requestId: null,
        actor: 'mailcode' as const,
        data: {},
        at: now - 60_000,
      });
      await store.events.append([ev('mail.sent', 'vf_before')]);
      const all = await webhooks.create({
        id: 'wh_all',
        clientId: 'cl_a',
        url: 'https://a.example/hook',
        eventTypes: [],
        createdAt: now,
        secretSealed: 'sealed-a',
      });
      t.match(all, { id: 'wh_all', status: 'active', eventTypes: [], disabledAt: null });
      await webhooks.create({
        id: 'wh_bounces',
        clientId: 'cl_a',
        url: 'https://a.example/bounces',
        eventTypes: ['mail.bounced'],
        createdAt: now + 1,
        secretSealed: 'sealed-b',
      });
      await webhooks.create({
        id: 'wh_other',
        clientId: 'cl_b',
        url: 'https://b.example/hook',
        eventTypes: [],
        createdAt: now + 2,
        secretSealed: 'sealed-c',
      });
      t.same(
        (await webhooks.list('cl_a')).map((w) => w.id),
        ['wh_all', 'wh_bounces'],
      );
      t.equal((await webhooks.list()).length, 3);
      await store.events.append([
        ev('verification.created', 'vf_1'),
        ev('mail.bounced', 'vf_1'),
        ev('verification.created', 'vf_2'),
        ev('mail.sent', 'vf_9', 'cl_b'),
      ]);
      const fanOut = () =>
        webhooks.fanOut({
          now,
          limit: 100,
          horizon: (positions, from) => positions.at(-1)?.seq ?? from,
          payload: (e) => JSON.stringify({ type: e.type, id: e.id }),
        });
      t.equal(
        await fanOut(),
        3 + 1 + 1,
        "every event of its client to wh_all, the bounce to wh_bounces, the other client's to wh_other; none from before an endpoint existed",
      );
      t.equal(await fanOut(), 0, 'handed on once');
      t.equal(await webhooks.countPending(), 5);

      const first = await webhooks.claimDue(now, 30_000, 10);
      const subjects = first.map((d) => `${d.endpointId}:${d.subject}`);
      t.same(
        subjects.sort(),
        ['wh_all:vf_1', 'wh_all:vf_2', 'wh_bounces:vf_1', 'wh_other:vf_9'],
        "a subject's second event waits for its first",
      );
      t.match(
        first.find((d) => d.endpointId === 'wh_all' && d.subject === 'vf_1'),
        {
          clientId: 'cl_a',
          url: 'https://a.example/hook',
          secretSealed: 'sealed-a',
          attempts: 0,
          failingSince: null,
          payload: /verification\.created/,
        },
      );
      t.same(await webhooks.claimDue(now, 30_000, 10), [], 'leased');
      const vf1 = first.find((d) => d.endpointId === 'wh_all' && d.subject === 'vf_1')!;
      await webhooks.markRetry(vf1.id, now, now + 5_000, 'HTTP 503');
      t.same(
        (await webhooks.claimDue(now + 1_000, 30_000, 10)).map((d) => d.id),
        [],
        'not before its retry, and its successor still waits',
      );
      const retried = await webhooks.claimDue(now + 5_000, 30_000, 10);
      t.match(retried, [{ id: vf1.id, attempts: 1, failingSince: now }]);
      const others = first.filter((d) => d.id !== vf1.id);
      await webhooks.markDelivered(
        [{ id: vf1.id, status: 200 }, ...others.map((d) => ({ id: d.id, status: 204 }))],
        now + 5_000,
      );
      t.equal(await webhooks.countPending(), 1, "a pass's successes marked at once");
      const next = await webhooks.claimDue(now + 5_000, 30_000, 10);
      t.match(
        next,
        [{ endpointId: 'wh_all', subject: 'vf_1', payload: /mail\.bounced/, failingSince: null }],
        'then the next of its subject, and a success clears failingSince',
      );
      await webhooks.markFailed(next[0]!.id, now + 6_000, 'HTTP 500');
      t.equal(await webhooks.disable('wh_all', now + 6_000, 'failing', [ev('webhook.disabled', 'wh_all')]), true);
      t.equal(
        await webhooks.disable('wh_all', now + 6_000, 'failing', [ev('webhook.disabled', 'wh_all')]),
        false,
        'once',
      );
      t.match(await webhooks.get('wh_all'), { status: 'disabled', disabledAt: now + 6_000, disabledReason: 'failing' });
      t.equal((await store.events.list({ clientId: 'cl_a', types: ['webhook.disabled'], limit: 5 })).length, 1);

      const [created] = await store.events.list({
        clientId: 'cl_a',
        subject: 'vf_1',
        types: ['verification.created'],
        limit: 1,
      });
      t.equal(await webhooks.replayFrom('wh_bounces', created!.id), true);
      t.equal(await webhooks.replayFrom('wh_other', created!.id), false, "another client's event is no starting point");
      t.equal(await fanOut(), 1, 'the replay hands on what the endpoint hears from there: the bounce again');
      await webhooks.enqueue('wh_other', 'ev_test', 'wh_other', '{"type":"webhook.test"}', now);
      t.equal(await webhooks.rotateSecret('wh_other', 'sealed-new'), true);
      t.equal(await webhooks.remove('wh_other'), true);
      t.equal(await webhooks.remove('wh_other'), false);
      t.equal(await webhooks.get('wh_other'), undefined);
    },
  );

  t.test(
    'operators: create (one per address), get, find by address, list, disable once, remove, each with its events',
    async (t) => {
      const store = await openTestStore(t);
      const op = (id: string, email: string, role: 'admin' | 'support', at: number) => ({
        id,
        email,
        role,
        createdAt: at,
        disabledAt: null,
      });
      const created = event(
        'operator.created',
        now,
        { clientId: serviceScope, subject: 'op_ann', maskedEmail: 'a***@acme.example' },
        portal,
        { role: 'admin' },
      );
      t.same(
        await store.operators.create(op('op_ann', 'ann@acme.example', 'admin', now), [created]),
        op('op_ann', 'ann@acme.example', 'admin', now),
      );
      t.equal(
        await store.operators.create(op('op_other', 'ann@acme.example', 'support', now + 1), [created]),
        undefined,
        'one operator per address',
      );
      await store.operators.create(op('op_sam', 'sam@acme.example', 'support', now + 2), []);
      t.same(
        (await store.operators.list()).map((o) => o.id),
        ['op_ann', 'op_sam'],
      );
      t.match(await store.operators.findByEmail('sam@acme.example'), { id: 'op_sam', role: 'support' });
      t.equal(await store.operators.findByEmail('nobody@acme.example'), undefined);
      t.equal(await store.operators.disable('op_sam', now + 5, []), true);
      t.equal(await store.operators.disable('op_sam', now + 6, []), false, 'once');
      t.match(await store.operators.get('op_sam'), { disabledAt: now + 5 });
      t.equal(await store.operators.remove('op_sam', []), true);
      t.equal(await store.operators.remove('op_sam', []), false);
      t.equal(await store.operators.get('op_sam'), undefined);
      const trail = await store.events.list({ clientId: serviceScope, limit: 10 });
      t.same(
        trail.map((e) => e.type),
        ['operator.created'],
        'written once, with the change that happened',
      );
      t.same(await store.events.list({ clientId: 'cl_a', limit: 10 }), [], "in no client's trail");
    },
  );

  t.test(
    'console sessions: create, get, advance to a new id, touch, remove, remove all of an operator, remove the ended, gone with the operator',
    async (t) => {
      const store = await openTestStore(t);
      const op = (id: string, email: string) => ({
        id,
        email,
        role: 'admin' as const,
        createdAt: now,
        disabledAt: null,
      });
      await store.operators.create(op('op_ann', 'ann@acme.example'), []);
      await store.operators.create(op('op_sam', 'sam@acme.example'), []);
      const session = (idHash: string, operatorId: string, at = now) => ({
        idHash,
        operatorId,
        stage: 'code' as const,
        createdAt: at,
        lastSeenAt: at,
      });
      await store.consoleSessions.create(session('h1', 'op_ann'));
      await store.consoleSessions.create(session('h2', 'op_ann'));
      await store.consoleSessions.create(session('h3', 'op_sam'));
      t.same(await store.consoleSessions.get('h1'), session('h1', 'op_ann'));
      t.equal(await store.consoleSessions.advance('h1', { idHash: 'h1b', stage: 'signed_in', at: now + 5 }), true);
      t.equal(await store.consoleSessions.get('h1'), undefined, 'the old id is gone');
      t.same(await store.consoleSessions.get('h1b'), {
        ...session('h1b', 'op_ann'),
        stage: 'signed_in',
        lastSeenAt: now + 5,
      });
      t.equal(await store.consoleSessions.advance('h1', { idHash: 'h1c', stage: 'signed_in', at: now + 6 }), false);
      await store.consoleSessions.touch('h1b', now + 60_000);
      t.match(await store.consoleSessions.get('h1b'), { lastSeenAt: now + 60_000 });
      await store.consoleSessions.remove('h1b');
      t.equal(await store.consoleSessions.get('h1b'), undefined);
      t.equal(await store.consoleSessions.removeAllOf('op_ann'), 1, 'h2');
      t.ok(await store.consoleSessions.get('h3'), "another operator's session stays");
      await store.consoleSessions.create(session('old', 'op_sam', now - 13 * 3_600_000));
      await store.consoleSessions.create(session('idle', 'op_sam', now - 31 * 60_000));
      t.equal(await store.consoleSessions.removeEnded(sessionCutoffs(now)), 2);
      t.ok(await store.consoleSessions.get('h3'));
      await store.operators.remove('op_sam', []);
      t.equal(await store.consoleSessions.get('h3'), undefined, 'removed with its operator');
    },
  );

  t.test('signing keys: add retires the active one, list newest first, reseal', async (t) => {
    const { signingKeys } = await openTestStore(t);
    const key = (kid: string, createdAt: number): SigningKeyRow => ({
      kid,
      publicJwk: `{"kid":"${kid}"}`,
      privateJwkEncrypted: `sealed-${kid}`,
      createdAt,
      retiredAt: null,
    });
    const firsts = await Promise.all([
      signingKeys.addFirst(key('k0', now - 2)),
      signingKeys.addFirst(key('k0b', now - 1)),
    ]);
    t.same(firsts.filter(Boolean).length, 1, 'two first keys side by side: one is made');
    t.equal((await signingKeys.list()).length, 1);
    await signingKeys.add(key('k1', now));
    await signingKeys.add(key('k2', now + 10));
    const listed = await signingKeys.list();
    t.same(listed.map((k) => [k.kid, k.retiredAt]).slice(0, 2), [
      ['k2', null],
      ['k1', now + 10],
    ]);
    await signingKeys.reseal('k1', 'resealed');
    t.equal((await signingKeys.list()).find((k) => k.kid === 'k1')?.privateJwkEncrypted, 'resealed');
  });

  t.test('authenticator factors: every method', async (t) => {
    const store = await openTestStore(t);
    await store.clients.create(newClient('cl_a'), []);
    const { totpFactors: factors } = store;
    const used = (type: EventType) => ({
      type,
      clientId: 'cl_a',
      subject: 'u1',
      maskedEmail: null,
      requestId: null,
      actor: 'portal' as const,
      data: {},
      at: now,
    });
    const factor = {
      id: 'te_1',
      clientId: 'cl_a',
      userRef: 'u1',
      accountName: 'a@acme.example',
      secretEncrypted: 'sealed',
      createdAt: now,
      expiresAt: now + 600_000,
    };
    await factors.create(factor);
    t.match(await factors.get('te_1', 'cl_a'), { status: 'pending', failedAttempts: 0, lastUsedStep: null });
    t.equal(await factors.get('te_1', 'cl_b'), undefined);
    t.equal(await factors.active('cl_a', 'u1'), undefined, 'pending is not active');
    t.equal(await factors.countEnrollmentAttempt({ id: 'te_1', now, maxAttempts: 3 }), 1);
    t.equal(
      await factors.activate('te_1', now + 700_000, ['r1'], [used('authenticator.enabled')]),
      false,
      'an expired enrolment does not activate',
    );
    t.equal(await factors.activate('te_1', now + 1, ['r1', 'r2'], [used('authenticator.enabled')]), true);
    t.equal(await factors.activate('te_1', now + 2, [], [used('authenticator.enabled')]), false, 'once');
    t.match(await factors.active('cl_a', 'u1'), {
      id: 'te_1',
      status: 'active',
      confirmedAt: now + 1,
      failedAttempts: 0,
    });
    t.equal(await factors.recoveryCodesLeft('te_1'), 2);

    t.match(await factors.countAttempt({ clientId: 'cl_a', userRef: 'u1', now, maxAttempts: 2 }), {
      factor: { id: 'te_1' },
      attempts: 1,
    });
    t.match(await factors.countAttempt({ clientId: 'cl_a', userRef: 'u1', now, maxAttempts: 2 }), { attempts: 2 });
    t.match(
      await factors.countAttempt({ clientId: 'cl_a', userRef: 'u1', now, maxAttempts: 2 }),
      { factor: { id: 'te_1' }, attempts: undefined },
      'no attempts left',
    );
    await factors.lock('te_1', now + 900_000, [used('authenticator.locked')]);
    t.match(await factors.countAttempt({ clientId: 'cl_a', userRef: 'u1', now: now + 899_999, maxAttempts: 2 }), {
      attempts: undefined,
      factor: { lockedUntil: now + 900_000 },
    });
    t.match(
      await factors.countAttempt({ clientId: 'cl_a', userRef: 'u1', now: now + 900_000, maxAttempts: 2 }),
      { attempts: 1 },
      'a lock that ran out starts a fresh count',
    );
    t.same(await factors.countAttempt({ clientId: 'cl_a', userRef: 'nobody', now, maxAttempts: 2 }), {
      factor: undefined,
      attempts: undefined,
      recoveryOpen: false,
    });

    t.equal(await factors.acceptStep('te_1', 100, [used('authenticator.used')]), true);
    t.equal(await factors.acceptStep('te_1', 100, [used('authenticator.used')]), false, 'a step is accepted once');
    t.equal(await factors.acceptStep('te_1', 99, [used('authenticator.used')]), false, 'and never an older one');
    t.equal(await factors.acceptStep('te_1', 101, [], 'resealed'), true);
    t.match(await factors.active('cl_a', 'u1'), { lastUsedStep: 101, failedAttempts: 0, secretEncrypted: 'resealed' });

    t.equal(
      await factors.useRecoveryCode('te_1', ['nope', 'r1'], now, [used('recovery_codes.used')]),
      true,
      'any of the hashes (key rotation)',
    );
    t.equal(await factors.useRecoveryCode('te_1', ['r1'], now, [used('recovery_codes.used')]), false, 'once');
    t.equal(await factors.recoveryCodesLeft('te_1'), 1);
    await factors.replaceRecoveryCodes('te_1', ['n1', 'n2', 'n3'], [used('recovery_codes.regenerated')]);
    t.equal(await factors.recoveryCodesLeft('te_1'), 3);
    t.equal(
      await factors.useRecoveryCode('te_1', ['r2'], now, [used('recovery_codes.used')]),
      false,
      'the old codes are gone',
    );

    await factors.create({ ...factor, id: 'te_2' });
    t.equal(await factors.removeAll('cl_a', 'u1', [used('authenticator.reset')]), 2, 'active and pending');
    t.equal(await factors.removeAll('cl_a', 'u1', [used('authenticator.reset')]), 0);
    const trail = (await store.events.list({ clientId: 'cl_a', subject: 'u1', limit: 50 }))
      .map((e) => e.type)
      .reverse();
    t.same(
      trail,
      [
        'authenticator.enabled',
        'authenticator.locked',
        'authenticator.used',
        'recovery_codes.used',
        'recovery_codes.regenerated',
        'authenticator.reset',
      ],
      'each change wrote its events once, and a change that did not happen wrote none',
    );
    t.equal(await factors.active('cl_a', 'u1'), undefined);
  });

  t.test(
    "the console's lookups: an address's verifications across clients, where it stands against each limit (nothing counted), its suppressions",
    async (t) => {
      const store = await openTestStore(t);
      await store.clients.create(newClient('cl_a'), []);
      await store.clients.create(newClient('cl_b'), []);
      const a = await send(store, now, { email: 'p@acme.example' });
      const b = await send(store, now + 10, { email: 'p@acme.example', clientId: 'cl_b' });
      await send(store, now + 20, { email: 'other@acme.example' });
      if (a.kind !== 'queued' || b.kind !== 'queued') return t.fail('sent');
      const found = await flows(store).findByEmail('p@acme.example', 10);
      t.same(
        found.map((f) => f.verification.id),
        [b.verification.id, a.verification.id],
        "every client's, newest first",
      );
      t.match(found[1], {
        verification: { clientId: 'cl_a', email: 'p@acme.example' },
        delivery: { status: 'queued' },
      });
      t.equal((await flows(store).findByEmail('p@acme.example', 1)).length, 1, 'at most the limit');
      t.same(await flows(store).findByEmail('nobody@acme.example', 10), []);

      const standingAt = (at: number, limitsNow = limits) =>
        flows(store).standing({
          clientId: 'cl_a',
          email: 'p@acme.example',
          domain: 'acme.example',
          purpose: 'login',
          now: at,
          limits: limitsNow,
        });
      const standing = await standingAt(now + 1_000);
      t.match(
        standing.verdict,
        { kind: 'limited', limit: 'cooldown', retryAfterMs: 59_000 },
        'the verdict: what a send is told now',
      );
      t.match(standing.limits, [
        { limit: 'cooldown', retryAfterMs: 59_000 },
        { limit: 'guessing', used: 0, max: 20 },
        // The address's own limits count its codes from every client.
        { limit: 'email_hour', used: 2, max: 5, retryAfterMs: 0 },
        { limit: 'email_day', used: 2, max: 10, retryAfterMs: 0 },
        { limit: 'domain_hour', used: 3, max: 1_000 },
        { limit: 'global_minute', used: 3, max: 1_000 },
      ]);
      t.same(await standingAt(now + 1_000), standing, 'reading counts nothing');
      const tight = { ...limits, perEmailHour: 2 };
      const wait = now + 3_600_000 - (now + 61_000); // the oldest of the two counted leaves the window
      const hit = await standingAt(now + 61_000, tight);
      t.match(
        hit.limits.find((l) => l.limit === 'email_hour'),
        { used: 2, max: 2, retryAfterMs: wait },
        'a limit that is hit says until when',
      );
      t.match(hit.verdict, { kind: 'limited', limit: 'email_hour', retryAfterMs: wait }, 'the verdict names it');
      t.match(
        await send(store, now + 61_000, { email: 'p@acme.example', limits: tight }),
        { kind: 'limited', limit: 'email_hour', retryAfterMs: wait },
        'as a send is told',
      );
      t.equal((await standingAt(now + 61_000)).verdict, undefined, 'nothing against a send: no verdict');

      const [mail] = (await store.outbox.claimDue(now, 10_000, 10)).filter(
        (m) => m.verificationId === a.verification.id,
      );
      await store.outbox.bounce({
        mail: { outboxId: mail!.id },
        handOver: true,
        reply: '550 5.1.1 mailbox unknown',
        enhancedStatus: '5.1.1',
        now: now + 100,
        suppressUntil: () => now + 3_600_000,
        events: () => [],
      });
      t.match(await store.suppressions.findByEmail('p@acme.example', now + 200), [
        { clientId: 'cl_a', email: 'p@acme.example', reason: /mailbox unknown/, until: now + 3_600_000 },
      ]);
      // A suppressed address: the verdict is the suppression, as the send answers, whatever the limits say.
      const suppressed = await standingAt(now + 61_000);
      t.match(
        suppressed.verdict,
        { kind: 'suppressed', reason: /mailbox unknown/, until: now + 3_600_000 },
        'a suppressed address: the verdict says so',
      );
      t.match(
        await send(store, now + 61_000, { email: 'p@acme.example' }),
        { kind: 'suppressed', until: now + 3_600_000 },
        'as a send is told',
      );
      t.same(await store.suppressions.findByEmail('p@acme.example', now + 3_600_000), [], 'only while it lasts');
      t.same(await store.suppressions.findByEmail('other@acme.example', now), []);
    },
  );

  t.test("events: the operators' search — by trail, operator, type, person, time, page by page", async (t) => {
    const store = await openTestStore(t);
    const base = { requestId: null, data: {} };
    await store.events.append([
      {
        ...base,
        type: 'verification.created',
        clientId: 'cl_a',
        subject: 'vf_1',
        maskedEmail: 'p***@acme.example',
        actor: 'portal',
        at: now,
      },
      {
        ...base,
        type: 'verification.canceled',
        clientId: 'cl_a',
        subject: 'vf_1',
        maskedEmail: 'p***@acme.example',
        actor: 'operator',
        actorId: 'op_1',
        at: now + 1,
      },
      {
        ...base,
        type: 'authenticator.reset',
        clientId: 'cl_b',
        subject: 'u-7',
        maskedEmail: null,
        actor: 'operator',
        actorId: 'op_2',
        at: now + 2,
      },
      {
        ...base,
        type: 'operator.signed_in',
        clientId: serviceScope,
        subject: 'op_1',
        maskedEmail: 'a***@ops.example',
        actor: 'operator',
        actorId: 'op_1',
        at: now + 3,
      },
    ]);
    const search = async (q: Partial<Parameters<Store['events']['search']>[0]>) =>
      (await store.events.search({ limit: 10, ...q })).map((e) => e.type);
    t.same(
      await search({}),
      ['operator.signed_in', 'authenticator.reset', 'verification.canceled', 'verification.created'],
      'every trail, newest first',
    );
    t.same(await search({ clientId: serviceScope }), ['operator.signed_in'], "mailcode's own");
    t.same(
      await search({ exceptClientId: serviceScope }),
      ['authenticator.reset', 'verification.canceled', 'verification.created'],
      "every client's, not mailcode's own",
    );
    t.same(await search({ actorId: 'op_1' }), ['operator.signed_in', 'verification.canceled'], 'one operator');
    t.same(await search({ types: ['authenticator.reset'] }), ['authenticator.reset']);
    t.same(
      await search({ person: { subjects: ['u-7'], maskedEmail: null } }),
      ['authenticator.reset'],
      'a person by user reference',
    );
    t.same(
      await search({ person: { subjects: [], maskedEmail: 'p***@acme.example' } }),
      ['verification.canceled', 'verification.created'],
      'a person by masked address',
    );
    t.same(await search({ since: now + 2 }), ['operator.signed_in', 'authenticator.reset']);
    const [first] = await store.events.search({ limit: 1 });
    t.same(
      await search({ before: first!.id, limit: 2 }),
      ['authenticator.reset', 'verification.canceled'],
      'the next page',
    );
    t.match(
      (await store.events.search({ actorId: 'op_2', limit: 1 }))[0],
      { actor: 'operator', actorId: 'op_2' },
      'the operator is kept with the event',
    );
    t.equal((await store.events.list({ clientId: 'cl_a', limit: 10 }))[1]!.actorId, null, 'and null for the others');
  });

  t.test(
    "authenticator factors: every client's active factor of a person, by user reference or account name",
    async (t) => {
      const store = await openTestStore(t);
      await store.clients.create(newClient('cl_a'), []);
      await store.clients.create(newClient('cl_b'), []);
      const { totpFactors: factors } = store;
      const make = async (id: string, clientId: string, userRef: string, accountName: string, activate = true) => {
        await factors.create({
          id,
          clientId,
          userRef,
          accountName,
          secretEncrypted: 'sealed',
          createdAt: now,
          expiresAt: now + 600_000,
        });
        if (activate) await factors.activate(id, now + 1, [], []);
      };
      await make('te_a', 'cl_a', 'u-1', 'p@acme.example');
      await make('te_b', 'cl_b', 'p@acme.example', 'Pat');
      await make('te_c', 'cl_a', 'u-2', 'p@acme.example', false);
      t.same(
        (await factors.activeFor('p@acme.example')).map((f) => f.id).sort(),
        ['te_a', 'te_b'],
        'either field; only active ones',
      );
      t.same(
        (await factors.activeFor('u-1')).map((f) => f.id),
        ['te_a'],
      );
      t.same(await factors.activeFor('nobody'), []);
    },
  );

  t.test(
    'webhooks: adding, removing, rotating and testing an endpoint write their events with the change; a new endpoint does not hear its own',
    async (t) => {
      const store = await openTestStore(t);
      const { webhooks } = store;
      const ev = (type: EventType, subject: string) => ({
        type,
        clientId: 'cl_a',
        subject,
        maskedEmail: null,
        requestId: null,
        actor: 'operator' as const,
        actorId: 'op_1',
        data: {},
        at: now,
      });
      await webhooks.create(
        {
          id: 'wh_a',
          clientId: 'cl_a',
          url: 'https://a.example/hook',
          eventTypes: [],
          createdAt: now,
          secretSealed: 's',
        },
        [ev('webhook.created', 'wh_a')],
      );
      t.equal(await webhooks.rotateSecret('wh_a', 's2', [ev('webhook.secret_rotated', 'wh_a')]), true);
      t.equal(await webhooks.rotateSecret('wh_nope', 's2', [ev('webhook.secret_rotated', 'wh_nope')]), false);
      await webhooks.enqueue('wh_a', 'ev_test', 'wh_a', '{"type":"webhook.test"}', now, [
        ev('webhook.test_sent', 'wh_a'),
      ]);
      const fanOut = () =>
        webhooks.fanOut({
          now,
          limit: 100,
          horizon: (positions, from) => positions.at(-1)?.seq ?? from,
          payload: (e) => JSON.stringify({ type: e.type }),
        });
      t.equal(await fanOut(), 2, 'it hears what came after it (the rotation, the test), not its own creation');
      t.equal(await webhooks.remove('wh_a', [ev('webhook.removed', 'wh_a')]), true);
      t.equal(await webhooks.remove('wh_a', [ev('webhook.removed', 'wh_a')]), false);
      const trail = (await store.events.list({ clientId: 'cl_a', limit: 10 })).map((e) => e.type).reverse();
      t.same(
        trail,
        ['webhook.created', 'webhook.secret_rotated', 'webhook.test_sent', 'webhook.removed'],
        'each change once; none for what did not happen',
      );
    },
  );

  t.test("webhooks: an endpoint's recent deliveries, newest first, with how each went", async (t) => {
    const store = await openTestStore(t);
    const { webhooks } = store;
    await webhooks.create({
      id: 'wh_a',
      clientId: 'cl_a',
      url: 'https://a.example/hook',
      eventTypes: [],
      createdAt: now,
      secretSealed: 's',
    });
    await webhooks.create({
      id: 'wh_b',
      clientId: 'cl_b',
      url: 'https://b.example/hook',
      eventTypes: [],
      createdAt: now,
      secretSealed: 's',
    });
    await webhooks.enqueue('wh_a', 'ev_1', 'wh_a', '{"type":"webhook.test"}', now);
    await webhooks.enqueue('wh_a', 'ev_2', 'wh_a2', '{"type":"mail.sent"}', now + 1);
    await webhooks.enqueue('wh_b', 'ev_3', 'wh_b', '{"type":"webhook.test"}', now);
    const claimed = await webhooks.claimDue(now + 1, 30_000, 10);
    await webhooks.markDelivered([{ id: claimed.find((d) => d.eventId === 'ev_1')!.id, status: 204 }], now + 2);
    t.match(await webhooks.recentDeliveries('wh_a', 10), [
      { eventId: 'ev_2', type: 'mail.sent', status: 'pending', deliveredAt: null },
      { eventId: 'ev_1', type: 'webhook.test', status: 'delivered', lastStatus: 204, deliveredAt: now + 2 },
    ]);
    t.equal((await webhooks.recentDeliveries('wh_a', 1)).length, 1);
    t.same(await webhooks.recentDeliveries('wh_nope', 10), []);
  });

  t.test('maintenance: purge deletes what is past its cutoff and keeps the rest', async (t) => {
    const store = await openTestStore(t);
    await store.clients.create(newClient('cl_a'), []);
    const later = now + 40 * 86_400_000 + 1;
    const event = {
      type: 'mail.sent' as const,
      clientId: 'cl_a',
      subject: 'vf_x',
      maskedEmail: null,
      requestId: null,
      actor: 'mailcode' as const,
      data: {},
    };
    await send(store, now, { email: 'old@acme.example' });
    await store.events.append([{ ...event, at: now }]);
    await send(store, now + 40 * 86_400_000, { email: 'new@acme.example' });
    // The last event bears an old time although it was written after young ones.
    await store.events.append([
      { ...event, at: later },
      { ...event, at: now },
    ]);
    await store.signingKeys.add({
      kid: 'old',
      publicJwk: '{}',
      privateJwkEncrypted: 'x',
      createdAt: now,
      retiredAt: null,
    });
    await store.signingKeys.add({
      kid: 'new',
      publicJwk: '{}',
      privateJwkEncrypted: 'y',
      createdAt: now + 1,
      retiredAt: null,
    });
    const cutoffs = {
      now: later,
      verificationsBefore: now + 86_400_000,
      sendEventsBefore: later - 86_400_000,
      keysRetiredBefore: now + 2,
      eventsBefore: later - 86_400_000,
    };
    const result = await store.maintenance.purge(cutoffs);
    t.match(result, { verifications: 1, sendEvents: 1, signingKeys: 1 });
    t.equal(result.events, 2, 'the old start of the log goes');
    t.same(
      (await store.events.list({ clientId: 'cl_a', subject: 'vf_x', limit: 10 })).map((e) => e.at),
      [now, later],
      'from the first young event on, the log stays whole: an old event written after it goes once that one is old too',
    );
    t.equal(await store.outbox.countQueued(), 1, "the kept verification's mail is still queued");
    t.same(
      (await store.signingKeys.list()).map((k) => k.kid),
      ['new'],
    );
    const yearLater = later + 365 * 86_400_000;
    t.equal(
      (await store.maintenance.purge({ ...cutoffs, now: yearLater, eventsBefore: yearLater })).events,
      3,
      'then everything goes',
    );
  });
});
