// The code mail, rendered from templates/ with the strings of the mail's locale.
// Two Eta instances: HTML escapes everything interpolated, plain text escapes nothing.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Eta } from 'eta';
import { templatesDir } from '../shared/paths.js';
import type { CodeMail } from '../verification/code-mail.js';

type Plural = Partial<Record<Intl.LDMLPluralRule, string>> & { other: string };

interface LocaleStrings {
  language: string;
  subject: string;
  subjectWithoutCode: string;
  heading: Record<CodeMail['purpose'], string>;
  intro: Record<CodeMail['purpose'], string>;
  codeLabel: string;
  continueIntro: string;
  continueButton: string;
  expires: Plural;
  neverShare: string;
  ignore: string;
  support: string;
  footer: string;
  authenticatorRemoved: {
    subject: string;
    heading: string;
    bySupport: string;
    byPortal: string;
    next: string;
    /** Said in every notice: what to do if it was not them. */
    notYou: string;
  };
  authenticatorAdded: { subject: string; heading: string; what: string; next: string };
  recoveryCodeUsed: { subject: string; heading: string; what: string; left: Plural; next: string };
  recoveryCodesRenewed: { subject: string; heading: string; bySupport: string; byPortal: string; next: string };
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

const html = new Eta({ views: templatesDir, autoEscape: true, cache: true });
const text = new Eta({ views: templatesDir, autoEscape: false, autoTrim: false, cache: true });

const locales: ReadonlyMap<string, LocaleStrings> = new Map(
  readdirSync(join(templatesDir, 'locales'))
    .filter((f) => f.endsWith('.json'))
    .map((f) => [
      f.replace(/\.json$/, ''),
      JSON.parse(readFileSync(join(templatesDir, 'locales', f), 'utf8')) as LocaleStrings,
    ]),
);

export const supportedLocales: readonly string[] = [...locales.keys()].sort();

/** A regional tag falls back to its language (`de-AT` → `de`), and anything unknown to `en`. */
export function resolveLocale(...candidates: (string | null | undefined)[]): string {
  for (const candidate of candidates) {
    if (!candidate) continue;
    const tag = candidate.toLowerCase();
    if (locales.has(tag)) return tag;
    const language = tag.split(/[-_]/)[0]!;
    if (locales.has(language)) return language;
  }
  return 'en';
}

function fill(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
}

const pluralRules = new Map<string, Intl.PluralRules>();

export function plural(forms: Plural, locale: string, n: number): string {
  let rules = pluralRules.get(locale);
  if (!rules) {
    rules = new Intl.PluralRules(locale);
    pluralRules.set(locale, rules);
  }
  return forms[rules.select(n)] ?? forms.other;
}

/** A support contact becomes a link: mailto: for an address, the URL itself otherwise. */
function supportHref(support: string): string | null {
  if (/^https?:\/\//i.test(support)) return support;
  if (/^[^\s@]+@[^\s@]+$/.test(support)) return `mailto:${support}`;
  return null;
}

/** WCAG's relative luminance of #rrggbb. */
function luminance(hex: string): number {
  const channel = (i: number) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

/** The button's text: white on a dark accent, near-black on a light one — whichever reads better (WCAG contrast). */
export function textOn(accent: string): string {
  const l = luminance(accent);
  return 1.05 / (l + 0.05) >= (l + 0.05) / (luminance('#1f2328') + 0.05) ? '#ffffff' : '#1f2328';
}

/** A notice's wording and look, shared with the code mail: the locale's strings, the support line, the brand. */
export function noticeParts(mail: {
  locale: string;
  clientName: string;
  to: string;
  support?: string | null;
  accentColor?: string | null;
}) {
  const locale = resolveLocale(mail.locale);
  const strings = locales.get(locale)!;
  const values = { client: mail.clientName, email: mail.to, support: mail.support ?? '' };
  const supportText = mail.support ? fill(strings.support, values) : '';
  const [before = '', after = ''] = mail.support ? supportText.split(mail.support) : [];
  return {
    locale,
    strings,
    fill: (template: string, more: Record<string, string> = {}) => fill(template, { ...values, ...more }),
    support: mail.support
      ? { text: supportText, before, after, label: mail.support, href: supportHref(mail.support) }
      : null,
    footer: fill(strings.footer, values),
    accent: mail.accentColor ?? '#1f6feb',
  };
}

/** Renders one of templates/ (`<name>-text`, `<name>-html`) with its model. */
export function renderTemplates(name: string, subject: string, model: object): RenderedMail {
  return { subject, text: text.render(`${name}-text`, model), html: html.render(`${name}-html`, model) };
}

export function renderCodeMail(mail: CodeMail): RenderedMail {
  const locale = resolveLocale(mail.locale);
  const strings = locales.get(locale)!;
  const values = {
    client: mail.clientName,
    code: mail.code,
    minutes: mail.ttlMinutes,
    email: mail.to,
    support: mail.support ?? '',
  };
  const half = Math.ceil(mail.code.length / 2);
  const subject = fill(mail.codeInSubject === false ? strings.subjectWithoutCode : strings.subject, values);
  const supportText = mail.support ? fill(strings.support, values) : '';
  const [supportBefore = '', supportAfter = ''] = mail.support ? supportText.split(mail.support) : [];
  // In plain text a URL is written <like this> (RFC 3986, appendix C), so the sentence's
  // closing period is not taken as part of the link.
  const supportPlain =
    mail.support && /^https?:/.test(mail.support) ? `${supportBefore}<${mail.support}>${supportAfter}` : supportText;
  const accent = mail.accentColor ?? '#1f6feb';
  const model = {
    lang: locale,
    subject,
    client: mail.clientName,
    heading: fill(strings.heading[mail.purpose], values),
    intro: fill(strings.intro[mail.purpose], values),
    code: mail.code,
    codeGroups: [mail.code.slice(0, half), mail.code.slice(half)],
    codeLabel: strings.codeLabel,
    expires: fill(plural(strings.expires, locale, mail.ttlMinutes), values),
    neverShare: fill(strings.neverShare, values),
    ignore: fill(strings.ignore, values),
    support: mail.support
      ? {
          text: supportPlain,
          before: supportBefore,
          after: supportAfter,
          label: mail.support,
          href: supportHref(mail.support),
        }
      : null,
    footer: fill(strings.footer, values),
    accent,
    logoUrl: mail.logoUrl ?? null,
    // The code stays first and as large; the button is the second way, for the same browser.
    continueLink: mail.continueUrl
      ? {
          url: mail.continueUrl,
          intro: fill(strings.continueIntro, values),
          button: fill(strings.continueButton, values),
          textColor: textOn(accent),
        }
      : null,
  };
  return { subject, text: text.render('code-text', model), html: html.render('code-html', model) };
}
