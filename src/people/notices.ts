// Mail to a person beyond the code: notices that something changed about how they sign in.
// Each kind is a typed model (what the mail says), sealed into the outbox in the same
// transaction as the change it tells of, and written by its own composer (mail/kinds/).
// A notice carries no code and no link that does anything.
import type { Client } from '../clients/model.js';
import { event, type NewEvent, type RequestContext } from '../events/model.js';
import { type NoticeKind, noticeKinds } from '../shared/notice-kinds.js';
import { seal } from '../shared/secrets.js';
import { maskEmail } from '../verification/email-address.js';
import type { NoticeAddress } from './model.js';
import { brandingOf, type MailBranding } from '../verification/code-mail.js';

/** Who did it, as the person reads it: the portal's support, or the portal (the person, or its backend). */
export type DoneBy = 'support' | 'portal';

/** What every notice says: to whom, in which language, when it happened, in the client's look. */
interface NoticeBase extends MailBranding {
  to: string;
  locale: string;
  /** When it happened (ms). */
  at: number;
}

/** "Your authenticator app was removed": by whom, when, and what to do if it was not them. */
export interface AuthenticatorRemovedMail extends NoticeBase {
  kind: 'authenticator_removed';
  removedBy: DoneBy;
}

/** "An authenticator app was added to your account": signing in asks for its code from now on. */
export interface AuthenticatorAddedMail extends NoticeBase {
  kind: 'authenticator_added';
}

/** "A recovery code was used", and how many are left. */
export interface RecoveryCodeUsedMail extends NoticeBase {
  kind: 'recovery_code_used';
  left: number;
}

/** "Your recovery codes were renewed": the earlier ones no longer work. */
export interface RecoveryCodesRenewedMail extends NoticeBase {
  kind: 'recovery_codes_renewed';
  by: DoneBy;
}

/** "Someone asked to recover your account by email": the app is removed at `completesAt` unless it is canceled. */
export interface RecoveryStartedMail extends NoticeBase {
  kind: 'recovery_started';
  /** When the authenticator will be removed (ms). */
  completesAt: number;
}

/** "Your authenticator app was removed by the recovery you asked for": after the wait, or approved early by support. */
export interface RecoveryCompletedMail extends NoticeBase {
  kind: 'recovery_completed';
  by: 'wait' | 'support';
}

/** "The recovery was canceled": by a sign-in with the app (or a recovery code), the portal, or support. */
export interface RecoveryCanceledMail extends NoticeBase {
  kind: 'recovery_canceled';
  by: 'sign_in' | DoneBy;
}

/** "A browser was trusted for your account": signing in on it skips the second step until `until`. */
export interface BrowserTrustedMail extends NoticeBase {
  kind: 'browser_trusted';
  /** The portal's words for the browser ("Firefox on Windows"). */
  label: string;
  until: number;
}

/** "A passkey was added to your account": it signs the person in from now on. */
export interface PasskeyAddedMail extends NoticeBase {
  kind: 'passkey_added';
  /** Its name: the provider's ("iCloud Keychain") or the person's. */
  name: string;
}

/** "A passkey was removed": by the person (the portal) or support; support's reset removes them all. */
export interface PasskeyRemovedMail extends NoticeBase {
  kind: 'passkey_removed';
  names: string[];
  by: DoneBy;
}

/** Every kind of notice mailcode sends. */
export type NoticeMail =
  | PasskeyAddedMail
  | PasskeyRemovedMail
  | BrowserTrustedMail
  | AuthenticatorRemovedMail
  | AuthenticatorAddedMail
  | RecoveryCodeUsedMail
  | RecoveryCodesRenewedMail
  | RecoveryStartedMail
  | RecoveryCompletedMail
  | RecoveryCanceledMail;

export type { NoticeKind };

/** Who did it, from the request's actor: a portal's request, or a person of the portal's support (console, CLI). */
export const doneBy = (actor: string): DoneBy => (actor === 'portal' ? 'portal' : 'support');

/** A notice ready for the outbox: whose, to where, sealed, and how long it is worth sending. */
export interface QueuedNotice {
  kind: NoticeKind;
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

/**
 * Every notice kind, as the outbox names them (mail/kinds/ composes each). Each named kind
 * has its model (`satisfies`), and each model's kind is named (a QueuedNotice's kind is one).
 */
export const modelledKinds = noticeKinds satisfies readonly NoticeMail['kind'][];
export { noticeKinds };

/** What a notice says beyond who it is to and when: its kind and the kind's own facts. */
export type NoticeFacts = NoticeMail extends infer M
  ? M extends NoticeMail
    ? Omit<M, keyof NoticeBase>
    : never
  : never;

/** What making a notice needs: where the person is reached, how it is sealed, the sender by default. */
export interface NoticeDeps {
  /** The address the person proved last (people/), and its language. */
  addressOf(clientId: string, userRef: string): Promise<NoticeAddress | undefined>;
  /** Newest first: seals the notice in the outbox. */
  outboxKeys: Buffer[];
  /** MAIL_FROM, for a client without a From of its own. */
  mailFrom: string;
  resolveLocale(...candidates: (string | null | undefined)[]): string;
  /** A notice was queued: the mail worker need not wait for its next pass. */
  onQueued?(): void;
}

/** What a feature's wiring hands over for notices, the same for each feature that sends them. */
export interface NoticeWiring {
  config: { MAIL_FROM: string };
  keySet: { outbox: Buffer[] };
  noticeAddress: NoticeDeps['addressOf'];
  resolveLocale: NoticeDeps['resolveLocale'];
  onNoticeQueued(): void;
}

export const noticeDepsOf = (w: NoticeWiring): NoticeDeps => ({
  addressOf: w.noticeAddress,
  outboxKeys: w.keySet.outbox,
  mailFrom: w.config.MAIL_FROM,
  resolveLocale: w.resolveLocale,
  onQueued: w.onNoticeQueued,
});

/**
 * A notice to the person, ready for the outbox — or none, when no address was proven for
 * them or the client turned this kind off.
 */
export async function queuedNotice(
  deps: NoticeDeps,
  client: Client,
  userRef: string,
  facts: NoticeFacts,
  at: number,
): Promise<QueuedNotice | undefined> {
  if (client.noticesOff.includes(facts.kind)) return undefined;
  const address = await deps.addressOf(client.id, userRef);
  if (!address) return undefined;
  const mail = {
    ...brandingOf(client, deps.mailFrom),
    ...facts,
    to: address.email,
    locale: deps.resolveLocale(address.locale, client.defaultLocale),
    at,
  } as NoticeMail;
  return {
    kind: mail.kind,
    clientId: client.id,
    userRef,
    email: address.email,
    payload: seal(deps.outboxKeys[0]!, JSON.stringify(mail)),
    queuedAt: at,
    expiresAt: at + noticeLifetimeMs,
  };
}

/**
 * The event that says a notice was queued — its kind and the masked address, never the
 * whole one — written with it, so the client's trail and webhooks carry every notice.
 */
export function noticeEvents(notice: QueuedNotice | undefined, context: RequestContext): NewEvent[] {
  if (!notice) return [];
  return [
    event(
      'notice.queued',
      notice.queuedAt,
      { clientId: notice.clientId, subject: notice.userRef, maskedEmail: maskEmail(notice.email) },
      context,
      { kind: notice.kind },
    ),
  ];
}
