// What a client's settings may hold, whoever changes them (the CLI, the console): the
// service refuses, naming the setting, and keeps values normalized.
import t from 'tap';
import { checkSettings } from '../../src/clients/settings.js';

const locales = ['de', 'en'];

t.test('each setting is checked; a refusal names it', async (t) => {
  for (const [changes, named] of [
    [{ accentColor: 'red; background:url(x)' }, /^accent colour: expected a colour/],
    [{ accentColor: '#12345' }, /^accent colour/],
    [{ logoUrl: 'http://acme.example/logo.png' }, /^logo URL: expected an https/],
    [{ logoUrl: 'https://acme.example/"><script>' }, /^logo URL/],
    [{ mailFrom: 'Acme <no-reply@acme.example>\r\nBcc: x@evil.example' }, /^sender/],
    [{ support: 'call us' }, /^support/],
    [{ name: '' }, /^name/],
    [{ name: 'x'.repeat(101) }, /^name/],
    [{ name: 'Acme\nPortal' }, /^name/],
    [{ defaultLocale: 'xx' }, /^language: expected one of de, en/],
    [{ secondFactor: 'sometimes' }, /^second factor/],
    [{ allowedDomains: ['acme.example', 'not a domain'] }, /^domain: "not a domain" is not a domain name/],
    [{ allowedDomains: ['localhost'] }, /^domain/],
  ] as [Record<string, unknown>, RegExp][]) {
    const verdict = checkSettings(changes as never, locales);
    t.equal(verdict.ok, false, JSON.stringify(changes));
    if (!verdict.ok) t.match(verdict.reason, named);
  }
});

t.test('what is kept: normalized, and only what was given', async (t) => {
  t.same(
    checkSettings(
      {
        accentColor: '#1F6FEB',
        allowedDomains: ['Bücher.Example', '@acme.example.', 'acme.example'],
        name: '  Acme  ',
      },
      locales,
    ),
    {
      ok: true,
      value: { accentColor: '#1f6feb', allowedDomains: ['xn--bcher-kva.example', 'acme.example'], name: 'Acme' },
    },
  );
  t.same(
    checkSettings({ logoUrl: null, support: 'https://help.acme.example', defaultLocale: 'de-AT' }, locales),
    { ok: true, value: { logoUrl: null, support: 'https://help.acme.example', defaultLocale: 'de-AT' } },
    'null clears',
  );
});

t.test('a logo or support page over plain http only on a loopback address, and only outside production', async (t) => {
  t.match(
    checkSettings({ logoUrl: 'http://127.0.0.1:8080/logo.png', support: 'http://localhost/help' }, locales, {
      production: false,
    }),
    { ok: true },
  );
  t.match(checkSettings({ logoUrl: 'http://127.0.0.1:8080/logo.png' }, locales, { production: true }), {
    ok: false,
    reason: /^logo URL/,
  });
  t.match(checkSettings({ logoUrl: 'http://acme.example/logo.png' }, locales, { production: false }), {
    ok: false,
    reason: /^logo URL/,
  });
  t.match(checkSettings({ support: 'http://10.0.0.1/help' }, locales, { production: false }), {
    ok: false,
    reason: /^support/,
  });
});
