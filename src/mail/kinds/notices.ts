// The notices to a person (people/notices.ts): what happened, when (in their language, in
// UTC), what it means for signing in, and what to do if it was not them. One template for
// every kind; each kind has its words in every locale. No code, no link that does anything:
// the only link is the client's support contact, when it has one.
import type { NoticeMail } from '../../people/notices.js';
import { mailParts, plural, resolveLocale, type RenderedMail, renderTemplates } from '../render.js';

export function renderNotice(mail: NoticeMail): RenderedMail {
  const date = new Intl.DateTimeFormat(resolveLocale(mail.locale), {
    dateStyle: 'long',
    timeStyle: 'short',
    timeZone: 'UTC',
  });
  const utc = (at: number) => `${date.format(new Date(at))} UTC`;
  const parts = mailParts(mail, {
    when: utc(mail.at),
    left: 'left' in mail ? mail.left : '',
    completes: 'completesAt' in mail ? utc(mail.completesAt) : '',
    until: 'until' in mail ? utc(mail.until) : '',
    label: 'label' in mail ? mail.label : '',
    passkeys: 'name' in mail ? `“${mail.name}”` : 'names' in mail ? mail.names.map((n) => `“${n}”`).join(', ') : '',
  });
  const { strings, fill } = parts;
  const words = wordsOf(mail, strings, parts.locale);
  const subject = fill(words.subject);
  return renderTemplates('notice', subject, {
    lang: parts.locale,
    subject,
    client: mail.clientName,
    heading: fill(words.heading),
    what: fill(words.what),
    next: fill(words.next),
    notYou: fill(words.notYou ?? strings.authenticatorRemoved.notYou),
    support: parts.support,
    footer: parts.footer,
    accent: parts.accent,
    logoUrl: mail.logoUrl ?? null,
  });
}

type Strings = ReturnType<typeof mailParts>['strings'];

interface NoticeWords {
  subject: string;
  heading: string;
  what: string;
  next: string;
  /** What to do if it was not them, when the kind says more than every notice does. */
  notYou?: string;
}

/** A kind's subject, heading, what happened, and what it means now. */
function wordsOf(mail: NoticeMail, strings: Strings, locale: string): NoticeWords {
  switch (mail.kind) {
    case 'authenticator_removed': {
      const w = strings.authenticatorRemoved;
      return { ...w, what: mail.removedBy === 'support' ? w.bySupport : w.byPortal };
    }
    case 'authenticator_added':
      return strings.authenticatorAdded;
    case 'recovery_code_used': {
      const w = strings.recoveryCodeUsed;
      return { ...w, next: `${plural(w.left, locale, mail.left)} ${w.next}` };
    }
    case 'recovery_codes_renewed': {
      const w = strings.recoveryCodesRenewed;
      return { ...w, what: mail.by === 'support' ? w.bySupport : w.byPortal };
    }
    case 'recovery_started':
      return strings.recoveryStarted;
    case 'recovery_completed': {
      const w = strings.recoveryCompleted;
      return { ...w, what: mail.by === 'support' ? w.bySupport : w.byWait };
    }
    case 'browser_trusted':
      return strings.browserTrusted;
    case 'passkey_added':
      return strings.passkeyAdded;
    case 'passkey_removed': {
      const w = strings.passkeyRemoved;
      return { ...w, what: mail.by === 'support' ? w.bySupport : w.byPortal };
    }
    case 'recovery_canceled': {
      const w = strings.recoveryCanceled;
      const what = { sign_in: w.bySignIn, portal: w.byPortal, support: w.bySupport }[mail.by];
      return { ...w, what };
    }
  }
}
