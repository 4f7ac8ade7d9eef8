// The audit events of a mail's delivery (a code's, or a notice's), as the worker records them.
import { byMailcode, event, type NewEvent } from '../events/model.js';
import { maskEmail } from '../verification/email-address.js';
import { addressGone, addressGoneEvents } from '../people/address-gone.js';
import type { GivenUpMail } from './outbox.js';

/** Whose mail it is: a code's verification, or the person a notice is about. */
type MailSubject = { verificationId: string | null; userRef: string | null; clientId: string };

const about = (mail: MailSubject, email: string) => ({
  clientId: mail.clientId,
  subject: mail.verificationId ?? mail.userRef ?? 'mail',
  maskedEmail: maskEmail(email),
});

export const mailEvents = {
  sent: (
    mail: MailSubject,
    email: string,
    at: number,
    data: { attempt: number; reply: string | null; queueId: string | null },
  ): NewEvent => event('mail.sent', at, about(mail, email), byMailcode, data),
  deferred: (
    mail: MailSubject,
    email: string,
    at: number,
    data: { attempt: number; reply: string; enhancedStatus: string | null; retryAt: number },
  ): NewEvent => event('mail.deferred', at, about(mail, email), byMailcode, data),
  failed: (mail: MailSubject, email: string, at: number, reason: string): NewEvent =>
    event('mail.failed', at, about(mail, email), byMailcode, { reason }),

  /**
   * A bounce: the mail bounced, the address is suppressed, and every other queued mail to it
   * is dropped; when the refusal says the mailbox is gone, each person who proved it is told of.
   */
  bounced(
    bounced: GivenUpMail,
    until: number,
    others: GivenUpMail[],
    provenFor: string[],
    at: number,
    data: { reply: string; enhancedStatus: string | null; source: 'smtp' | 'dsn' },
  ): NewEvent[] {
    const gone = addressGone(data.reply, data.enhancedStatus)
      ? addressGoneEvents({ clientId: bounced.clientId, maskedEmail: maskEmail(bounced.email), provenFor }, at, data)
      : [];
    return [
      ...gone,
      event('mail.bounced', at, about(bounced, bounced.email), byMailcode, data),
      // About the verification whose mail bounced: it is part of that verification's story.
      event('address.suppressed', at, about(bounced, bounced.email), byMailcode, { until, reason: data.reply }),
      ...others.map((o) =>
        event('mail.suppressed', at, about(o, o.email), byMailcode, {
          reason: 'the address bounced and is suppressed',
          enhancedStatus: data.enhancedStatus,
        }),
      ),
    ];
  },

  /** A code expired with its mail undelivered (or a notice outlived its worth). */
  expired: (mail: GivenUpMail, at: number): NewEvent[] => [
    event('mail.failed', at, about(mail, mail.email), byMailcode, {
      reason: mail.verificationId ? 'code expired before delivery' : 'notice expired before delivery',
    }),
  ],
};
