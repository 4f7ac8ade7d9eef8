// What a receiving mail server said about a code mail, in words a person understands: the
// portal shows "Your mail server refused the message (mailbox unknown)" instead of "check
// your spam folder". mailcode picks the RFC 3463 enhanced status code out of each reply
// (events, verification state, the 422 address_undeliverable); this names it.

// RFC 3463 §3: the subject (second number) and the details that matter to a person.
const details: Record<string, string> = {
  '1.1': 'mailbox unknown',
  '1.2': 'domain unknown',
  '1.3': 'address not valid',
  '1.6': 'mailbox has moved',
  '2.1': 'mailbox disabled',
  '2.2': 'mailbox full',
  '2.3': 'message too large',
  '7.1': 'refused by policy',
  '7.26': 'sender not authenticated',
};
const subjects: Record<string, string> = {
  '1': 'address problem',
  '2': 'mailbox problem',
  '3': 'mail system problem',
  '4': 'network or routing problem',
  '5': 'mail protocol problem',
  '6': 'message content problem',
  '7': 'refused by policy',
};

/** "mailbox unknown" for "5.1.1"; null without a status code, or for one that names nothing a person could act on. */
export function deliveryReason(enhancedStatus: string | null | undefined): string | null {
  const status = enhancedStatus && /^[245]\.\d{1,3}\.\d{1,3}$/.test(enhancedStatus) ? enhancedStatus : null;
  if (!status) return null;
  const [, subject, detail] = status.split('.');
  return details[`${subject}.${detail}`] ?? subjects[subject!] ?? null;
}

/** What a portal may tell the person waiting for their code. */
export interface DeliveryNotice {
  /**
   * refused: the mail will not arrive (bounced, or the address is suppressed after a bounce);
   * delayed: the server asked to try again later, mailcode keeps trying;
   * undelivered: mailcode gave up (the code expired first);
   * delivered: the server accepted it (clears an earlier "delayed").
   */
  kind: 'refused' | 'delayed' | 'undelivered' | 'delivered';
  /** In a person's words, from the enhanced status code; null when the server gave none. */
  reason: string | null;
}

/**
 * The notice for a mail event (a webhook message or an event from GET /events), or for a
 * verification's delivery state (GET /verifications/:id); null for anything else.
 */
export function deliveryNotice(
  event: { type: string; data?: Record<string, unknown> } | { delivery: string; enhancedStatus?: string | null },
): DeliveryNotice | null {
  const [state, status] =
    'type' in event
      ? [event.type.startsWith('mail.') ? event.type.slice(5) : '', event.data?.enhancedStatus]
      : [event.delivery, event.enhancedStatus];
  const kind = (
    {
      bounced: 'refused',
      suppressed: 'refused',
      deferred: 'delayed',
      failed: 'undelivered',
      sent: 'delivered',
    } as const
  )[state as 'sent'];
  return kind ? { kind, reason: deliveryReason(typeof status === 'string' ? status : null) } : null;
}
