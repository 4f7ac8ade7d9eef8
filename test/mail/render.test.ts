import t from 'tap';
import { renderCodeMail, resolveLocale } from '../../src/mail/render.js';

const mail = {
  to: 'alice@acme.example',
  from: 'Acme <no-reply@acme.example>',
  clientName: 'Acme <Portal> & Co',
  code: '042917',
  purpose: 'signup' as const,
  locale: 'en',
  ttlMinutes: 10,
  verificationId: 'vf_x',
};

t.test('the mail says who asks, the code, its lifetime and what to do if unasked', async (t) => {
  const { subject, text, html } = renderCodeMail(mail);
  t.equal(subject, '042917 is your Acme <Portal> & Co code');
  t.match(text, /^ {4}042917$/m, 'the code on a line of its own in the text part');
  t.match(text, /expires in 10 minutes/);
  t.match(text, /If you did not ask for this code, ignore this mail/);
  t.match(html, /<span>042<\/span><span[^>]*>917<\/span>/, 'grouped digits, copied without a space');
  t.match(html, /Acme &lt;Portal&gt; &amp; Co/, 'interpolated text is escaped in HTML');
  t.notMatch(html, /<Portal>/);
});

t.test('the subject can leave the code out', async (t) => {
  t.equal(renderCodeMail({ ...mail, codeInSubject: false }).subject, 'Your Acme <Portal> & Co verification code');
});

t.test('a regional tag falls back to its language, and unknown locales to en', async (t) => {
  t.equal(resolveLocale('en-GB'), 'en');
  t.equal(resolveLocale('xx-YY', undefined, 'en'), 'en');
  t.equal(resolveLocale(undefined, null), 'en');
});

t.test('plural forms follow the locale', async (t) => {
  t.match(renderCodeMail({ ...mail, ttlMinutes: 1 }).text, /expires in 1 minute\./);
  t.match(renderCodeMail({ ...mail, locale: 'pl', ttlMinutes: 1 }).text, /za 1 minutę\./);
  t.match(renderCodeMail({ ...mail, locale: 'pl', ttlMinutes: 3 }).text, /za 3 minuty\./);
  t.match(renderCodeMail({ ...mail, locale: 'pl', ttlMinutes: 10 }).text, /za 10 minut\./);
});

t.test('a support contact is shown when set: a link in HTML, delimited in text', async (t) => {
  const url = renderCodeMail({ ...mail, support: 'https://help.acme.example/otp' });
  t.match(url.html, /<a href="https:\/\/help\.acme\.example\/otp"[^>]*>https:\/\/help\.acme\.example\/otp<\/a>/);
  t.match(url.text, /Contact <https:\/\/help\.acme\.example\/otp>\./);
  const address = renderCodeMail({ ...mail, support: 'help@acme.example' });
  t.match(address.html, /href="mailto:help@acme\.example"/);
  t.notMatch(renderCodeMail(mail).text, /Questions\?/, 'no support line without a contact');
});

t.test('the accent colour and logo are used when set', async (t) => {
  const { html } = renderCodeMail({ ...mail, accentColor: '#0a7d4f', logoUrl: 'https://acme.example/logo.png' });
  t.match(html, /border-top:4px solid #0a7d4f/);
  t.match(html, /<img src="https:\/\/acme\.example\/logo\.png" alt="Acme &lt;Portal&gt; &amp; Co"/);
});

t.test('a continue link: after the code, a button in HTML and the same link in text; none without', async (t) => {
  const continueUrl = 'https://portal.acme.example/verify-email#mc=q9Vv3m1Zr4Hc0bX8TnY2kLw7Ae5Jd6Pf';
  const { text, html } = renderCodeMail({ ...mail, continueUrl });
  t.match(
    text,
    /^ {4}042917\n\nOr continue with one click, in the browser where you asked for the code:\n<https:\/\/portal\.acme\.example\/verify-email#mc=q9Vv3m1Zr4Hc0bX8TnY2kLw7Ae5Jd6Pf>$/m,
  );
  t.match(
    html,
    /<a href="https:\/\/portal\.acme\.example\/verify-email#mc=q9Vv3m1Zr4Hc0bX8TnY2kLw7Ae5Jd6Pf"[^>]*color:#ffffff[^>]*><strong>Continue to Acme &lt;Portal&gt; &amp; Co<\/strong><\/a>/,
  );
  t.ok(html.indexOf('917</span>') < html.indexOf('verify-email'), 'the code comes first');
  const plain = renderCodeMail(mail);
  t.notMatch(plain.html, /Continue to/);
  t.notMatch(plain.text, /Or continue/);
});

t.test("the button's text is white on a dark accent and near-black on a light one", async (t) => {
  const on = (accentColor: string) =>
    /<a href="https:\/\/p\.example\/v#mc=x"[^>]*color:(#[0-9a-f]{6});/.exec(
      renderCodeMail({ ...mail, accentColor, continueUrl: 'https://p.example/v#mc=x' }).html,
    )?.[1];
  t.equal(on('#0a7d4f'), '#ffffff');
  t.equal(on('#1f6feb'), '#ffffff');
  t.equal(on('#ffd33d'), '#1f2328');
  t.equal(on('#ffffff'), '#1f2328');
});
