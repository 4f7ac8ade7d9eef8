// Every shipped locale, mailed for real through Mailpit and checked the way QA does.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { supportedLocales } from '../../src/mail/render.js';
import { templatesDir } from '../../src/shared/paths.js';
import { buildWithMailpit, startLinkTarget } from '../helpers/mailpit-app.js';

const shipped = ['en', 'de', 'fr', 'es', 'it', 'nl', 'pl', 'pt', 'sv', 'fi'];
const strings = (locale: string) => JSON.parse(readFileSync(join(templatesDir, 'locales', `${locale}.json`), 'utf8'));
const fill = (s: string, v: Record<string, string>) => s.replace(/\{(\w+)\}/g, (_, k: string) => v[k] ?? '');
const decodeEntities = (html: string) =>
  html
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

t.test('at least the ten seed-portal locales are shipped', async (t) => {
  for (const locale of shipped) t.ok(supportedLocales.includes(locale), locale);
});

t.test(
  'each locale: subject, both parts, code, continue link, lifetime, ≥ 90% HTML compatibility, no broken links',
  async (t) => {
    const links = await startLinkTarget(t);
    const { createClient, send, mailbox } = await buildWithMailpit(t);
    const acme = await createClient({
      support: `${links}/help`,
      logoUrl: `${links}/logo.png`,
      accentColor: '#0a7d4f',
      continueUrl: `${links}/verify-email`,
    });
    const browserBinding = 'pD5n6nC1u0WmRk3sZ2yVqLx8tHfGa9eJb4oIcM7wQeU';
    for (const locale of shipped) {
      const s = strings(locale);
      const email = `user-${locale}@acme.example`;
      // A regional tag (de-AT) must fall back to its language.
      await send(acme.apiKey, { email, purpose: 'signup', locale: `${locale}-XX`, browserBinding });
      const message = await mailbox.waitForMessage({ query: `to:${email}` }, { timeout: 10_000, interval: 100 });
      const code = /^ {4}(\d{6})$/m.exec(message.Text)?.[1] ?? '';
      t.match(code, /^\d{6}$/, `${locale}: the code stands on its own line in the text part`);
      const values = { code, client: 'Acme Portal', minutes: '10', email, support: `${links}/help` };
      const lifetime = fill(s.expires[new Intl.PluralRules(locale).select(10)] ?? s.expires.other, values);
      t.equal(message.Subject, fill(s.subject, values), `${locale}: subject`);
      t.ok(message.Text.includes(lifetime), `${locale}: text says the lifetime`);
      t.ok(message.Text.includes(fill(s.ignore, values)), `${locale}: text says to ignore an unasked mail`);
      t.ok(message.Text.includes(fill(s.neverShare, values)), `${locale}: text says never to share`);
      t.ok(message.Text.includes(fill(s.intro.signup, values)), `${locale}: text names the purpose and the client`);
      const html = decodeEntities(message.HTML);
      t.match(
        html,
        new RegExp(`<span>${code.slice(0, 3)}</span><span[^>]*>${code.slice(3)}</span>`),
        `${locale}: grouped code in the HTML`,
      );
      t.ok(html.includes(lifetime), `${locale}: HTML says the lifetime`);
      t.ok(html.includes(fill(s.heading.signup, values)), `${locale}: HTML heading`);
      t.match(html, new RegExp(`<html lang="${locale}"[ >]`), `${locale}: the HTML declares its language`);
      // The continue link: a button in the HTML, the same link in the text, its token in the fragment.
      const link = new RegExp(`${links}/verify-email#mc=[A-Za-z0-9_-]{32}`).exec(message.Text)?.[0] ?? '';
      t.ok(link, `${locale}: the text part carries the continue link`);
      t.ok(
        message.Text.replace(/\r\n/g, '\n').includes(`${fill(s.continueIntro, values)}\n<${link}>`),
        `${locale}: the text introduces it`,
      );
      t.match(
        html,
        new RegExp(`<a href="${link}"[^>]*><strong>${fill(s.continueButton, values)}</strong></a>`),
        `${locale}: the HTML button says "${fill(s.continueButton, values)}" and opens the same link`,
      );
      t.ok(html.indexOf(code.slice(3)) < html.indexOf(link), `${locale}: the code comes first`);
      const check = await mailbox.htmlCheck(message.ID);
      t.ok(check.Total.Supported >= 90, `${locale}: HTML compatibility ${check.Total.Supported.toFixed(1)}% ≥ 90%`);
      const linkCheck = await mailbox.linkCheck(message.ID);
      t.equal(linkCheck.Errors, 0, `${locale}: no broken links ${JSON.stringify(linkCheck.Links)}`);
      t.ok(linkCheck.Links.length >= 3, `${locale}: the support link, the logo and the continue page were checked`);
      t.same(
        [...message.Tags].sort(),
        ['Acme Portal', locale, 'signup'].sort(),
        `${locale}: tagged for QA with the purpose, the language and the client`,
      );
      t.notOk(
        message.Tags.some((tag) => tag.includes(code)),
        `${locale}: no code in a tag`,
      );
    }
    // QA finds one language's sign-up mails by their tags, and one verification by its id.
    const german = await mailbox.searchMessages({ query: 'tag:de tag:signup tag:"Acme Portal"' });
    t.same(
      german.messages.map((m) => m.To[0]?.Address),
      ['user-de@acme.example'],
    );
  },
);

t.test('a client default locale applies when the request names none', async (t) => {
  const { createClient, send, mailbox } = await buildWithMailpit(t);
  const bank = await createClient({ name: 'Nordbank', defaultLocale: 'sv' });
  await send(bank.apiKey, { email: 'kund@acme.example' });
  const message = await mailbox.waitForMessage({ query: 'to:kund@acme.example' }, { timeout: 10_000, interval: 100 });
  t.match(message.Subject, /^\d{6} är din kod för Nordbank$/);
  t.match(message.Text, /Din inloggningskod/, 'login is the default purpose');
});
