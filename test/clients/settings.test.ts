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
  t.same(checkSettings({ accentColor: '#1F6FEB', allowedDomains: ['Bücher.Example', '@acme.example.', 'acme.example'], name: '  Acme  ' }, locales), {
    ok: true,
    value: { accentColor: '#1f6feb', allowedDomains: ['xn--bcher-kva.example', 'acme.example'], name: 'Acme' },
  });
  t.same(checkSettings({ logoUrl: null, support: 'https://help.acme.example', defaultLocale: 'de-AT' }, locales), { ok: true, value: { logoUrl: null, support: 'https://help.acme.example', defaultLocale: 'de-AT' } }, 'null clears');
});
