// The outbox worker: delivers queued code mails, retries with backoff while the code lives,
// and gives up (erasing the payload) once it has expired.
import type { Logger } from 'pino';
import { unsealWithAny } from '../secrets.js';
import { maskEmail } from '../verification/email-address.js';
import type { OutboxMail, Store } from '../store/types.js';
import { retryDelayMs } from './backoff.js';
import type { CodeMail } from './payload.js';
import { composeCodeMail } from './compose.js';
import type { MailTransport } from './transport.js';

export interface MailWorkerOptions {
  store: Store;
  transport: MailTransport;
  /** Newest first; a payload sealed before a CODE_SECRET rotation still opens. */
  outboxKeys: Buffer[];
  logger: Logger;
  now: () => number;
  /** How often to look for due mail when nothing nudges the worker. */
  pollMs?: number;
  /** How long a claimed mail is reserved; a crashed worker's mail is retried after it. */
  leaseMs?: number;
  batchSize?: number;
  /** Seconds from queueing to delivery. */
  onDelivered?: (latencySeconds: number) => void;
  onFailed?: () => void;
  onRetry?: () => void;
}

export class MailWorker {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private stopping = false;
  private pass: Promise<number> | undefined;
  private nudged = false;

  constructor(private readonly options: MailWorkerOptions) {}

  start(): void {
    this.running = true;
    this.schedule(0);
  }

  /** Called after a send is committed, so the mail leaves at once instead of at the next poll. */
  nudge(): void {
    if (!this.running || this.stopping) return;
    if (this.pass) {
      this.nudged = true;
      return;
    }
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.loop(), delayMs);
    this.timer.unref();
  }

  private async loop(): Promise<void> {
    if (this.stopping || this.pass) return;
    let delivered = 0;
    try {
      this.pass = this.runOnce();
      delivered = await this.pass;
    } catch (error) {
      this.options.logger.error({ err: error }, 'mail worker pass failed');
    } finally {
      this.pass = undefined;
    }
    if (this.stopping) return;
    const again = delivered > 0 || this.nudged;
    this.nudged = false;
    this.schedule(again ? 0 : (this.options.pollMs ?? 1_000));
  }

  /** Delivers every mail due now; returns how many were handled. */
  async runOnce(): Promise<number> {
    const { store, now } = this.options;
    const expired = store.failExpiredMail(now());
    for (let i = 0; i < expired; i++) this.options.onFailed?.();
    const due = store.claimDueMail(now(), this.options.leaseMs ?? 60_000, this.options.batchSize ?? 50);
    await Promise.all(due.map((mail) => this.deliver(mail)));
    return due.length;
  }

  private async deliver(mail: OutboxMail) {
    const { store, transport, logger, now } = this.options;
    let message: CodeMail | undefined;
    try {
      message = JSON.parse(unsealWithAny(this.options.outboxKeys, mail.payload).plaintext) as CodeMail;
      const sent = await transport.send(composeCodeMail(message, mail.id), `${mail.verificationId}-${mail.id}`);
      await store.markMailSent(mail.id, now());
      this.options.onDelivered?.(Math.max(0, now() - mail.createdAt) / 1000);
      const fields = { verificationId: mail.verificationId, to: maskEmail(message.to), attempts: mail.attempts + 1 };
      if (sent.file) logger.info({ ...fields, file: sent.file }, `mail written to ${sent.file}`);
      else logger.info(fields, 'mail sent');
    } catch (error) {
      const reason = error instanceof Error ? error.message.slice(0, 300) : String(error);
      const nextAttemptAt = now() + retryDelayMs(mail.attempts);
      if (!message || nextAttemptAt >= mail.expiresAt) {
        await store.markMailFailed(mail.id, reason);
        this.options.onFailed?.();
        logger.warn({ verificationId: mail.verificationId, attempts: mail.attempts + 1, reason }, 'mail delivery failed for good');
      } else {
        await store.markMailRetry(mail.id, nextAttemptAt, reason);
        this.options.onRetry?.();
        logger.warn({ verificationId: mail.verificationId, attempts: mail.attempts + 1, reason, retryAt: new Date(nextAttemptAt).toISOString() }, 'mail delivery failed; will retry');
      }
    }
  }

  /** Stops polling and waits for mail in flight; mail not yet started stays queued. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    await this.pass?.catch(() => undefined);
  }
}
