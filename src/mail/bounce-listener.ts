// The optional inbound SMTP listener for bounces that arrive after a relay accepted a mail
// (BOUNCE_SMTP_PORT, off by default). It takes mail only for return paths mailcode made
// (verp.ts: anything else is refused at RCPT), reads the RFC 3464 report in it, and records
// a hard bounce of the mail the return path names. A forged or soft report changes nothing;
// it is accepted all the same, so the sender does not retry it forever.
//
// The domain's MX points here, so it faces the internet: it holds at most `maxConnections`
// sessions, each for at most `sessionMs` (and `idleMs` between lines), each with at most
// one report of `maxReportBytes` in memory. A report that grows past the limit is answered
// 552 at once and the connection closed, instead of being read to its end; one that can
// never be read is answered 554 (final), never 451, which would have it sent for days.
import type { Socket } from 'node:net';
import { simpleParser } from 'mailparser';
import type { Logger } from 'pino';
import { SMTPServer, type SMTPServerAddress, type SMTPServerSession } from 'smtp-server';
import { hourMs } from '../verification/limits.js';
import { addressGone } from '../people/address-gone.js';
import { mailEvents } from './delivery-events.js';
import { hardBounceIn, parseDeliveryStatus } from './dsn.js';
import type { OutboxPort } from './outbox.js';
import { outboxIdFrom } from './verp.js';
import { addressDomain } from '../verification/email-address.js';

/** What became of a report (a metric's label). */
export type ReportOutcome = 'hard_bounce' | 'no_bounce' | 'unreadable' | 'oversized' | 'retry';

export interface BounceListenerLimits {
  maxReportBytes: number;
  maxConnections: number;
  /** The longest a session may last, however busy. */
  sessionMs: number;
  /** The longest a client may stay silent. */
  idleMs: number;
  /** Return paths one report may name (a DSN names one). */
  maxRecipients: number;
}

export const bounceListenerLimits: BounceListenerLimits = {
  maxReportBytes: 256 * 1024,
  maxConnections: 32,
  sessionMs: 120_000,
  idleMs: 30_000,
  maxRecipients: 20,
};

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
  /** A report said the mailbox is gone: these people of the client proved it. */
  onAddressGone?: (clientId: string, userRefs: string[]) => Promise<void>;
  onReport?: (outcome: ReportOutcome) => void;
  limits?: Partial<BounceListenerLimits>;
}

/** The parts of smtp-server's connection a refusal mid-message needs (its `connections` set is untyped). */
interface Connection {
  id: string;
  send(code: number, text: string): void;
  close(): void;
}

const smtpError = (responseCode: number, message: string) => Object.assign(new Error(message), { responseCode });
const outboxIdsOf = (session: SMTPServerSession) => ((session as unknown as { outboxIds?: number[] }).outboxIds ??= []);

