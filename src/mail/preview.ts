// Renders sample mails to files: one HTML and one text file per locale and kind — the code
// mail for each purpose, and each notice (mail/kinds/).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Client } from '../clients/model.js';
import type { NoticeFacts, NoticeKind, NoticeMail } from '../people/notices.js';
import type { CodeMail } from '../verification/code-mail.js';
import { renderNotice } from './kinds/notices.js';
import { renderCodeMail, resolveLocale, supportedLocales } from './render.js';

export function sampleMail(locale: string, purpose: CodeMail['purpose'], client?: Client): CodeMail {
  return {
    to: 'alex.morgan@acme.example',
    from: client?.mailFrom ?? 'Acme Portal <no-reply@acme.example>',
    clientName: client?.name ?? 'Acme Portal',
    replyTo: client?.replyTo ?? null,
    support: client ? client.support : 'support@acme.example',
    logoUrl: client?.logoUrl ?? null,
    accentColor: client?.accentColor ?? null,
    codeInSubject: client?.codeInSubject ?? true,
    code: '482913',
    purpose,
    locale,
    ttlMinutes: 10,
    verificationId: 'vf_preview',
    // A client with a continue page shows its button, with a token of the real shape.
    ...(client?.continueUrl ? { continueUrl: `${client.continueUrl}#mc=${'x'.repeat(32)}` } : {}),
  };
}

/** Each notice as support's doing where it can be, at a fixed time (previews do not change from run to run). */
export function sampleNotices(locale: string, client?: Client): NoticeMail[] {
  const { clientName, from, replyTo, support, logoUrl, accentColor } = sampleMail(locale, 'login', client);
  const base = { to: 'alex.morgan@acme.example', locale, clientName, from, replyTo, support, logoUrl, accentColor };
  const at = Date.parse('2026-03-02T09:00:00Z');
  // One of every kind: a kind added without its sample does not compile.
  const facts: { [K in NoticeKind]: Extract<NoticeFacts, { kind: K }> } = {
    authenticator_added: { kind: 'authenticator_added' },
    authenticator_removed: { kind: 'authenticator_removed', removedBy: 'support' },
    recovery_code_used: { kind: 'recovery_code_used', left: 9 },
    recovery_codes_renewed: { kind: 'recovery_codes_renewed', by: 'support' },
    recovery_started: { kind: 'recovery_started', completesAt: at + 24 * 3_600_000 },
    recovery_completed: { kind: 'recovery_completed', by: 'wait' },
    recovery_canceled: { kind: 'recovery_canceled', by: 'sign_in' },
    browser_trusted: { kind: 'browser_trusted', label: 'Firefox on Windows', until: at + 30 * 24 * 3_600_000 },
    passkey_added: { kind: 'passkey_added', name: 'iCloud Keychain' },
    passkey_removed: { kind: 'passkey_removed', names: ['iCloud Keychain'], by: 'support' },
  };
  return Object.values(facts).map((f) => ({ ...base, at, ...f }) as NoticeMail);
}

export function writePreviews(
  outDir: string,
  locales: readonly string[] = supportedLocales,
  client?: Client,
): string[] {
  const dir = resolve(outDir);
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (const tag of locales) {
    const locale = resolveLocale(tag);
    for (const purpose of ['signup', 'login', 'recovery'] as const) {
      const mail = renderCodeMail(sampleMail(locale, purpose, client));
      const base = join(dir, `${locale}-${purpose}`);
      writeFileSync(`${base}.html`, mail.html);
      writeFileSync(`${base}.txt`, `Subject: ${mail.subject}\n\n${mail.text}`);
      files.push(`${base}.html`, `${base}.txt`);
    }
    for (const sample of sampleNotices(locale, client)) {
      const notice = renderNotice(sample);
      const base = join(dir, `${locale}-${sample.kind.replaceAll('_', '-')}`);
      writeFileSync(`${base}.html`, notice.html);
      writeFileSync(`${base}.txt`, `Subject: ${notice.subject}\n\n${notice.text}`);
      files.push(`${base}.html`, `${base}.txt`);
    }
  }
  return files;
}
