// Time-ordered ids: text order is time order (the indexes they key append instead of
// scattering), and they stay unguessable and unique.
import fc from 'fast-check';
import t from 'tap';
import { newTimeOrderedId } from '../../src/shared/ids.js';

t.test('an earlier id sorts first, as plain text', async (t) => {
  fc.assert(
    // Up to the year 4200 (nine base-36 digits last until 5188).
    fc.property(fc.integer({ min: 0, max: 2 ** 46 }), fc.integer({ min: 1, max: 2 ** 40 }), (at, later) => {
      const [a, b] = [newTimeOrderedId('ev', at), newTimeOrderedId('ev', at + later)];
      return a < b && b > a;
    }),
  );
  t.match(newTimeOrderedId('vf', Date.parse('2026-11-26T00:00:00Z')), /^vf_[0-9a-z]{9}[A-Za-z0-9_-]{16}$/);
});

t.test('ids of the same millisecond are all different: 96 random bits each', async (t) => {
  const ids = new Set(Array.from({ length: 5_000 }, () => newTimeOrderedId('ev', 1_764_115_200_000)));
  t.equal(ids.size, 5_000, 'no repeat across several refills of the random pool');
  const tails = [...ids].map((id) => Buffer.from(id.slice(12), 'base64url'));
  t.ok(tails.every((b) => b.length === 12));
  const ones = tails.reduce(
    (n, b) => n + [...b].reduce((m, byte) => m + byte.toString(2).replaceAll('0', '').length, 0),
    0,
  );
  const share = ones / (tails.length * 96);
  t.ok(share > 0.49 && share < 0.51, `about half the random bits are set (${share.toFixed(4)})`);
});
