// "Your authenticator app was removed": who removed it, when (in the person's language, in
// UTC), how they sign in now, and what to do if it was not them. No code, no link that does
// anything: the only link is the client's support contact, when it has one.
import type { AuthenticatorRemovedMail } from '../../people/notices.js';
import { noticeParts, type RenderedMail, renderTemplates } from '../render.js';

export function renderAuthenticatorRemoved(mail: AuthenticatorRemovedMail): RenderedMail {
  const parts = noticeParts(mail);
  const words = parts.strings.authenticatorRemoved;
  const when = `${new Intl.DateTimeFormat(parts.locale, { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' }).format(new Date(mail.at))} UTC`;
  const subject = parts.fill(words.subject);
  return renderTemplates('authenticator-removed', subject, {
    lang: parts.locale,
    subject,
    client: mail.clientName,
    heading: parts.fill(words.heading),
    what: parts.fill(mail.removedBy === 'support' ? words.bySupport : words.byPortal, { when }),
    next: parts.fill(words.next),
    notYou: parts.fill(words.notYou),
    support: parts.support,
    footer: parts.footer,
    accent: parts.accent,
    logoUrl: mail.logoUrl ?? null,
  });
}
