// The one composition root: configuration → store, keys, services, mail worker, metrics.
// The server, the tests and the benchmark build the service through here; the HTTP app
// only receives what this made.
import type { DestinationStream, Logger } from 'pino';
import type { Mailcode } from '../http/app.js';
import { MailWorker } from '../mail/worker.js';
import { resolveLocale } from '../mail/render.js';
import { createMailTransport, type MailTransport } from '../mail/transport.js';
import { codeSecrets, type Config } from '../shared/config.js';
import { createLogger } from '../shared/logger.js';
import { Metrics } from '../shared/metrics.js';
import { deriveKeys } from '../shared/secrets.js';
import type { Store } from '../store/store.js';
import { TotpService } from '../totp/service.js';
import type { SendLimits } from '../verification/model.js';
import { dayMs } from '../verification/limits.js';
import { VerificationService } from '../verification/service.js';
import { EventsService } from '../events/service.js';
import { SuppressionService } from '../suppression/service.js';
import { connectRedis, keyRingFor, openStore } from './open-store.js';
import { WebhookWorker } from '../webhooks/worker.js';
import { WebhookService } from '../webhooks/service.js';
import { postWebhook, webhookAgents } from '../webhooks/sender.js';
import { webhookPolicy } from '../webhooks/url-policy.js';
import { ExpirySweep } from '../verification/expiry.js';
import { returnPath } from '../mail/verp.js';

export type { Mailcode } from '../http/app.js';

export interface WiringDeps {
  /** A store the caller owns (and closes); else the configured database is opened. */
  store?: Store;
  transport?: MailTransport;
  now?: () => number;
  logger?: Logger;
  logStream?: DestinationStream;
}

export function sendLimits(config: Config): SendLimits {
  return {
    codeTtlMs: config.CODE_TTL_SECONDS * 1000,
    cooldownMs: config.RESEND_COOLDOWN_SECONDS * 1000,
    maxAttempts: config.MAX_ATTEMPTS,
    perEmailHour: config.SENDS_PER_EMAIL_HOUR,
    perEmailDay: config.SENDS_PER_EMAIL_DAY,
    perIpHour: config.SENDS_PER_IP_HOUR,
    perDomainHour: config.DOMAIN_MAILS_PER_HOUR,
    globalPerMinute: config.GLOBAL_MAILS_PER_MINUTE,
    wrongCodesPerEmailHour: config.WRONG_CODES_PER_EMAIL_HOUR,
    codesKept: 3,
  };
}

