// What a receiving mail server's answer means for a code mail: delivered (with the queue id
// of its 250 reply), refused for now (4xx, or no answer at all: retry), or refused for good
// (5xx: a bounce; retrying would only bounce again).
import { maskAddressesIn } from '../verification/email-address.js';

export interface Delivered {
  /** The server's reply, e.g. "250 2.0.0 Ok: queued as 4Xk2". */
  reply: string | null;
  queueId: string | null;
}

export interface Refused {
  permanent: boolean;
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
export const clipReply = (text: string) => maskAddressesIn(text.slice(0, 4 * replyLimit).replace(/[\r\n]+/g, ' ').trim()).slice(0, replyLimit);

/** The enhanced status code in a reply or a DSN field, when it has one. */
export function enhancedStatusIn(text: string): string | null {
  return /(?:^|[\s(])([245]\.\d{1,3}\.\d{1,3})(?=$|[\s),;:])/.exec(text)?.[1] ?? null;
}

/** The queue id most servers name in their 250 reply ("queued as X", "id=X", "<X> Queued mail for delivery"). */
export function queueIdIn(reply: string): string | null {
  return /queued as\s+<?([\w.@-]+)>?/i.exec(reply)?.[1] ?? /\bid=([\w.@-]+)/i.exec(reply)?.[1] ?? /^250 .*?<([\w.@-]+)>/i.exec(reply)?.[1] ?? null;
}

export function delivered(reply: string | undefined): Delivered {
  if (!reply) return { reply: null, queueId: null };
  // A queue id with an @ may be the recipient echoed back: it is masked like one.
  const queueId = queueIdIn(reply);
  return { reply: clipReply(reply), queueId: queueId?.includes('@') ? maskAddressesIn(queueId) : queueId };
}

/** How a failed hand-over (a nodemailer error: responseCode, response, code) is to be read. */
export function refusalOf(error: unknown): Refused {
  const e = (error ?? {}) as { responseCode?: unknown; response?: unknown; message?: unknown };
  const code = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const response = typeof e.response === 'string' && e.response.trim() !== '' ? e.response : undefined;
  const message = typeof e.message === 'string' ? e.message : String(error);
  const reply = clipReply(response ?? (code ? `${code} ${message}` : message));
  return { permanent: code !== undefined && code >= 500 && code < 600, reply, enhancedStatus: enhancedStatusIn(reply) };
}
