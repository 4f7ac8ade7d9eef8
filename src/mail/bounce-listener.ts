// The optional inbound SMTP listener for bounces that arrive after a relay accepted a mail
// (BOUNCE_SMTP_PORT, off by default). It takes mail only for return paths mailcode made
// (verp.ts: anything else is refused at RCPT), reads the RFC 3464 report in it, and records
// a hard bounce of the mail the return path names. A forged, unparseable or soft report
// changes nothing; it is accepted all the same, so the sender does not retry it forever.
import { simpleParser } from 'mailparser';
import type { Logger } from 'pino';
import { SMTPServer, type SMTPServerAddress, type SMTPServerSession } from 'smtp-server';
import { hourMs } from '../verification/limits.js';
import { mailEvents } from './delivery-events.js';
import { hardBounceIn, parseDeliveryStatus } from './dsn.js';
import type { OutboxPort } from './outbox.js';
import { outboxIdFrom } from './verp.js';

export interface BounceListenerOptions {
  host: string;
  port: number;
  /** The return-path domain (BOUNCE_DOMAIN). */
  domain: string;
  /** Newest first: the keys return-path tags are made with. */
  keys: Buffer[];
  outbox: OutboxPort;
  logger: Logger;
  now: () => number;
  onBounced?: (domain: string) => void;
}

const maxReportBytes = 256 * 1024;

export async function startBounceListener(options: BounceListenerOptions): Promise<{ port: number; close(): Promise<void> }> {
  const { logger } = options;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    size: maxReportBytes,
    logger: false,
    banner: 'mailcode bounce listener',
    onRcptTo(address: SMTPServerAddress, session: SMTPServerSession, callback: (error?: Error) => void) {
      const id = outboxIdFrom(options.keys, options.domain, address.address);
      if (id === undefined) return callback(Object.assign(new Error('No such bounce address'), { responseCode: 550 }));
      ((session as unknown as { outboxIds?: number[] }).outboxIds ??= []).push(id);
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const ids = (session as unknown as { outboxIds?: number[] }).outboxIds ?? [];
        record(Buffer.concat(chunks), ids).then(
          () => callback(),
          (error: unknown) => {
            logger.error({ err: error }, 'a bounce report could not be recorded');
            callback(Object.assign(new Error('Try again later'), { responseCode: 451 }));
          },
        );
      });
    },
  });

  async function record(raw: Buffer, outboxIds: number[]) {
    const parsed = await simpleParser(raw, { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true, keepDeliveryStatus: true });
    const report = parsed.attachments.find((a) => a.contentType.toLowerCase() === 'message/delivery-status' || a.contentType.toLowerCase() === 'message/global-delivery-status');
    const bounce = report ? hardBounceIn(parseDeliveryStatus(report.content.toString('utf8'))) : undefined;
    if (!bounce) {
      logger.info({ outboxIds }, 'a report that tells of no permanent failure (or none that could be read): nothing changes');
      return;
    }
    for (const outboxId of outboxIds) {
      const at = options.now();
      let domain = '';
      const recorded = await options.outbox.bounce({
        mail: { outboxId },
        handOver: false,
        reply: bounce.reply,
        enhancedStatus: bounce.enhancedStatus,
        now: at,
        suppressUntil: (m) => at + m.suppressionHours * hourMs,
        events: (bounced, until, others) => {
          domain = bounced.email.slice(bounced.email.lastIndexOf('@') + 1);
          return mailEvents.bounced(bounced, until, others, at, { ...bounce, source: 'dsn' });
        },
      });
      if (recorded) options.onBounced?.(domain);
      logger.warn({ outboxId, enhancedStatus: bounce.enhancedStatus, recorded }, recorded ? 'a later bounce recorded: the address is suppressed' : 'a bounce for a mail already bounced or gone');
    }
  }

  server.on('error', (error) => logger.warn({ err: error }, 'bounce listener connection error'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.server.address() as { port: number }).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
