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
  /** A recovery's code says what it is for from the subject on. */
  recoverySubject: { withCode: string; withoutCode: string };
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
  browserTrusted: { subject: string; heading: string; what: string; next: string };
  passkeyAdded: { subject: string; heading: string; what: string; next: string };
  passkeyRemoved: { subject: string; heading: string; bySupport: string; byPortal: string; next: string };
  /** Its own "not you": signing in with the app cancels the recovery. */
  recoveryStarted: { subject: string; heading: string; what: string; next: string; notYou: string };
  recoveryCompleted: { subject: string; heading: string; byWait: string; bySupport: string; next: string };
  recoveryCanceled: {
    subject: string;
    heading: string;
    bySignIn: string;
    byPortal: string;
    bySupport: string;
    next: string;
  };
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

/**
 * What every mail of a client says and looks like, whatever its kind: the locale's strings,
 * its placeholders filled (the client, the address, the support contact and the kind's own),
 * the support line, the footer, the accent colour.
 */
export function mailParts(
  mail: { locale: string; clientName: string; to: string; support?: string | null; accentColor?: string | null },
  own: Record<string, string | number> = {},
) {
  const locale = resolveLocale(mail.locale);
  const strings = locales.get(locale)!;
  const values = { client: mail.clientName, email: mail.to, support: mail.support ?? '', ...own };
  const filled = (template: string) => fill(template, values);
  return {
    locale,
    strings,
    fill: filled,
    support: mail.support ? supportLine(filled(strings.support), mail.support) : null,
    footer: filled(strings.footer),
    accent: mail.accentColor ?? '#1f6feb',
  };
}

/** The support sentence around its contact: a link in HTML, and in plain text a URL written <like this>. */
function supportLine(sentence: string, support: string) {
  const [before = '', after = ''] = sentence.split(support);
  // RFC 3986, appendix C: the sentence's closing period is not taken as part of the link.
  const text = /^https?:/.test(support) ? `${before}<${support}>${after}` : sentence;
  return { text, before, after, label: support, href: supportHref(support) };
}

/** Renders one of templates/ (`<name>-text`, `<name>-html`) with its model. */
export function renderTemplates(name: string, subject: string, model: object): RenderedMail {
  return { subject, text: text.render(`${name}-text`, model), html: html.render(`${name}-html`, model) };
}

export function renderCodeMail(mail: CodeMail): RenderedMail {
  const { locale, strings, fill, support, footer, accent } = mailParts(mail, {
    code: mail.code,
    minutes: mail.ttlMinutes,
  });
  const half = Math.ceil(mail.code.length / 2);
  const subjects =
    mail.purpose === 'recovery'
      ? { withCode: strings.recoverySubject.withCode, withoutCode: strings.recoverySubject.withoutCode }
      : { withCode: strings.subject, withoutCode: strings.subjectWithoutCode };
  const subject = fill(mail.codeInSubject === false ? subjects.withoutCode : subjects.withCode);
  const model = {
    lang: locale,
    subject,
    client: mail.clientName,
    heading: fill(strings.heading[mail.purpose]),
    intro: fill(strings.intro[mail.purpose]),
    code: mail.code,
    codeGroups: [mail.code.slice(0, half), mail.code.slice(half)],
    codeLabel: strings.codeLabel,
    expires: fill(plural(strings.expires, locale, mail.ttlMinutes)),
    neverShare: fill(strings.neverShare),
    ignore: fill(strings.ignore),
    support,
    footer,
    accent,
    logoUrl: mail.logoUrl ?? null,
    // The code stays first and as large; the button is the second way, for the same browser.
    continueLink: mail.continueUrl
      ? {
          url: mail.continueUrl,
          intro: fill(strings.continueIntro),
          button: fill(strings.continueButton),
          textColor: textOn(accent),
        }
      : null,
  };
  return { subject, text: text.render('code-text', model), html: html.render('code-html', model) };
}
