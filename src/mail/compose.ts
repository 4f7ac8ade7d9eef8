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

/** Who a mail is from and to, as a queued mail of any kind names them. */
interface Addressed {
  to: string;
  from: string;
  replyTo?: string | null;
}

/**
 * A rendered mail with the headers a good transactional mail carries. `ref` names the one
 * outbox row: the same row always gets the same Message-ID, so should a process die between
 * the SMTP server's acceptance and the database's record of it, the mail sent again by
 * another process is recognisably the same message, which mail systems show once.
 */
function composed(mail: Addressed, rendered: RenderedMail, ref: string, tags: string): Mail.Options {
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
      // RFC 3834: no out-of-office replies or auto-forward loops to an automatic mail.
      'Auto-Submitted': 'auto-generated',
      'X-Auto-Response-Suppress': 'All',
      // A distinct reference per mail keeps clients (Gmail) from threading them together.
      'X-Entity-Ref-ID': ref,
      'X-Tags': tags,
    },
  };
}

export function composeCodeMail(mail: CodeMail, outboxId: number): Mail.Options {
  return composed(mail, renderCodeMail(mail), `${mail.verificationId}.${outboxId}`, qaTags(mail));
}

/** A notice (people/notices.ts) as nodemailer sends it, tagged with its kind. */
export function composeNotice(
  mail: Addressed & { kind: string; locale: string; clientName: string },
  rendered: RenderedMail,
  outboxId: number,
): Mail.Options {
  const tags = qaTags({ purpose: mail.kind.replaceAll('_', ' '), locale: mail.locale, clientName: mail.clientName });
  return composed(mail, rendered, `${mail.kind}.${outboxId}`, tags);
}