export async function wire(config: Config, deps: WiringDeps = {}): Promise<Mailcode> {
  const now = deps.now ?? Date.now;
  const logger = deps.logger ?? createLogger(config.LOG_LEVEL, deps.logStream);
  const redis = await connectRedis(config, logger);
  const store = deps.store ?? (await openStore(config, redis));
  const transport = deps.transport ?? createMailTransport(config);
  const secrets = codeSecrets(config);
  const keys = keyRingFor(store.signingKeys, config, now);
  await keys.init();
  keys.onRefreshError = (error) => logger.error({ err: error }, 'signing keys could not be reloaded; the ones loaded stay in use');
  const outboxKeys = deriveKeys(secrets, 'outbox');
  const assertion = { issuer: config.PUBLIC_URL, ttlSeconds: config.ASSERTION_TTL_SECONDS };
  const metrics = new Metrics();
  // Per-mail return paths (VERP) when bounces are to come back to mailcode.
  const verpKeys = deriveKeys(secrets, 'verp');
  const bounceDomain = config.BOUNCE_DOMAIN;
  const worker = new MailWorker({
    returnPathFor: bounceDomain ? (outboxId) => returnPath(verpKeys[0]!, bounceDomain, outboxId) : undefined,
    outbox: store.outbox,
    transport,
    outboxKeys,
    logger: logger.child({ component: 'mail' }),
    now,
    leaseMs: config.MAIL_LEASE_SECONDS * 1000,
    onDelivered: (seconds) => {
      metrics.mailDelivered.inc();
      metrics.mailDeliverySeconds.observe(seconds);
    },
    onFailed: () => metrics.mailFailed.inc(),
    onRetry: () => metrics.mailRetries.inc(),
    onBounced: (domain) => metrics.mailBounced.inc({ domain }),
  });
  metrics.watchStore({ mailQueued: () => store.outbox.countQueued(), webhooksPending: () => store.webhooks.countPending(), eventsWritten: () => store.events.lastSeq() });
  const webhookKeys = deriveKeys(secrets, 'webhook-secrets');
  const policy = webhookPolicy(config);
  const webhookConnections = webhookAgents(policy);
  const webhookWorker = new WebhookWorker({
    webhooks: store.webhooks,
    post: (url, headers, body) => postWebhook(url, headers, body, { policy, agents: webhookConnections }),
    secretKeys: webhookKeys,
    logger: logger.child({ component: 'webhooks' }),
    now,
    // Longer than a delivery can take (5 s timeout), so a live process never takes its own
    // delivery in flight again; a dead one's deliveries come back after it.
    leaseMs: Math.max(config.MAIL_LEASE_SECONDS * 1000, 6_000),
    onDelivered: (seconds) => {
      metrics.webhookDeliveries.inc({ outcome: 'delivered' });
      metrics.webhookLatencySeconds.observe(seconds);
    },
    onRetry: () => metrics.webhookDeliveries.inc({ outcome: 'retried' }),
    onFailed: () => metrics.webhookDeliveries.inc({ outcome: 'failed' }),
  });
  const expiry = new ExpirySweep(
    store.verifications,
    now,
    (error) => logger.error({ err: error }, 'expired verifications could not be marked; tried again in a second'),
    config.EVENT_RETENTION_DAYS * dayMs,
  );
  let bounceListener: { port: number; close(): Promise<void> } | undefined;
  const verification = new VerificationService({
    verifications: store.verifications,
    keys,
    limits: sendLimits(config),
    assertion,
    mailFrom: config.MAIL_FROM,
    resolveLocale,
    codeKeys: deriveKeys(secrets, 'codes'),
    outboxKeys,
    now,
    logger: logger.child({ component: 'verification' }),
    onMailQueued: () => worker.nudge(),
    events: {
      sent: () => metrics.codesSent.inc(),
      verified: () => metrics.codesVerified.inc(),
      failed: () => metrics.codesFailed.inc(),
      locked: () => metrics.verificationsLocked.inc(),
      limited: (limit) => metrics.rateLimited.inc({ limit }),
    },
  });
  const totp = new TotpService({
    factors: store.totpFactors,
    keys,
    secretKeys: deriveKeys(secrets, 'totp-secrets'),
    recoveryKeys: deriveKeys(secrets, 'recovery-codes'),
    maxAttempts: config.MAX_ATTEMPTS,
    assertion,
    now,
    logger: logger.child({ component: 'totp' }),
  });
  return {
    config,
    logger,
    store,
    redis,
    keys,
    verification,
    totp,
    events: new EventsService(store.events),
    webhooks: new WebhookService(store.webhooks, { secretKeys: webhookKeys, policy, now }),
    webhookWorker,
    expiry,
    suppressions: new SuppressionService(store.suppressions, now),
    worker,
    transport,
    metrics,
    bounceListenerPort: () => bounceListener?.port,
    /** The work beside the requests: mail, webhooks, expiry, and the bounce listener when configured. */
    async startBackground() {
      worker.start();
      webhookWorker.start();
      expiry.start();
      if (config.BOUNCE_SMTP_PORT !== undefined && config.BOUNCE_DOMAIN) {
        // Loaded only when used: smtp-server and mailparser hold 11 MB of heap, which a
        // server with a 128 MB heap cap otherwise pays for in garbage collection.
        const { startBounceListener } = await import('../mail/bounce-listener.js');
        bounceListener = await startBounceListener({
          host: config.BOUNCE_SMTP_HOST,
          port: config.BOUNCE_SMTP_PORT,
          domain: config.BOUNCE_DOMAIN,
          keys: verpKeys,
          outbox: store.outbox,
          logger: logger.child({ component: 'bounces' }),
          now,
          onBounced: (domain) => metrics.mailBounced.inc({ domain }),
          onReport: (outcome) => metrics.bounceReports.inc({ outcome }),
        });
      }
    },
    async close() {
      await bounceListener?.close();
      await worker.stop();
      await webhookWorker.stop();
      await expiry.stop();
      webhookConnections.http.destroy();
      webhookConnections.https.destroy();
      transport.close();
      await keys.settled();
      if (!deps.store) await store.close();
      await redis?.quit();
    },
  };
}
