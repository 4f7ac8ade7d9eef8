// The outbox worker: delivers queued code mails, retries with backoff while the code lives
// (a 4xx, no answer, or a relay refusing mailcode itself: deferred), stops at a 5xx about
// the recipient (bounced: the address is suppressed), and gives up (erasing the payload)
// once the code has expired. Every outcome is an event.
import type { Logger } from 'pino';
import { unsealWithAny } from '../shared/secrets.js';
import { addressDomain, maskEmail } from '../verification/email-address.js';
import { mailKinds, type QueuedMail } from './kinds/index.js';
import type { OutboxMail, OutboxPort } from './outbox.js';
import { retryDelayMs } from './backoff.js';
import type { MailTransport, SentMail } from './transport.js';
import { addressGone } from '../people/address-gone.js';
import { mailEvents } from './delivery-events.js';
import { delivered, refusalOf, type Refused } from './smtp-reply.js';
import { hourMs } from '../verification/limits.js';
import type { BackgroundJob } from '../shared/background.js';
import type { DkimSigner } from '../clients/dkim-service.js';
import type { RelayHealth } from './relay-health.js';
import { failureBackoffMs } from '../shared/background.js';
import { outageOf } from '../shared/outage.js';

export interface MailWorkerOptions {
  outbox: OutboxPort;
  transport: MailTransport;
  /** Newest first; a payload sealed before a CODE_SECRET rotation still opens. */
  outboxKeys: Buffer[];
  logger: Logger;
  now: () => number;
  /** How often to look for due mail when nothing nudges the worker. */
  pollMs?: number;
  /**
   * How long a claimed mail is reserved; a crashed worker's mail is retried after it. The
   * lease is renewed every third of it while the delivery runs, so it can be short.
   */
  leaseMs?: number;
  batchSize?: number;
  /** Deliveries in flight at once (the SMTP pool's connections share them). */
  concurrency?: number;
  /** Seconds from queueing to delivery. */
  onDelivered?: (latencySeconds: number) => void;
  onFailed?: () => void;
  onRetry?: () => void;
  /** The return path of a mail (VERP, see verp.ts), when bounces are to come back to mailcode. */
  returnPathFor?: (outboxId: number) => string;
  /** A hard bounce, by recipient domain. */
  onBounced?: (domain: string) => void;
  /** A bounce said the mailbox is gone: these people of the client proved it (people/address-gone.ts). */
  onAddressGone?: (clientId: string, userRefs: string[]) => Promise<void>;
  /** The client's own DKIM key for this From domain; without one, the transport's server-wide key signs (if any). */
  signerFor?: (clientId: string, from: string) => Promise<DkimSigner | undefined>;
  /** The client's own relay; without one, `transport`. */
  transportFor?: (clientId: string) => Promise<MailTransport | undefined>;
  /** Where refusals of mailcode itself by a relay are told (readiness, the console, a metric). */
  relayHealth?: RelayHealth;
}

/** A background job (shared/background.ts): each pass fills the free delivery slots. */
export class MailWorker implements BackgroundJob {
  readonly name = 'mail';
  private inFlight = 0;
  private lastExpiryCheck = -Infinity;
  private idle: (() => void)[] = [];
  /** The outbox ids being delivered now: their leases are renewed until they end. */
  private readonly delivering = new Set<number>();
  private renewal: NodeJS.Timeout | undefined;
  /** From the background loop, once it runs: starts a pass as soon as possible. */
  private wake: (() => void) | undefined;
  /** Set by drain: a mail handed over but not yet recorded stops waiting for the database. */
  private stopping = false;
  private renewalFailing = false;

  constructor(private readonly options: MailWorkerOptions) {}

  get idleMs(): number {
    return this.options.pollMs ?? 1_000;
  }

  private get concurrency(): number {
    return this.options.concurrency ?? 64;
  }

  /** Claim again once this many delivery slots are free (half of them, at least one). */
  private get refillAt(): number {
    return Math.max(1, Math.floor(this.concurrency / 2));
  }

  private get leaseMs(): number {
    return this.options.leaseMs ?? 10_000;
  }

  /**
   * Mail a killed process had claimed is taken back before the first claim, so it leaves
   * at once instead of after the dead process's lease.
   */
  async prepare(): Promise<void> {
    this.renewal = setInterval(() => this.renewLeases(), Math.max(100, Math.floor(this.leaseMs / 3))).unref();
    try {
      const released = await this.options.outbox.releaseAbandoned();
      if (released > 0)
        this.options.logger.warn(
          { released },
          'mail claimed by a process that ended without delivering it is queued again',
        );
    } catch (error) {
      this.options.logger.error(
        { err: error },
        'abandoned mail could not be released; it is retried when its lease ends',
      );
    }
  }

