// The passkeys port's contract, run on SQLite and on PostgreSQL + Redis: a client's relying
// party saved and changed; a challenge taken once, only by its client, expired ones dropped;
// a passkey found by its client's credential id, listed newest first, its counter (a 32-bit
// one) and use kept, renamed and removed with its events and notice — never another
// person's or client's.
import type { Test } from 'tap';
import { event } from '../../src/events/model.js';
import type { Challenge, Passkey } from '../../src/passkeys/model.js';
import type { QueuedNotice } from '../../src/people/notices.js';
import type { Store } from '../../src/store/store.js';
import { openContractStore } from '../helpers/contract-store.js';
import { onEachDatabase } from '../helpers/databases.js';

await onEachDatabase(async (t) => {
  const now = Date.parse('2026-03-02T09:00:00Z');
  const portal = { actor: 'portal' as const, requestId: null };

  const openTestStore = (t: Test) => openContractStore(t, { clients: ['cl_a', 'cl_b'], createdAt: now });

  let n = 0;
  const passkey = (overrides: Partial<Passkey> = {}): Passkey => ({
    id: `pk_${++n}`,
    clientId: 'cl_a',
    userRef: 'u1',
    credentialId: `cred-${n}`,
    userHandle: 'handle-u1',
    publicKey: 'pQECAyYgASFYIA',
    counter: 0,
    transports: ['internal', 'hybrid'],
    aaguid: '00000000-0000-0000-0000-000000000000',
    deviceType: 'singleDevice',
    backedUp: false,
    name: 'Laptop',
    createdAt: now + n,
    lastUsedAt: null,
    counterWentBackAt: null,
    ...overrides,
  });
  const challenge = (overrides: Partial<Challenge> = {}): Challenge => ({
    hash: `challenge-${++n}`,
    clientId: 'cl_a',
    kind: 'authentication',
    userRef: null,
    userHandle: null,
    createdAt: now,
    expiresAt: now + 300_000,
    ...overrides,
  });
  const noticeOf = (userRef: string): QueuedNotice => ({
    kind: 'passkey_removed',
    clientId: 'cl_a',
    userRef,
    email: 'pat@acme.example',
    payload: 'sealed',
    queuedAt: now,
    expiresAt: now + 86_400_000,
  });
  const trail = async (store: Store, type: string) =>
    await store.events.search({ clientId: 'cl_a', types: [type as never], limit: 100 });

  t.test("a client's relying party: none, saved, changed with its event", async (t) => {
    const store = await openTestStore(t);
    t.equal(await store.passkeys.settings('cl_a'), undefined);
    const settings = {
      clientId: 'cl_a',
      rpId: 'acme.example',
      origins: ['https://portal.acme.example', 'https://acme-portal.example'],
      alone: true,
      required: false,
      counterStrict: false,
    };
    const changed = event('client.updated', now, { clientId: 'cl_a', subject: 'cl_a' }, portal, {});
    await store.passkeys.saveSettings(settings, [changed]);
    t.same(await store.passkeys.settings('cl_a'), settings);
    await store.passkeys.saveSettings({ ...settings, required: true, origins: ['https://portal.acme.example'] }, []);
    t.match(await store.passkeys.settings('cl_a'), { required: true, origins: ['https://portal.acme.example'] });
    t.equal(await store.passkeys.settings('cl_b'), undefined, "another client's is its own");
    t.equal((await trail(store, 'client.updated')).length, 1);
  });

  t.test('a challenge is taken once, only by its client; expired ones are dropped', async (t) => {
    const store = await openTestStore(t);
    const mine = challenge({ kind: 'registration', userRef: 'u1', userHandle: 'handle-u1' });
    await store.passkeys.addChallenge(mine);
    t.equal(await store.passkeys.takeChallenge('cl_b', mine.hash), undefined, "not another client's");
    t.same(await store.passkeys.takeChallenge('cl_a', mine.hash), mine, 'taken whole');
    t.equal(await store.passkeys.takeChallenge('cl_a', mine.hash), undefined, 'and only once');

    const raced = challenge();
    await store.passkeys.addChallenge(raced);
    const takers = await Promise.all([1, 2, 3].map(() => store.passkeys.takeChallenge('cl_a', raced.hash)));
    t.equal(takers.filter(Boolean).length, 1, 'three at once: one gets it');

    for (let i = 0; i < 3; i++) await store.passkeys.addChallenge(challenge({ expiresAt: now - 1 }));
    const fresh = challenge();
    await store.passkeys.addChallenge(fresh);
    t.equal(await store.passkeys.dropExpiredChallenges(now, 2), 2, 'a batch at a time');
    t.equal(await store.passkeys.dropExpiredChallenges(now, 2), 1);
    t.equal(await store.passkeys.dropExpiredChallenges(now, 2), 0);
    t.ok(await store.passkeys.takeChallenge('cl_a', fresh.hash), 'the unexpired one stays');
  });

  t.test("a passkey: found by its client's credential id, listed newest first, its use kept", async (t) => {
    const store = await openTestStore(t);
    const first = passkey();
    const second = passkey({ name: 'Phone', deviceType: 'multiDevice', backedUp: true });
    const added = event('passkey.added', now, { clientId: 'cl_a', subject: 'u1' }, portal, {});
    await store.passkeys.add(first, [added]);
    await store.passkeys.add(second, [], {
      ...noticeOf('u1'),
      kind: 'passkey_added',
    });
    await store.passkeys.add(passkey({ userRef: 'u2' }), []);
    await store.passkeys.add(passkey({ clientId: 'cl_b', credentialId: first.credentialId }), []);

    t.same(await store.passkeys.byCredential('cl_a', first.credentialId), first, 'found whole');
    t.equal((await store.passkeys.byCredential('cl_b', first.credentialId))!.clientId, 'cl_b', "each client's own");
    t.equal(await store.passkeys.byCredential('cl_a', 'nobody'), undefined);
    t.same(
      (await store.passkeys.list('cl_a', 'u1')).map((p) => p.name),
      ['Phone', 'Laptop'],
      "the person's, newest first",
    );
    t.equal((await store.outbox.countQueued()) >= 1, true, 'the notice queued with it');
    t.equal((await trail(store, 'passkey.added')).length, 1, 'the event written with it');

    // WebAuthn's counter is 32 bits unsigned: past a 32-bit signed column.
    const big = 4_294_967_000;
    const used = event('passkey.used', now, { clientId: 'cl_a', subject: 'u1' }, portal, {});
    t.equal(
      await store.passkeys.used(first.id, { counter: big, lastUsedAt: now + 5, counterWentBackAt: null }, [used]),
      true,
    );
    t.match(await store.passkeys.byCredential('cl_a', first.credentialId), { counter: big, lastUsedAt: now + 5 });
    t.equal(
      await store.passkeys.used('pk_gone', { counter: 1, lastUsedAt: now, counterWentBackAt: now }, [used]),
      false,
    );
    t.equal((await trail(store, 'passkey.used')).length, 1, 'no event for a passkey that is not there');
  });

  t.test('renamed and removed: the person’s own, with the events and the notice', async (t) => {
    const store = await openTestStore(t);
    const laptop = passkey();
    const phone = passkey({ name: 'Phone' });
    const theirs = passkey({ userRef: 'u2' });
    for (const p of [laptop, phone, theirs]) await store.passkeys.add(p, []);
    const renamed = event('passkey.renamed', now, { clientId: 'cl_a', subject: 'u1' }, portal, {});
    t.equal(await store.passkeys.rename('cl_a', 'u2', laptop.id, 'Mine now', [renamed]), undefined, "not another's");
    t.equal(await store.passkeys.rename('cl_b', 'u1', laptop.id, 'Mine now', [renamed]), undefined);
    t.match(await store.passkeys.rename('cl_a', 'u1', laptop.id, 'Work laptop', [renamed]), { name: 'Work laptop' });
    t.equal((await trail(store, 'passkey.renamed')).length, 1);

    const removedEvents = (gone: Passkey[]) =>
      gone.map((p) => event('passkey.removed', now, { clientId: 'cl_a', subject: p.userRef }, portal, { id: p.id }));
    const queuedBefore = await store.outbox.countQueued();
    t.same(await store.passkeys.remove('cl_a', 'u2', removedEvents, noticeOf('u2'), laptop.id), [], "not another's");
    t.equal(await store.outbox.countQueued(), queuedBefore, 'nothing removed, no notice');
    const one = await store.passkeys.remove('cl_a', 'u1', removedEvents, noticeOf('u1'), laptop.id);
    t.same(
      one.map((p) => p.id),
      [laptop.id],
    );
    t.equal(await store.outbox.countQueued(), queuedBefore + 1, 'the notice with it');
    const rest = await store.passkeys.remove('cl_a', 'u1', removedEvents);
    t.same(
      rest.map((p) => p.id),
      [phone.id],
      'all the rest of theirs',
    );
    t.same(await store.passkeys.list('cl_a', 'u1'), []);
    t.equal((await store.passkeys.list('cl_a', 'u2')).length, 1, "another person's stay");
    t.equal((await trail(store, 'passkey.removed')).length, 2);
  });
});
