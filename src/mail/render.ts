// The code mail, rendered from templates/ with the strings of the mail's locale.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Eta } from 'eta';
import { templatesDir } from '../paths.js';
import type { CodeMail } from './payload.js';

interface LocaleStrings {
  subject: string;
  subjectWithoutCode: string;
  heading: Record<CodeMail['purpose'], string>;
  intro: Record<CodeMail['purpose'], string>;
  codeLabel: string;
  expires: string;
  neverShare: string;
  ignore: string;
  support: string;
  footer: string;
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

export interface Branding {
  accent?: string;
  logoUrl?: string | null;
  support?: string | null;
  codeInSubject?: boolean;
}

const html = new Eta({ views: templatesDir, autoEscape: true, cache: true });
const text = new Eta({ views: templatesDir, autoEscape: false, cache: true, autoTrim: false });

const locales: ReadonlyMap<string, LocaleStrings> = new Map(
  readdirSync(join(templatesDir, 'locales'))
    .filter((f) => f.endsWith('.json'))
    .map((f) => [f.replace(/\.json$/, ''), JSON.parse(readFileSync(join(templatesDir, 'locales', f), 'utf8')) as LocaleStrings]),
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

export function renderCodeMail(mail: CodeMail, branding: Branding = {}): RenderedMail {
  const strings = locales.get(resolveLocale(mail.locale))!;
  const values = { client: mail.clientName, code: mail.code, minutes: mail.ttlMinutes, email: mail.to, support: branding.support ?? '' };
  const half = Math.ceil(mail.code.length / 2);
  const subject = fill(branding.codeInSubject === false ? strings.subjectWithoutCode : strings.subject, values);
  const model = {
    lang: resolveLocale(mail.locale),
    subject,
    heading: fill(strings.heading[mail.purpose], values),
    intro: fill(strings.intro[mail.purpose], values),
    code: mail.code,
    codeGroups: [mail.code.slice(0, half), mail.code.slice(half)],
    codeLabel: strings.codeLabel,
    expires: fill(strings.expires, values),
    neverShare: fill(strings.neverShare, values),
    ignore: fill(strings.ignore, values),
    supportLine: branding.support ? fill(strings.support, values) : '',
    footer: fill(strings.footer, values),
    accent: branding.accent ?? '#2f6feb',
    logoUrl: branding.logoUrl ?? null,
  };
  return { subject, text: text.render('code-text', model), html: html.render('code-html', model) };
}