  private renewLeases(): void {
    if (this.delivering.size === 0) return;
    this.options.outbox.renewLeases([...this.delivering], this.options.now() + this.leaseMs).then(
      () => (this.renewalFailing = false),
      (error: unknown) => {
        // Once per outage, not every few hundred milliseconds of it.
        if (!this.renewalFailing)
          this.options.logger.error(
            { err: error },
            'mail leases could not be renewed; another process may deliver the same mail',
          );
        this.renewalFailing = true;
      },
    );
  }

  /** Called after a send is committed, so the mail leaves at once instead of at the next poll. */
  nudge(): void {
    this.wake?.();
  }

  /**
   * Keeps up to `concurrency` deliveries in flight: each one that ends wakes the loop to
   * claim the next due mail, so one slow delivery never holds up the others.
   */
  async pass(wake: () => void): Promise<boolean> {
    this.wake = wake;
    await this.failExpired();
    const free = this.concurrency - this.inFlight;
    // Claims refill in batches: a claim scans past the rows in flight, so claiming one
    // mail each time one delivery ends cost more than the delivery's own SQL (measured:
    // 7% of the server's time under send load, before this).
    if (free < this.refillAt) return false;
    const due = await this.claim(free);
    for (const mail of due) this.track(this.deliver(mail));
    return false;
  }

  private track(delivery: Promise<void>): void {
    this.inFlight++;
    void delivery.finally(() => {
      this.inFlight--;
      if (this.inFlight === 0) for (const resolve of this.idle.splice(0)) resolve();
      this.nudge();
    });
  }

  /** Due mail, less what this worker is still delivering (a lease that ran out while the database was away is not a mail to send again). */
  private async claim(limit: number): Promise<OutboxMail[]> {
    const due = await this.options.outbox.claimDue(this.options.now(), this.leaseMs, limit);
    return due.filter((mail) => !this.delivering.has(mail.id));
  }

  /** Mail whose code has expired is given up; checked at most once a second. */
  private async failExpired(): Promise<void> {
    const now = this.options.now();
    if (now - this.lastExpiryCheck < 1_000) return;
    this.lastExpiryCheck = now;
    const expired = await this.options.outbox.failExpired(now, (mail) => mailEvents.expired(mail, now));
    for (let i = 0; i < expired; i++) this.options.onFailed?.();
  }

  /** Delivers every mail due now, and waits for them; returns how many were handled (tests). */
  async runOnce(): Promise<number> {
    this.lastExpiryCheck = -Infinity;
    await this.failExpired();
    const due = await this.claim(this.options.batchSize ?? 50);
    await Promise.all(due.map((mail) => this.deliver(mail)));
    return due.length;
  }

  /**
   * Never rejects: a delivery runs outside the pass that started it, so nothing would catch
   * it (an unhandled rejection ends the process). A mail whose outcome could not be written
   * — the database away — keeps its lease until it runs out and is delivered again then.
   */
  private async deliver(mail: OutboxMail) {
    this.delivering.add(mail.id);
    try {
      await this.deliverOnce(mail);
    } catch (error) {
      const outage = outageOf(error);
      if (outage)
        this.options.logger.warn(
          { verificationId: mail.verificationId, outage },
          'mail delivery paused: the database is away; the mail is tried again after its lease',
        );
      else
        this.options.logger.error(
          { err: error, verificationId: mail.verificationId },
          'mail delivery failed unexpectedly; the mail is tried again after its lease',
        );
    } finally {
      this.delivering.delete(mail.id);
    }
  }

  /**
   * Writes what became of a mail the server accepted. While the database is away the write
   * is tried again (its lease renewed meanwhile), so the mail is not sent a second time when
   * the database comes back; only a stop gives up (at least once: see docs/OPERATIONS.md).
   */
  private async recordDelivered(mail: OutboxMail, write: () => Promise<void>): Promise<void> {
    for (let tries = 1; ; tries++) {
      try {
        await write();
        return;
      } catch (error) {
        const outage = outageOf(error);
        if (!outage || this.stopping || this.options.now() > mail.expiresAt) throw error;
        if (tries === 1)
          this.options.logger.warn(
            { verificationId: mail.verificationId, outage },
            'mail sent; recording it waits for the database',
          );
        await new Promise((resolve) => setTimeout(resolve, failureBackoffMs(tries)));
      }
    }
  }

