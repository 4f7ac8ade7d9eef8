// The trusted browsers port's contract, run on SQLite and on PostgreSQL + Redis: a token
// found by its current or previous hash, rotated once, ended with its events (one browser or
// all the person's), never another person's or client's.
import type { Test } from 'tap';
import { event } from '../../src/events/model.js';
import type { Store } from '../../src/store/store.js';
import type { TrustedBrowser } from '../../src/trusted-browsers/model.js';
import { openContractStore } from '../helpers/contract-store.js';
import { onEachDatabase } from '../helpers/databases.js';

await onEachDatabase(async (t) => {
  const now = Date.parse('2026-03-02T09:00:00Z');
  const portal = { actor: 'portal' as const, requestId: null };

  const openTestStore = (t: Test) => openContractStore(t, { clients: ['cl_a', 'cl_b'], createdAt: now });

  let n = 0;
  const browser = (overrides: Partial<TrustedBrowser> = {}): TrustedBrowser => ({
    id: `tb_${++n}`,
    clientId: 'cl_a',
    userRef: 'u1',
    label: 'Laptop',
    tokenHash: `token-${n}`,
    previousTokenHash: null,
    bindingHash: 'binding',
    createdAt: now,
    lastUsedAt: now,
    expiresAt: now + 86_400_000,
    endedAt: null,
    endedReason: null,
    ...overrides,
  });
  const used = event('trusted_browser.used', now, { clientId: 'cl_a', subject: 'u1' }, portal);
  const trail = async (store: Store) =>
    (await store.events.list({ clientId: 'cl_a', limit: 50 })).map((e) => e.type).reverse();

  t.test('found by its current or previous token, for its person only; rotated once', async (t) => {
    const store = await openTestStore(t);
    const b = browser();
    await store.trustedBrowsers.add(b, [
      event('trusted_browser.added', now, { clientId: 'cl_a', subject: 'u1' }, portal),
    ]);
    t.match(await store.trustedBrowsers.byToken('cl_a', 'u1', [b.tokenHash]), { id: b.id, label: 'Laptop' });
    t.equal(await store.trustedBrowsers.byToken('cl_a', 'u2', [b.tokenHash]), undefined, 'another person');
    t.equal(await store.trustedBrowsers.byToken('cl_b', 'u1', [b.tokenHash]), undefined, 'another client');
    t.equal(await store.trustedBrowsers.rotate(b.id, b.tokenHash, 'next', now + 5, [used]), true);
    t.equal(await store.trustedBrowsers.rotate(b.id, b.tokenHash, 'other', now + 6, [used]), false, 'once');
    t.match(await store.trustedBrowsers.byToken('cl_a', 'u1', ['next']), {
      tokenHash: 'next',
      previousTokenHash: b.tokenHash,
      lastUsedAt: now + 5,
    });
    t.match(await store.trustedBrowsers.byToken('cl_a', 'u1', [b.tokenHash]), { id: b.id }, 'the old token finds it');
    t.same(await trail(store), ['trusted_browser.added', 'trusted_browser.used'], 'the lost race wrote nothing');
  });

  t.test('ended one by one, or all the person has; an ended one neither rotates nor lists', async (t) => {
    const store = await openTestStore(t);
    const one = browser();
    const two = browser();
    const theirs = browser({ userRef: 'u2' });
    for (const b of [one, two, theirs]) await store.trustedBrowsers.add(b, []);
    const ended = (list: TrustedBrowser[]) =>
      list.map((b) => event('trusted_browser.ended', now, { clientId: b.clientId, subject: b.userRef }, portal));
    t.equal(await store.trustedBrowsers.end('cl_a', 'u1', 'revoked', now, ended, one.id), 1);
    t.equal(await store.trustedBrowsers.end('cl_a', 'u1', 'revoked', now, ended, one.id), 0, 'once');
    t.equal(await store.trustedBrowsers.rotate(one.id, one.tokenHash, 'x', now, []), false);
    t.same(
      (await store.trustedBrowsers.list('cl_a', 'u1')).map((b) => b.id),
      [two.id],
    );
    t.equal(await store.trustedBrowsers.end('cl_a', 'u1', 'factors_changed', now, ended), 1, 'all the rest of u1');
    t.match(await store.trustedBrowsers.byToken('cl_a', 'u1', [two.tokenHash]), { endedReason: 'factors_changed' });
    t.equal((await store.trustedBrowsers.list('cl_a', 'u2')).length, 1, "u2's stays");
    t.same(await trail(store), ['trusted_browser.ended', 'trusted_browser.ended']);
  });
});
