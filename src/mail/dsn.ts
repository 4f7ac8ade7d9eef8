// RFC 3464 delivery-status notifications: what a relay mails back when it could not
// deliver a message it had accepted. Only the machine-readable part is trusted: the
// message/delivery-status fields, per recipient (Action, Status, Diagnostic-Code).
import { aboutRecipient, clipReply } from './smtp-reply.js';

export interface RecipientStatus {
  finalRecipient: string | null;
  /** failed | delayed | delivered | relayed | expanded */
  action: string;
  /** The enhanced status code, e.g. 5.1.1. */
  status: string;
  /** The remote server's words, e.g. "smtp; 550 5.1.1 <a@acme.example>: mailbox unknown". */
  diagnosticCode: string | null;
}

/** Header-style fields of one block (folded lines joined), names lower-cased. */
function fields(block: string): Map<string, string> {
  const map = new Map<string, string>();
  let last: string | undefined;
  for (const line of block.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && last) {
      map.set(last, `${map.get(last)} ${line.trim()}`);
      continue;
    }
    const match = /^([A-Za-z][A-Za-z0-9-]*):\s*(.*)$/.exec(line);
    if (!match) continue;
    last = match[1]!.toLowerCase();
    map.set(last, match[2]!.trim());
  }
  return map;
}

/** The per-recipient blocks of a message/delivery-status body; [] when it is not one. */
export function parseDeliveryStatus(text: string): RecipientStatus[] {
  const blocks = text.split(/\r?\n[ \t]*\r?\n/).map(fields);
  return blocks.slice(1).flatMap((f) => {
    const action = f.get('action')?.toLowerCase();
    const status = /^([245]\.\d{1,3}\.\d{1,3})/.exec(f.get('status') ?? '')?.[1];
    if (!action || !status) return [];
    const recipient = f.get('final-recipient') ?? f.get('original-recipient') ?? null;
    return [
      {
        finalRecipient: recipient ? recipient.replace(/^[^;]*;\s*/, '') : null,
        action,
        status,
        diagnosticCode: f.get('diagnostic-code') ?? null,
      },
    ];
  });
}

/**
 * The permanent failure of the recipient a report tells of, if any: what a bounce records.
 * A failure that is about mailcode's mail rather than the address (5.7.x policy, 5.6.x
 * content, 5.3.x the system) suppresses nobody (smtp-reply.ts, aboutRecipient).
 */
export function hardBounceIn(recipients: RecipientStatus[]): { reply: string; enhancedStatus: string } | undefined {
  const failed = recipients.find(
    (r) => r.action === 'failed' && r.status.startsWith('5.') && aboutRecipient(r.status, null),
  );
  if (!failed) return undefined;
  // The remote words quote the recipient more often than not: clipped and masked as a reply is.
  const reply = clipReply(
    (failed.diagnosticCode?.replace(/^[^;]*;\s*/, '') ?? `${failed.status} (no diagnostic given)`).replace(/\s+/g, ' '),
  );
  return { reply, enhancedStatus: failed.status };
}
