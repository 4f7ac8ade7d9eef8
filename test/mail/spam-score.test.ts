// SpamAssassin (Debian's, its shipped rules, local tests only: -L) scores the code mail as
// it is handed to the SMTP server: the branded mail — logo, accent, support link — scores no
// more than 0.5 in every shipped locale, like the plain one, and the continue button adds nothing. A logo once cost 2.2–2.8 points
// (HTML_IMAGE_ONLY_*: an image in little HTML).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import t from 'tap';
import MailComposer from 'nodemailer/lib/mail-composer';
import { composeCodeMail } from '../../src/mail/compose.js';
import type { CodeMail } from '../../src/verification/code-mail.js';

const spamassassin = process.env.SPAMASSASSIN_PATH ?? '/usr/bin/spamassassin';
const locales = ['en', 'de', 'fr', 'es', 'it', 'nl', 'pl', 'pt', 'sv', 'fi'];

/** The score and the rules that hit, from `spamassassin -t`'s report. */
async function score(raw: Buffer): Promise<{ points: number; rules: string[] }> {
  const report = await new Promise<string>((resolve, reject) => {
    const child = spawn(spamassassin, ['-L', '-t'], { stdio: ['pipe', 'pipe', 'ignore'], timeout: 60_000 });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', () => resolve(out));
    child.stdin.end(raw);
  });
  const points = /Content analysis details:\s+\((-?[\d.]+) points/.exec(report)?.[1];
  if (points === undefined) throw new Error(`no score in SpamAssassin's report:\n${report.slice(-2_000)}`);
  const rules = [...report.matchAll(/^\s*(-?\d+\.\d)\s+([A-Z][A-Z0-9_]{2,})\s/gm)]
    .filter((m) => Number(m[1]) !== 0)
    .map((m) => `${m[2]} ${m[1]}`);
  return { points: Number(points), rules };
}

const mail = (overrides: Partial<CodeMail>): CodeMail => ({
  clientName: 'Acme Portal',
  from: 'Acme Portal <no-reply@acme.example>',
  to: 'ann@acme.example',
  code: '042917',
  purpose: 'signup',
  locale: 'en',
  ttlMinutes: 10,
  verificationId: 'vf_0123456789abcdefghijkl',
  ...overrides,
});
const raw = (m: CodeMail) => new MailComposer(composeCodeMail(m, 1)).compile().build();

t.test('the branded code mail scores like the plain one in every locale', async (t) => {
  if (!existsSync(spamassassin)) {
    const missing = `SpamAssassin is missing at ${spamassassin}: run scripts/install-spamassassin.sh or set SPAMASSASSIN_PATH`;
    if (process.env.CI === 'true') return t.fail(missing);
    return t.plan(0, missing);
  }
  const [plain, full] = await Promise.all([
    score(await raw(mail({}))),
    score(
      await raw(
        mail({
          logoUrl: 'https://acme.example/logo.png',
          accentColor: '#0a7d4f',
          support: 'https://help.acme.example',
        }),
      ),
    ),
  ]);
  t.ok(plain.points <= 0.5, `plain: ${plain.points} (${plain.rules.join(', ') || 'no rule'})`);
  t.ok(
    full.points <= plain.points,
    `fully branded: ${full.points}, no more than plain (${full.rules.join(', ') || 'no rule'})`,
  );
  // The continue button (a link to the portal's own page, its token in the fragment) costs nothing.
  const link = { continueUrl: 'https://portal.acme.example/verify-email#mc=q9Vv3m1Zr4Hc0bX8TnY2kLw7Ae5Jd6Pf' };
  const [plainLink, fullLink] = await Promise.all([
    score(await raw(mail(link))),
    score(
      await raw(
        mail({
          ...link,
          logoUrl: 'https://acme.example/logo.png',
          accentColor: '#0a7d4f',
          support: 'https://help.acme.example',
        }),
      ),
    ),
  ]);
  t.ok(
    plainLink.points <= plain.points,
    `with the button: ${plainLink.points}, no more than without (${plainLink.rules.join(', ') || 'no rule'})`,
  );
  t.ok(
    fullLink.points <= full.points,
    `fully branded with the button: ${fullLink.points}, no more than without (${fullLink.rules.join(', ') || 'no rule'})`,
  );
  // Two at a time: each run loads the rules anew (about a second).
  for (let i = 0; i < locales.length; i += 2) {
    await Promise.all(
      locales.slice(i, i + 2).map(async (locale) => {
        // The shortest branded mail there is, the hardest case for HTML_IMAGE_ONLY: a
        // one-letter name, a login, a logo and nothing else.
        const shortest = {
          locale,
          purpose: 'login',
          clientName: 'X',
          from: 'X <no-reply@x.example>',
          logoUrl: 'https://x.example/l.png',
        } as const;
        const [branded, withLink] = await Promise.all([
          score(await raw(mail(shortest))),
          score(
            await raw(mail({ ...shortest, continueUrl: 'https://x.example/v#mc=q9Vv3m1Zr4Hc0bX8TnY2kLw7Ae5Jd6Pf' })),
          ),
        ]);
        t.ok(
          branded.points <= 0.5,
          `${locale} (logo, shortest): ${branded.points} (${branded.rules.join(', ') || 'no rule'})`,
        );
        t.ok(
          withLink.points <= branded.points,
          `${locale} (logo, shortest, button): ${withLink.points} (${withLink.rules.join(', ') || 'no rule'})`,
        );
      }),
    );
  }
});
