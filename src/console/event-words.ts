// The trail in words a support person reads: what each kind of event means, who did it, and
// its facts as "name: value" with times as dates — not `mail.deferred`, an actor code and a
// JSON object with epoch milliseconds.
import type { AuditEvent, EventType } from '../events/model.js';
import type { NoticeKind } from '../shared/notice-kinds.js';
import { serviceScope } from '../operators/model.js';
import { helpers } from './views.js';

export const eventWords: Record<EventType, string> = {
  'verification.created': 'Code asked for',
  'verification.code_resent': 'Code asked for again (a new mail)',
  'mail.sent': 'Mail handed to the receiving server',
  'mail.deferred': 'Mail refused for now; tried again',
  'mail.bounced': 'Mail bounced',
  'mail.failed': 'Mail not delivered before the code expired',
  'mail.suppressed': 'Mail not sent: the address is suppressed',
  'verification.verified': 'Verified',
  'verification.link_refused': 'Continue link refused',
  'verification.locked': 'Locked after too many wrong codes',
  'verification.expired': 'Expired unused',
  'verification.canceled': 'Canceled',
  'address.suppressed': 'Address suppressed after a bounce',
  'address.lifted': 'Suppression lifted',
  'authenticator.enabled': 'Authenticator app set up',
  'authenticator.used': 'Signed in with the authenticator app',
  'authenticator.locked': 'Authenticator app locked after wrong codes',
  'authenticator.reset': 'Authenticator app reset',
  'recovery_codes.regenerated': 'New recovery codes',
  'recovery_codes.used': 'Recovery code used',
  'recovery.requested': 'Recovery by email asked for (code mailed)',
  'recovery.started': 'Recovery by email started: waiting before the app is removed',
  'recovery.canceled': 'Recovery by email canceled',
  'recovery.completed': 'Recovery by email completed: authenticator app removed',
  'notice.queued': 'Notice mailed to the person',
  'trusted_browser.added': 'Browser trusted (it skips the second factor for a while)',
  'trusted_browser.used': 'Signed in on a trusted browser',
  'trusted_browser.ended': 'Browser trusted no more',
  'passkey.added': 'Passkey added',
  'passkey.used': 'Signed in with a passkey',
  'passkey.counter_went_back': 'Passkey counter went backwards (a copied key, or a synced one that counts oddly)',
  'passkey.renamed': 'Passkey renamed',
  'passkey.removed': 'Passkey removed',
  'person.address_gone': "Address gone: the company's mail server refuses it for good (the person may have left)",
  'client.created': 'Client created',
  'client.updated': 'Client settings changed',
  'client.key_rotated': 'API key rotated',
  'client.revoked': 'Client revoked',
  'client.relay_set': 'SMTP relay set',
  'client.relay_removed': 'SMTP relay removed',
  'dkim.key_created': 'DKIM key created',
  'dkim.key_rotated': 'DKIM key rotated',
  'dkim.key_retired': 'DKIM key retired',
  'dkim.key_removed': 'DKIM key removed',
  'webhook.created': 'Webhook added',
  'webhook.secret_rotated': 'Webhook secret rotated',
  'webhook.test_sent': 'Webhook test event sent',
  'webhook.removed': 'Webhook removed',
  'webhook.disabled': 'Webhook disabled after failing',
  'operator.created': 'Operator added',
  'operator.disabled': 'Operator disabled',
  'operator.removed': 'Operator removed',
  'operator.signed_in': 'Operator signed in',
  'operator.sign_in_failed': 'Operator sign-in failed',
  'operator.signed_out': 'Operator signed out',
};

/** Each notice, as its subject says it. */
export const noticeWords: Record<NoticeKind, string> = {
  authenticator_removed: 'the authenticator app was removed',
  authenticator_added: 'an authenticator app was added',
  recovery_code_used: 'a recovery code was used',
  recovery_codes_renewed: 'the recovery codes were renewed',
  recovery_started: 'a recovery by email started (when the app goes, and how to stop it)',
  recovery_completed: 'the recovery removed the app',
  recovery_canceled: 'the recovery was canceled',
  browser_trusted: 'a browser was trusted (it skips the second step)',
  passkey_added: 'a passkey was added',
  passkey_removed: 'a passkey was removed',
};

/** Who did it, in words: an operator by address, the portal, a command, or mailcode itself. */
export function whoDid(
  event: Pick<AuditEvent, 'actor' | 'actorId'>,
  operatorEmail: ReadonlyMap<string, string>,
): string {
  switch (event.actor) {
    case 'operator':
      return `operator ${event.actorId ? (operatorEmail.get(event.actorId) ?? event.actorId) : ''}`.trim();
    case 'portal':
      return 'the portal (API)';
    case 'cli':
      return 'a mailcode command';
    case 'mailcode':
      return 'mailcode';
  }
}

/** The trail an event belongs to: a client's name, or mailcode's own. */
export const trailName = (clientId: string, clientName: ReadonlyMap<string, string>) =>
  clientId === serviceScope ? 'mailcode itself' : (clientName.get(clientId) ?? clientId);

/** "expiresAt" → "expires at", "sendCount" → "send count". */
const words = (key: string) =>
  key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/_/g, ' ')
    .toLowerCase();
/** Facts that are times, kept as epoch milliseconds in the trail. */
const isTime = (key: string, value: unknown) =>
  typeof value === 'number' && /(At|until|Until)$/.test(key) && value > 1e12;

function shown(key: string, value: unknown): string {
  if (isTime(key, value)) return helpers.when(value as number);
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (Array.isArray(value)) return value.length ? value.map((v) => shown(key, v)).join(', ') : 'none';
  if (value === null || value === undefined) return '—';
  if (typeof value === 'object')
    return Object.entries(value)
      .map(([k, v]) => `${words(k)} ${shown(k, v)}`)
      .join('; ');
  return String(value);
}

/** An event's facts as name and value, the operator's reason first and apart. */
export function factsOf(event: Pick<AuditEvent, 'data' | 'actor'>): {
  reason: string | null;
  facts: { name: string; value: string }[];
} {
  const { reason, ...rest } = event.data;
  // An operator's reason is theirs; elsewhere `reason` is a fact of the event (why a mail failed).
  const own = event.actor === 'operator' && typeof reason === 'string' ? reason : null;
  const facts = own === null && reason !== undefined ? { reason, ...rest } : rest;
  return {
    reason: own,
    facts: Object.entries(facts).map(([key, value]) => ({ name: words(key), value: shown(key, value) })),
  };
}
