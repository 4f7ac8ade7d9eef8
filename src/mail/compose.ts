// The code mail as nodemailer sends it: rendered parts plus the headers a good
// transactional mail carries.
import type Mail from 'nodemailer/lib/mailer/index.js';
import type { CodeMail } from '../verification/code-mail.js';
import { type RenderedMail, renderCodeMail } from './render.js';

/** The domain of the sender address, for a Message-ID on the sending domain. */
export function senderDomain(from: string): string {
  return /@([^\s>]+)>?\s*$/.exec(from)?.[1]?.toLowerCase() ?? 'localhost';
}

/**
 * Mailpit's tags (X-Tags) for QA: what the mail is for, its language and whose it is, so
 * the mail UI filters "signup, de, Acme Portal" at a click. Never the code or anything
 * secret. A tag keeps what Mailpit keeps (letters, digits, space, dot, dash, underscore):
 * accents are dropped, anything else (a comma, which separates tags) becomes a space.
 */
export function qaTags(mail: { purpose: string; locale: string; clientName: string }): string {
  const tag = (s: string) =>
    s
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/[^A-Za-z0-9 ._-]+/g, ' ')
      .replace(/\s+/g, ' ')
      .trim();
  return [mail.purpose, mail.locale, mail.clientName]
    .map(tag)
    .filter((t) => t !== '')
    .join(', ');
}

export function composeCodeMail(mail: CodeMail, outboxId: number): Mail.Options {
  const rendered = renderCodeMail(mail);
  return {
    from: mail.from,
    to: mail.to,
    ...(mail.replyTo ? { replyTo: mail.replyTo } : {}),
    subject: rendered.subject,
    text: rendered.text,
    html: rendered.html,
    // The same outbox row always gets the same Message-ID: should a process die between the
    // SMTP server's acceptance and the database's record of it, the mail sent again by
    // another process is recognisably the same message, which mail systems show once.
    messageId: `<${mail.verificationId}.${outboxId}@${senderDomain(mail.from)}>`,
    date: new Date(),
    headers: {
      // RFC 3834: no out-of-office replies or auto-forward loops to a code mail.
      'Auto-Submitted': 'auto-generated',
      'X-Auto-Response-Suppress': 'All',
      // A distinct reference per mail keeps clients (Gmail) from threading codes together.
      'X-Entity-Ref-ID': `${mail.verificationId}.${outboxId}`,
      'X-Tags': qaTags(mail),
    },
  };
}

/** A notice (people/notices.ts) as nodemailer sends it: the code mail's headers, tagged with its kind. */
export function composeNotice(
  mail: { kind: string; to: string; from: string; replyTo?: string | null; locale: string; clientName: string },
  rendered: RenderedMail,
  outboxId: number,
): Mail.Options {
  const ref = `${mail.kind}.${outboxId}`;
  return {
    from: mail.from,
    to: mail.to,
    ...(mail.replyTo ? { replyTo: mail.replyTo } : {}),
    subject: rendered.subject,
    text: rendered.text,
    html: rendered.html,
    messageId: `<${ref}@${senderDomain(mail.from)}>`,
    date: new Date(),
    headers: {
      'Auto-Submitted': 'auto-generated',
      'X-Auto-Response-Suppress': 'All',
      'X-Entity-Ref-ID': ref,
      'X-Tags': qaTags({ purpose: mail.kind.replaceAll('_', ' '), locale: mail.locale, clientName: mail.clientName }),
    },
  };
}
