// Prometheus metrics (prom-client), one registry per app so tests and several apps in one
// process never share counters.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();
  readonly codesSent = new Counter({
    name: 'mailcode_codes_sent_total',
    help: 'Codes queued for mailing',
    registers: [this.registry],
  });
  readonly codesVerified = new Counter({
    name: 'mailcode_codes_verified_total',
    help: 'Right codes (verifications completed)',
    registers: [this.registry],
  });
  readonly codesFailed = new Counter({
    name: 'mailcode_codes_failed_total',
    help: 'Wrong codes',
    registers: [this.registry],
  });
  readonly verificationsLocked = new Counter({
    name: 'mailcode_verifications_locked_total',
    help: 'Verifications locked after too many wrong codes',
    registers: [this.registry],
  });
  readonly links = new Counter({
    name: 'mailcode_links_total',
    help: 'Continue links clicked, by outcome (verified, different_browser, unknown, used, expired, canceled, locked, limited)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly rateLimited = new Counter({
    name: 'mailcode_rate_limited_total',
    help: 'Requests refused by a limit',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });
  readonly mailDelivered = new Counter({
    name: 'mailcode_mail_delivered_total',
    help: 'Mails handed to the transport',
    registers: [this.registry],
  });
  readonly mailFailed = new Counter({
    name: 'mailcode_mail_failed_total',
    help: 'Mails given up (code expired before delivery, or canceled)',
    registers: [this.registry],
  });
  readonly mailRetries = new Counter({
    name: 'mailcode_mail_retries_total',
    help: 'Delivery attempts that failed and were rescheduled',
    registers: [this.registry],
  });
  /** By recipient domain: company domains, which the client's allowed-domain list bounds. */
  readonly mailBounced = new Counter({
    name: 'mailcode_mail_bounced_total',
    help: 'Code mails refused for good (5xx), by recipient domain',
    labelNames: ['domain'],
    registers: [this.registry],
  });
  readonly relayRefusals = new Counter({
    name: 'mailcode_relay_refusals_total',
    help: 'Mails a relay refused because of mailcode itself (authentication, the sender, policy): retried, nobody suppressed; by relay host:port',
    labelNames: ['relay'],
    registers: [this.registry],
  });
  readonly bounceReports = new Counter({
    name: 'mailcode_bounce_reports_total',
    help: 'Reports taken by the bounce listener, by outcome (hard_bounce, no_bounce, unreadable, oversized, retry)',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  readonly webhookDeliveries = new Counter({
    name: 'mailcode_webhook_deliveries_total',
    help: 'Webhook delivery attempts by outcome (delivered, retried, failed)',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  readonly webhookLatencySeconds = new Histogram({
    name: 'mailcode_webhook_latency_seconds',
    help: 'Time from an event being queued for an endpoint to its delivery',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 30, 300, 3600],
    registers: [this.registry],
  });
  readonly mailDeliverySeconds = new Histogram({
    name: 'mailcode_mail_delivery_seconds',
    help: 'Time from queueing a mail to its delivery',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'mailcode_http_request_duration_seconds',
    help: 'HTTP request latency',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'mailcode_' });
  }

  /**
   * Read from the database when scraped: the queues' depths and the events written (the
   * trail's newest position counts every event ever written, by any process).
   */
  watchStore(read: {
    mailQueued(): Promise<number>;
    webhooksPending(): Promise<number>;
    eventsWritten(): Promise<number>;
    unalignedClients(): Promise<number>;
  }): void {
    const gauge = (name: string, help: string, value: () => Promise<number>) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        async collect() {
          // The database away: the gauge keeps its last value, and every other metric is
          // still served (an outage is when /metrics is read most).
          try {
            this.set(await value());
          } catch {}
        },
      });
    gauge('mailcode_mail_queue_depth', 'Code mails queued for delivery', read.mailQueued);
    gauge('mailcode_webhook_queue_depth', 'Webhook deliveries pending', read.webhooksPending);
    gauge(
      'mailcode_events_written',
      'Audit events written so far (the newest position of the trail)',
      read.eventsWritten,
    );
    gauge(
      'mailcode_clients_unaligned',
      'Active clients with a sender of their own whose mail is not DKIM-signed for a domain aligned with it: DMARC fails where the domain enforces it',
      read.unalignedClients,
    );
  }

  /** What the verification service reports (its `metrics` option). */
  verificationReports() {
    return {
      sent: () => this.codesSent.inc(),
      verified: () => this.codesVerified.inc(),
      failed: () => this.codesFailed.inc(),
      locked: () => this.verificationsLocked.inc(),
      limited: (limit: string) => this.rateLimited.inc({ limit }),
      link: (outcome: string) => this.links.inc({ outcome }),
    };
  }

  /** What the mail worker reports: deliveries and their latency, failures, retries, bounces. */
  mailReports() {
    return {
      onDelivered: (seconds: number) => {
        this.mailDelivered.inc();
        this.mailDeliverySeconds.observe(seconds);
      },
      onFailed: () => this.mailFailed.inc(),
      onRetry: () => this.mailRetries.inc(),
      onBounced: (domain: string) => this.mailBounced.inc({ domain }),
    };
  }

  /** What the webhook worker reports: deliveries by outcome, and their latency. */
  webhookReports() {
    return {
      onDelivered: (seconds: number) => {
        this.webhookDeliveries.inc({ outcome: 'delivered' });
        this.webhookLatencySeconds.observe(seconds);
      },
      onRetry: () => this.webhookDeliveries.inc({ outcome: 'retried' }),
      onFailed: () => this.webhookDeliveries.inc({ outcome: 'failed' }),
    };
  }
}
