// The mailbox as proof of membership: a company's mail server refusing a person's proven
// address for good means the person is no longer there (left the company, mailbox closed).
// mailcode tells the portal once per person that proved it: `person.address_gone`.
import { byMailcode, event, type NewEvent } from '../events/model.js';

/**
 * RFC 3463 statuses that say the mailbox itself is gone: 5.1.1 (no such mailbox), 5.1.6
 * (moved, no forwarding), 5.2.1 (disabled). A reply with no enhanced status counts when it
 * is RFC 5321's "550 mailbox unavailable"; a policy refusal (5.7.x) or a full box never does.
 */
const goneStatuses = new Set(['5.1.1', '5.1.6', '5.2.1']);

export function addressGone(reply: string, enhancedStatus: string | null): boolean {
  if (enhancedStatus !== null) return goneStatuses.has(enhancedStatus);
  return /^550[\s-]/.test(reply);
}

/** One event per person of the client who proved the address (its subject their user reference). */
export function addressGoneEvents(
  gone: { clientId: string; maskedEmail: string; provenFor: string[] },
  at: number,
  data: { reply: string; enhancedStatus: string | null; source: 'smtp' | 'dsn' },
): NewEvent[] {
  return gone.provenFor.map((userRef) =>
    event(
      'person.address_gone',
      at,
      { clientId: gone.clientId, subject: userRef, maskedEmail: gone.maskedEmail },
      byMailcode,
      data,
    ),
  );
}
