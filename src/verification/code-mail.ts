// The code mail a send queues: what the mail worker needs to write it, sealed in the outbox.
import type { Client } from '../clients/model.js';
import type { CodePurpose } from './model.js';

/** How a client's mail looks and who it comes from; set with `mailcode clients`. */
export interface MailBranding {
  /** The name people know the portal by: "Your code for Acme Portal". */
  clientName: string;
  from: string;
  replyTo?: string | null;
  /** A support address or URL shown in the mail. */
  support?: string | null;
  logoUrl?: string | null;
  /** #rrggbb */
  accentColor?: string | null;
  /** Put the code in the subject (default), so it can be read from the notification. */
  codeInSubject?: boolean;
}

/** How the client's mail looks, for its codes as for its notices (people/notices.ts). */
export const brandingOf = (client: Client, defaultFrom: string): MailBranding => ({
  clientName: client.name,
  from: client.mailFrom ?? defaultFrom,
  replyTo: client.replyTo,
  support: client.support,
  logoUrl: client.logoUrl,
  accentColor: client.accentColor,
  codeInSubject: client.codeInSubject,
});

/** What the worker needs to write one code mail; stored encrypted in the outbox. */
export interface CodeMail extends MailBranding {
  to: string;
  code: string;
  purpose: CodePurpose;
  locale: string;
  ttlMinutes: number;
  verificationId: string;
  /** The continue link (its token in the fragment), when the mail carries one: as secret as the code. */
  continueUrl?: string;
}
