// Mail to a person beyond the code: notices that something changed about how they sign in.
// Each kind is a typed model (what the mail says), sealed into the outbox in the same
// transaction as the change it tells of, and written by its own composer (mail/kinds/).
// A notice carries no code and no link that does anything.
import type { Client } from '../clients/model.js';
import type { MailBranding } from '../verification/code-mail.js';

/** Who removed the authenticator app, as the person reads it. */
export type RemovedBy = 'support' | 'portal';

/** "Your authenticator app was removed": by whom, when, and what to do if it was not them. */
export interface AuthenticatorRemovedMail extends MailBranding {
  kind: 'authenticator_removed';
  to: string;
  locale: string;
  removedBy: RemovedBy;
  /** When it was removed (ms). */
  at: number;
}

/** Every kind of notice mailcode sends. */
export type NoticeMail = AuthenticatorRemovedMail;

/** A notice ready for the outbox: whose, to where, sealed, and how long it is worth sending. */
export interface QueuedNotice {
  kind: NoticeMail['kind'];
  clientId: string;
  userRef: string;
  email: string;
  /** The sealed NoticeMail (it names the address): the outbox keeps it encrypted. */
  payload: string;
  queuedAt: number;
  expiresAt: number;
}

/** How long a notice is worth delivering: past this, it is news no more. */
export const noticeLifetimeMs = 3 * 24 * 3_600_000;

/** How the client's mail looks, for a notice as for its codes. */
export const brandingOf = (client: Client, defaultFrom: string): MailBranding => ({
  clientName: client.name,
  from: client.mailFrom ?? defaultFrom,
  replyTo: client.replyTo,
  support: client.support,
  logoUrl: client.logoUrl,
  accentColor: client.accentColor,
});