export async function startBounceListener(
  options: BounceListenerOptions,
): Promise<{ port: number; close(): Promise<void> }> {
  const { logger } = options;
  const limits = { ...bounceListenerLimits, ...options.limits };
  const outcome = (o: ReportOutcome) => options.onReport?.(o);
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    size: limits.maxReportBytes,
    rejectOversized: true,
    maxClients: limits.maxConnections,
    socketTimeout: limits.idleMs,
    closeTimeout: 1_000,
    logger: false,
    banner: 'mailcode bounce listener',
    onRcptTo(address: SMTPServerAddress, session: SMTPServerSession, callback: (error?: Error) => void) {
      const ids = outboxIdsOf(session);
      if (ids.length >= limits.maxRecipients) return callback(smtpError(452, '4.5.3 Too many recipients'));
      const id = outboxIdFrom(options.keys, options.domain, address.address);
      if (id === undefined) return callback(smtpError(550, '5.1.1 No such bounce address'));
      ids.push(id);
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      let oversized = false;
      stream.on('data', (chunk: Buffer) => {
        if (oversized) return;
        if (!stream.sizeExceeded) {
          chunks.push(chunk);
          return;
        }
        // Past the limit: nothing more is kept or read. The sender is told why, and the
        // connection closed, rather than taking in whatever it goes on streaming.
        oversized = true;
        chunks.length = 0;
        outcome('oversized');
        logger.warn({ limit: limits.maxReportBytes }, 'a bounce report over the size limit was refused');
        const connection = connectionOf(session);
        connection?.send(552, `5.3.4 Message exceeds fixed maximum message size ${limits.maxReportBytes}`);
        connection?.close();
        stream.resume();
      });
      stream.on('end', () => {
        // Answered 552 by smtp-server (rejectOversized) when the sender did get to its end.
        if (oversized || stream.sizeExceeded)
          return callback(smtpError(552, 'message exceeds fixed maximum message size'));
        handle(Buffer.concat(chunks), outboxIdsOf(session)).then(
          () => callback(),
          (error: unknown) => callback(error instanceof Error ? error : smtpError(451, '4.3.0 Try again later')),
        );
      });
    },
  });

  const connectionOf = (session: SMTPServerSession) =>
    [...(server.connections as Set<Connection>)].find((c) => c.id === session.id);

  // However busy a session keeps itself, it ends: one that trickles a line now and then
  // would otherwise hold its slot (and its buffer) for good.
  server.server.on('connection', (socket: Socket) => {
    const deadline = setTimeout(() => socket.destroy(), limits.sessionMs);
    deadline.unref();
    socket.once('close', () => clearTimeout(deadline));
  });

  /** A report read and recorded; an error carries the SMTP answer (554 for good, 451 to come again). */
  async function handle(raw: Buffer, outboxIds: number[]): Promise<void> {
    let bounce: ReturnType<typeof hardBounceIn>;
    try {
      bounce = await readReport(raw);
    } catch (error) {
      // What cannot be parsed now never will be: a final answer, so it is not sent again.
      outcome('unreadable');
      logger.warn(
        { outboxIds, reason: error instanceof Error ? error.message.slice(0, 200) : String(error) },
        'a bounce report that cannot be read was refused for good',
      );
      throw smtpError(554, '5.6.0 The report cannot be read');
    }
    if (!bounce) {
      outcome('no_bounce');
      logger.info({ outboxIds }, 'a report that tells of no permanent failure: nothing changes');
      return;
    }
    try {
      await record(bounce, outboxIds);
      outcome('hard_bounce');
    } catch (error) {
      // The report is fine; mailcode could not record it now (the database): come again.
      outcome('retry');
      logger.error({ err: error }, 'a bounce report could not be recorded');
      throw smtpError(451, '4.3.0 Try again later');
    }
  }

  async function readReport(raw: Buffer) {
    const parsed = await simpleParser(raw, {
      skipHtmlToText: true,
      skipTextToHtml: true,
      skipImageLinks: true,
      keepDeliveryStatus: true,
    });
    const report = parsed.attachments.find(
      (a) =>
        a.contentType.toLowerCase() === 'message/delivery-status' ||
        a.contentType.toLowerCase() === 'message/global-delivery-status',
    );
    return report ? hardBounceIn(parseDeliveryStatus(report.content.toString('utf8'))) : undefined;
  }

  async function record(bounce: NonNullable<ReturnType<typeof hardBounceIn>>, outboxIds: number[]) {
    for (const outboxId of outboxIds) {
      const at = options.now();
      let domain = '';
      let gone: { clientId: string; userRefs: string[] } | undefined;
      const recorded = await options.outbox.bounce({
        mail: { outboxId },
        handOver: false,
        reply: bounce.reply,
        enhancedStatus: bounce.enhancedStatus,
        now: at,
        suppressUntil: (m) => at + m.suppressionHours * hourMs,
        events: (bounced, until, others, provenFor) => {
          domain = addressDomain(bounced.email);
          if (addressGone(bounce.reply, bounce.enhancedStatus))
            gone = { clientId: bounced.clientId, userRefs: provenFor };
          return mailEvents.bounced(bounced, until, others, provenFor, at, { ...bounce, source: 'dsn' });
        },
      });
      if (recorded) options.onBounced?.(domain);
      if (recorded && gone && gone.userRefs.length > 0) await options.onAddressGone?.(gone.clientId, gone.userRefs);
      logger.warn(
        { outboxId, enhancedStatus: bounce.enhancedStatus, recorded },
        recorded ? 'a later bounce recorded: the address is suppressed' : 'a bounce for a mail already bounced or gone',
      );
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
