import t from 'tap';
import { codeMatchesAny, generateCode, hashCode } from '../../src/verification/codes.js';

const key = Buffer.alloc(32, 7);

t.test('codes are six digits, uniform over 000000-999999', async (t) => {
  const counts = new Array(10).fill(0);
  let malformed = 0;
  for (let i = 0; i < 20_000; i++) {
    const code = generateCode(6);
    if (!/^[0-9]{6}$/.test(code)) malformed++;
    counts[Number(code[0])]++;
  }
  t.equal(malformed, 0, 'always exactly six digits');
  // The leading digit is uniform too (no "no leading zero" bias): each ~2,000 of 20,000.
  for (const n of counts) t.ok(n > 1_700 && n < 2_300, `leading digit count ${n}`);
});

t.test('the hash is keyed and bound to its verification', async (t) => {
  t.not(hashCode(key, 'vf_a', '123456'), hashCode(key, 'vf_b', '123456'));
  t.not(hashCode(key, 'vf_a', '123456'), hashCode(Buffer.alloc(32, 8), 'vf_a', '123456'));
  t.ok(codeMatchesAny([key], 'vf_a', '123456', [hashCode(key, 'vf_a', '000000'), hashCode(key, 'vf_a', '123456')]));
  t.notOk(codeMatchesAny([key], 'vf_b', '123456', [hashCode(key, 'vf_a', '123456')]));
  t.notOk(codeMatchesAny([key], 'vf_a', '123456', []));
  t.ok(
    codeMatchesAny([Buffer.alloc(32, 8), key], 'vf_a', '123456', [hashCode(key, 'vf_a', '123456')]),
    'an older secret still verifies',
  );
});
