// Every kind of mail the outbox carries, each with its composer: the row's kind says which.
// A new kind is a model (people/notices.ts), a renderer here, templates and locale strings.
import type Mail from 'nodemailer/lib/mailer/index.js';
import { type NoticeMail, noticeKinds } from '../../people/notices.js';
import type { CodeMail } from '../../verification/code-mail.js';
import { composeCodeMail, composeNotice } from '../compose.js';
import { renderNotice } from './notices.js';

/** What every queued mail names, whatever its kind. */
export interface QueuedMail {
  to: string;
  from: string;
}

type Composer = (mail: QueuedMail, outboxId: number) => Mail.Options;

export const mailKinds: Record<string, Composer> = {
  code: (mail, outboxId) => composeCodeMail(mail as CodeMail, outboxId),
  ...Object.fromEntries(
    noticeKinds.map((kind): [string, Composer] => [
      kind,
      (mail, outboxId) => composeNotice(mail as NoticeMail, renderNotice(mail as NoticeMail), outboxId),
    ]),
  ),
};
