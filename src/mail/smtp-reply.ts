// What a mail server's answer means for a code mail: delivered (with the queue id of its
// 250 reply); refused for now (4xx, or no answer at all: retry); refused for good because of
// the recipient (a 5xx at RCPT TO, or one whose status is about the address or mailbox: a
// bounce, the person's address is suppressed); or refused for good because of mailcode
// itself — the relay's authentication (530, 535 5.7.8), the sender at MAIL FROM, a policy
// or content refusal, the server's own trouble. That last is no bounce: an expired relay
// password must not make every person of a portal undeliverable. The mail is retried while
// its code lives, nobody is suppressed, and the operator is told (relay-health.ts).
import { maskAddressesIn } from '../verification/email-address.js';

export interface Delivered {
  /** The server's reply, e.g. "250 2.0.0 Ok: queued as 4Xk2". */
  reply: string | null;
  queueId: string | null;
}

/** Whose refusal it is: the person's address (a bounce), mailcode's own (its relay, sender or message), or nobody's for good (try again). */
export type RefusalCause = 'recipient' | 'mailcode' | 'temporary';

export interface Refused {
  cause: RefusalCause;
  /** The SMTP step the server refused at ("RCPT TO", "MAIL FROM", "AUTH PLAIN", "DATA", "CONN"), when known. */
  stage: string | null;
  /** The server's reply (e.g. "550 5.1.1 <a***@acme.example>: mailbox unknown", addresses masked), or why there was none. */
  reply: string;
  /** The RFC 3463 enhanced status code the reply carries, e.g. "5.1.1". */
  enhancedStatus: string | null;
}

const replyLimit = 300;
/**
 * A reply as mailcode keeps it: one line, addresses masked (servers quote the recipient,
 * and the reply travels in events and webhooks), at most 300 characters. Masked before the
 * final cut, so a cut never leaves a whole address; bounded before, so the scan is short.
 */
export const clipReply = (text: string) =>
  maskAddressesIn(
    text
      .slice(0, 4 * replyLimit)
      .replace(/[\r\n]+/g, ' ')
      .trim(),
  ).slice(0, replyLimit);

/** The enhanced status code in a reply or a DSN field, when it has one. */
export function enhancedStatusIn(text: string): string | null {
  return /(?:^|[\s(])([245]\.\d{1,3}\.\d{1,3})(?=$|[\s),;:])/.exec(text)?.[1] ?? null;
}

/** The queue id most servers name in their 250 reply ("queued as X", "id=X", "<X> Queued mail for delivery"). */
export function queueIdIn(reply: string): string | null {
  return (
    /queued as\s+<?([\w.@-]+)>?/i.exec(reply)?.[1] ??
    /\bid=([\w.@-]+)/i.exec(reply)?.[1] ??
    /^250 .*?<([\w.@-]+)>/i.exec(reply)?.[1] ??
    null
  );
}

export function delivered(reply: string | undefined): Delivered {
  if (!reply) return { reply: null, queueId: null };
  // A queue id with an @ may be the recipient echoed back: it is masked like one.
  const queueId = queueIdIn(reply);
  return { reply: clipReply(reply), queueId: queueId?.includes('@') ? maskAddressesIn(queueId) : queueId };
}

/**
 * Whether a permanent refusal is about the recipient's address or mailbox (RFC 3463): 5.1.x
 * addressing but the sender's own (5.1.7, 5.1.8), 5.2.x mailbox status but a message too
 * long (5.2.3), 5.4.1 and 5.4.4 (no such recipient, no route to its domain); with no
 * status, a 5xx at RCPT TO. Never at a step before RCPT TO (connection, AUTH, MAIL FROM):
 * there the server refused mailcode, whatever the status says.
 */
export function aboutRecipient(enhancedStatus: string | null, stage: string | null): boolean {
  if (stage !== null && !/^(RCPT|DATA|BDAT|END|LMTP)/i.test(stage)) return false;
  if (!enhancedStatus) return stage !== null && /^RCPT/i.test(stage);
  const [, subject, detail] = enhancedStatus.split('.').map(Number) as [number, number, number];
  if (subject === 1) return detail !== 7 && detail !== 8;
  if (subject === 2) return detail !== 3;
  if (subject === 4) return detail === 1 || detail === 4;
  return false;
}

/** How a failed hand-over (a nodemailer error: responseCode, response, command) is to be read. */
export function refusalOf(error: unknown): Refused {
  const e = (error ?? {}) as { responseCode?: unknown; response?: unknown; message?: unknown; command?: unknown };
  const code = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const response = typeof e.response === 'string' && e.response.trim() !== '' ? e.response : undefined;
  const message = typeof e.message === 'string' ? e.message : String(error);
  const reply = clipReply(response ?? (code ? `${code} ${message}` : message));
  const enhancedStatus = enhancedStatusIn(reply);
  const stage = typeof e.command === 'string' && e.command !== 'API' ? e.command : null;
  const permanent = code !== undefined && code >= 500 && code < 600;
  const cause: RefusalCause = !permanent
    ? 'temporary'
    : aboutRecipient(enhancedStatus, stage)
      ? 'recipient'
      : 'mailcode';
  return { cause, stage, reply, enhancedStatus };
}
