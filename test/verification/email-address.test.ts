import t from 'tap';
import { maskEmail, normalizeEmail } from '../../src/verification/email-address.js';

t.test('normalization: trim, lower-case the whole address, IDN to punycode', async (t) => {
  t.same(normalizeEmail('  Alice.Smith+Portal@ACME.Example '), {
    ok: true,
    email: 'alice.smith+portal@acme.example',
    domain: 'acme.example',
  });
  t.same(
    normalizeEmail('jörg@bücher.example'),
    { ok: false, reason: 'is not a single plain mailbox (no display names, quotes, comments or spaces)' },
    'a non-ASCII local part is refused',
  );
  t.same(normalizeEmail('joerg@Bücher.Example'), {
    ok: true,
    email: 'joerg@xn--bcher-kva.example',
    domain: 'xn--bcher-kva.example',
  });
  t.same(
    normalizeEmail('a@acme.example.'),
    { ok: true, email: 'a@acme.example', domain: 'acme.example' },
    'a trailing root dot is dropped',
  );
});

t.test('anything that is not a single plain mailbox is refused', async (t) => {
  for (const input of [
    'a@b@acme.example',
    'a b@acme.example',
    '.a@acme.example',
    'a.@acme.example',
    'a..b@acme.example',
    'a@-acme.example',
    'a@acme-.example',
    'a@acme..example',
    'a@localhost',
    'a@127.0.0.1',
    'a@[127.0.0.1]',
    'a@acme.example\r',
    'a@acme.example\u2028',
    `a@${'x'.repeat(64)}.example`,
    `${'a'.repeat(60)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.example`,
  ]) {
    t.equal(
      normalizeEmail(input).ok,
      false,
      JSON.stringify(input).replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`),
    );
  }
});

t.test('addresses are masked for logs', async (t) => {
  t.equal(maskEmail('alice@acme.example'), 'a***@acme.example');
  t.equal(maskEmail('nonsense'), '***');
});