  private async deliverOnce(mail: OutboxMail) {
    const { outbox, transport, logger, now } = this.options;
    let message: QueuedMail;
    const compose = mailKinds[mail.kind];
    try {
      if (!compose) throw new Error(`no mail of kind "${mail.kind}" is known to this release`);
      message = JSON.parse(unsealWithAny(this.options.outboxKeys, mail.payload).plaintext) as QueuedMail;
    } catch (error) {
      // A payload no key opens (CODE_SECRET replaced without keeping the old one) never will.
      const reason = `the queued mail cannot be opened: ${error instanceof Error ? error.message.slice(0, 200) : String(error)}`;
      await outbox.markFailed(mail.id, reason, []);
      this.options.onFailed?.();
      logger.error({ verificationId: mail.verificationId, reason }, 'mail delivery failed for good');
      return;
    }
    const attempt = mail.attempts + 1;
    const fields = { verificationId: mail.verificationId, to: maskEmail(message.to), attempts: attempt };
    let sent: SentMail;
    /** The relay the mail went to: the client's own, or the server's (clientId null). */
    let relay: { clientId: string | null; label: string } | undefined;
    try {
      // A key that cannot be read now is a refusal for now: the mail waits and is tried again.
      const [dkim, own] = await Promise.all([
        this.options.signerFor?.(mail.clientId, message.from),
        this.options.transportFor?.(mail.clientId),
      ]);
      const via = own ?? transport;
      relay = { clientId: own ? mail.clientId : null, label: via.label ?? via.kind };
      const composed = compose(message, mail.id);
      sent = await via.send(
        dkim ? { ...composed, dkim } : composed,
        `${mail.verificationId ?? mail.kind}-${mail.id}`,
        this.options.returnPathFor?.(mail.id),
      );
    } catch (error) {
      await this.refused(mail, message, refusalOf(error), relay);
      return;
    }
    if (relay) this.options.relayHealth?.accepted(relay.clientId, relay.label);
    const at = now();
    const result = delivered(sent.response);
    await this.recordDelivered(mail, () =>
      outbox.markSent(mail.id, at, result, [mailEvents.sent(mail, message.to, at, { attempt, ...result })]),
    );
    this.options.onDelivered?.(Math.max(0, at - mail.createdAt) / 1000);
    if (sent.file) logger.info({ ...fields, file: sent.file }, `mail written to ${sent.file}`);
    else logger.info({ ...fields, queueId: result.queueId }, 'mail sent');
  }

  /**
   * A refusal: a bounce when it is the recipient's for good; else another try while the code
   * lives — and when the relay refused mailcode itself, the operator is told (relay-health.ts).
   */
  private async refused(
    mail: OutboxMail,
    message: QueuedMail,
    refusal: Refused,
    relay: { clientId: string | null; label: string } | undefined,
  ) {
    const { outbox, logger, now } = this.options;
    const at = now();
    const fields = {
      verificationId: mail.verificationId,
      to: maskEmail(message.to),
      attempts: mail.attempts + 1,
      reply: refusal.reply,
      stage: refusal.stage,
    };
    if (refusal.cause === 'mailcode' && relay) {
      this.options.relayHealth?.refused({
        clientId: relay.clientId,
        relay: relay.label,
        stage: refusal.stage,
        reply: refusal.reply,
        at,
      });
      logger.error(
        { ...fields, relay: relay.label, client: relay.clientId },
        'the relay refuses mailcode itself (not the recipient): nobody is suppressed, the mail is retried; the relay needs mending',
      );
    }
    if (refusal.cause === 'recipient') {
      let gone: { clientId: string; userRefs: string[] } | undefined;
      await outbox.bounce({
        mail: { outboxId: mail.id },
        handOver: true,
        reply: refusal.reply,
        enhancedStatus: refusal.enhancedStatus,
        now: at,
        suppressUntil: (m) => at + m.suppressionHours * hourMs,
        events: (bounced, until, others, provenFor) => {
          if (addressGone(refusal.reply, refusal.enhancedStatus))
            gone = { clientId: bounced.clientId, userRefs: provenFor };
          return mailEvents.bounced(bounced, until, others, provenFor, at, {
            reply: refusal.reply,
            enhancedStatus: refusal.enhancedStatus,
            source: 'smtp',
          });
        },
      });
      this.options.onBounced?.(addressDomain(message.to));
      if (gone && gone.userRefs.length > 0) await this.options.onAddressGone?.(gone.clientId, gone.userRefs);
      logger.warn(fields, 'mail bounced: the address is suppressed');
      return;
    }
    const nextAttemptAt = at + retryDelayMs(mail.attempts);
    if (nextAttemptAt >= mail.expiresAt) {
      await outbox.markFailed(mail.id, refusal.reply, [mailEvents.failed(mail, message.to, at, refusal.reply)]);
      this.options.onFailed?.();
      logger.warn(fields, 'mail delivery failed for good');
      return;
    }
    const deferred = {
      attempt: mail.attempts + 1,
      reply: refusal.reply,
      enhancedStatus: refusal.enhancedStatus,
      retryAt: nextAttemptAt,
    };
    await outbox.markDeferred(mail.id, nextAttemptAt, refusal, [mailEvents.deferred(mail, message.to, at, deferred)]);
    this.options.onRetry?.();
    logger.warn({ ...fields, retryAt: new Date(nextAttemptAt).toISOString() }, 'mail delivery deferred; will retry');
  }

  /** After the last pass: waits for mail in flight; mail not yet started stays queued. */
  async drain(): Promise<void> {
    this.stopping = true;
    // Their leases are still renewed meanwhile.
    if (this.inFlight > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
    clearInterval(this.renewal);
  }
}
