// The one composition root: configuration → store, keys, services, background jobs,
// metrics. The server, the CLI, the tests and the benchmark build the service through
// here; the HTTP app only receives the services this made, never the store.
import { OperatorsService } from '../operators/service.js';
import { ConsoleSessions } from '../operators/sessions.js';
import { ConsoleSignIn } from '../operators/sign-in.js';
import { SupportService } from '../operators/support.js';
import type { ConsoleServices } from '../console/services.js';
import { resolverLookup } from './dns-lookup.js';
import type { DestinationStream, Logger } from 'pino';
import type { KeyRing } from '../assertions/keyring.js';
import { ClientsService } from '../clients/service.js';
import type { HttpServices } from '../http/app.js';
import { purgeExpired } from '../retention/purge.js';
import type { PurgeResult } from '../retention/ports.js';
import { Background, failureBackoffMs, type JobReports } from '../shared/background.js';
import { outageOf } from '../shared/outage.js';
import { MailWorker } from '../mail/worker.js';
import { resolveLocale, supportedLocales } from '../mail/render.js';
import { createMailTransport, serverDkim, smtpTransport, type MailTransport } from '../mail/transport.js';
import { codeSecrets, type Config } from '../shared/config.js';
import { createLogger } from '../shared/logger.js';
import { Metrics } from '../shared/metrics.js';
import { deriveKeys } from '../shared/secrets.js';
import type { Store } from '../store/store.js';
import { TotpService } from '../totp/service.js';
import { PeopleService } from '../people/service.js';
import type { SendLimits } from '../verification/model.js';
import { dayMs } from '../verification/limits.js';
import { VerificationService } from '../verification/service.js';
import { EventsService } from '../events/service.js';
import { SuppressionService } from '../suppression/service.js';
import { connectRedis, keyRingFor, openStore } from './open-store.js';
import { WebhookWorker } from '../webhooks/worker.js';
import { WebhookService } from '../webhooks/service.js';
import { DkimService } from '../clients/dkim-service.js';
import { RelayService } from '../clients/relay-service.js';
import { ClientTransports } from '../mail/client-transports.js';
import { keptFor, keptForEach } from '../shared/kept.js';
import { postWebhook, webhookAgents } from '../webhooks/sender.js';
import { webhookPolicy, type TargetPolicy } from '../webhooks/url-policy.js';
import { ExpirySweep } from '../verification/expiry.js';
import { returnPath } from '../mail/verp.js';
import { describeRelayRefusal, RelayHealth } from '../mail/relay-health.js';

/** What an operator does (the CLI, later the console), over one store. */
export interface OperatorServices {
  clients: ClientsService;
  /** Clients' own SMTP relays (`mailcode clients update --smtp-url`). */
  relays: RelayService;
  events: EventsService;
  suppressions: SuppressionService;
  webhooks: WebhookService;
  /** Clients' own DKIM keys (`mailcode clients dkim`, `clients dns`). */
  dkim: DkimService;
  /** The people who run mailcode (`mailcode operators`; the console signs them in). */
  operators: OperatorsService;
  /** The assertion signing keys (`mailcode keys rotate`). */
  keys: KeyRing;
  /** The console's server-side sessions (the console signs operators in with them). */
  consoleSessions: ConsoleSessions;
  /** Deletes what is past its retention, and console sessions that ended (the hourly job, `mailcode purge`). */
  purge(): Promise<PurgeResult & { consoleSessions: number }>;
}

/** A wired mailcode: the HTTP app's services, and what runs and is tested beside them. */
export interface Mailcode extends HttpServices, OperatorServices {
  /** The tests' and the benchmark's way in; HTTP is never handed it. */
  store: Store;
  transport: MailTransport;
  worker: MailWorker;
  webhookWorker: WebhookWorker;
  expiry: ExpirySweep;
  background: Background;
  /** Where the bounce listener listens, when BOUNCE_SMTP_PORT is set and it has started. */
  bounceListenerPort(): number | undefined;
  /** Starts every background job, and the bounce listener when configured. */
  startBackground(): Promise<void>;
  /** Stops the background jobs (mail in flight drains) and closes what the wiring opened. */
  close(): Promise<void>;
}

export interface WiringDeps {
  /** A store the caller owns (and closes); else the configured database is opened. */
  store?: Store;
  transport?: MailTransport;
  now?: () => number;
  logger?: Logger;
  logStream?: DestinationStream;
}

/**
 * A background job's failures in the log: an outage (the database or Redis away) once, when
 * it starts and when it ends; any other error at every pass, with its stack — it is a bug.
 */
export function backgroundReports(logger: Logger): JobReports {
  return {
    failed(job, error, failures) {
      const outage = outageOf(error);
      if (!outage)
        logger.error(
          { err: error, job: job.name, failures },
          `background job "${job.name}" failed a pass; it tries again in ${failureBackoffMs(failures) / 1000} s`,
        );
      else if (failures === 1)
        logger.warn(
          { job: job.name, outage },
          `background job "${job.name}" waits: the ${outage.dependency} is away; it tries again every few seconds`,
        );
    },
    recovered(job, failures) {
      logger.info(
        { job: job.name, failures },
        `background job "${job.name}" runs again after ${failures} failed passes`,
      );
    },
  };
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
    unknownLinksPerIpHour: config.UNKNOWN_LINKS_PER_IP_HOUR,
  };
}

/** How endpoints' secrets are sealed and which targets are allowed: the worker needs them too. */
interface WebhookSetup {
  secretKeys: Buffer[];
  policy: TargetPolicy;
}

const webhookSetup = (config: Config): WebhookSetup => ({
  secretKeys: deriveKeys(codeSecrets(config), 'webhook-secrets'),
  policy: webhookPolicy(config),
});

/** The operator's services over `store`, with the signing keys already loaded. */
export function operatorServices(
  config: Config,
  store: Store,
  keys: KeyRing,
  now: () => number = Date.now,
  webhooks: WebhookSetup = webhookSetup(config),
): OperatorServices {
  const consoleSessions = new ConsoleSessions(store.consoleSessions, store.operators, { now });
  return {
    clients: new ClientsService(store.clients, now, {
      production: config.NODE_ENV === 'production',
      locales: supportedLocales,
    }),
    relays: new RelayService(store.clientRelays, store.clients, {
      sealKeys: deriveKeys(codeSecrets(config), 'smtp-relays'),
      now,
    }),
    events: new EventsService(store.events),
    suppressions: new SuppressionService(store.suppressions, now),
    webhooks: new WebhookService(store.webhooks, { ...webhooks, now }),
    dkim: new DkimService(store.dkimKeys, store.clients, {
      sealKeys: deriveKeys(codeSecrets(config), 'dkim-keys'),
      now,
      server:
        config.DKIM_DOMAIN && config.DKIM_SELECTOR
          ? { domain: config.DKIM_DOMAIN.toLowerCase(), selector: config.DKIM_SELECTOR }
          : undefined,
      defaultFrom: config.MAIL_FROM,
      spf: config.MAIL_SPF,
      bounceDomain: config.BOUNCE_DOMAIN?.toLowerCase(),
      bounceHost: new URL(config.PUBLIC_URL).hostname,
    }),
    operators: new OperatorsService(store.operators, now, consoleSessions),
    consoleSessions,
    keys,
    purge: async () => ({
      ...(await purgeExpired(store.maintenance, keys, config.RETENTION_DAYS, now(), config.EVENT_RETENTION_DAYS)),
      consoleSessions: await consoleSessions.removeEnded(),
    }),
  };
}

/** The CLI's way in: the operator's services on the configured database (migrated), and how to close it. */
export async function openOperator(config: Config): Promise<OperatorServices & { close(): Promise<void> }> {
  const store = await openStore(config);
  try {
    const keys = keyRingFor(store.signingKeys, config);
    await keys.init();
    return { ...operatorServices(config, store, keys), close: () => keys.settled().then(() => store.close()) };
  } catch (error) {
    await store.close();
    throw error;
  }
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
  keys.onRefreshError = (error) =>
    logger.error({ err: error }, 'signing keys could not be reloaded; the ones loaded stay in use');
  const outboxKeys = deriveKeys(secrets, 'outbox');
  const assertion = { issuer: config.PUBLIC_URL, ttlSeconds: config.ASSERTION_TTL_SECONDS };
  const metrics = new Metrics();
  // Per-mail return paths (VERP) when bounces are to come back to mailcode.
  const verpKeys = deriveKeys(secrets, 'verp');
  const bounceDomain = config.BOUNCE_DOMAIN;
  const { secretKeys: webhookKeys, policy } = webhookSetup(config);
  const operator = operatorServices(config, store, keys, now, { secretKeys: webhookKeys, policy });
  const signers = keptForEach(
    1_000,
    now,
    ({ clientId, from }: { clientId: string; from: string }) => operator.dkim.signerFor(clientId, from),
    ({ clientId, from }) => `${clientId} ${from}`,
  );
  const relayUrls = keptForEach(
    1_000,
    now,
    (clientId: string) => operator.relays.smtpUrl(clientId),
    (clientId) => clientId,
  );
  const clientTransports = new ClientTransports(relayUrls, (url) => smtpTransport(url, serverDkim(config)));
  const relayHealth = new RelayHealth((relay) => metrics.relayRefusals.inc({ relay }));
  const worker = new MailWorker({
    relayHealth,
    // Asked with every mail: a client's key and relay are read at most once a second.
    signerFor: (clientId, from) => signers({ clientId, from }),
    transportFor: (clientId) => clientTransports.transportFor(clientId),
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
  // Which clients' mail is not aligned, read at most once a minute (readiness is polled often).
  const unaligned = keptFor(60_000, now, async () => operator.dkim.unaligned(await operator.clients.list()));
  metrics.watchStore({
    mailQueued: () => store.outbox.countQueued(),
    webhooksPending: () => store.webhooks.countPending(),
    eventsWritten: () => store.events.lastSeq(),
    unalignedClients: async () => (await unaligned()).length,
  });
  /** Relays refusing mailcode now, named with their clients (read only when there are some). */
  const relayWarnings = async () => {
    const refusals = relayHealth.current();
    if (refusals.length === 0) return [];
    const names = new Map((await operator.clients.list()).map((c) => [c.id, c.name]));
    return refusals.map((r) => describeRelayRefusal(r, r.clientId ? names.get(r.clientId) : undefined));
  };
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
  const expiry = new ExpirySweep(store.verifications, now, config.EVENT_RETENTION_DAYS * dayMs);
  const hourlyPurge = {
    name: 'purge',
    idleMs: 3_600_000,
    firstPassAfterMs: 3_600_000,
    async pass() {
      logger.info(await operator.purge(), 'purged expired rows');
      return false;
    },
  };
  const background = new Background([worker, webhookWorker, expiry, hourlyPurge], backgroundReports(logger));
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
    metrics: {
      sent: () => metrics.codesSent.inc(),
      verified: () => metrics.codesVerified.inc(),
      failed: () => metrics.codesFailed.inc(),
      locked: () => metrics.verificationsLocked.inc(),
      limited: (limit) => metrics.rateLimited.inc({ limit }),
      link: (outcome) => metrics.links.inc({ outcome }),
    },
  });
  const totp: TotpService = new TotpService({
    factors: store.totpFactors,
    keys,
    secretKeys: deriveKeys(secrets, 'totp-secrets'),
    recoveryKeys: deriveKeys(secrets, 'recovery-codes'),
    maxAttempts: config.MAX_ATTEMPTS,
    assertion,
    now,
    logger: logger.child({ component: 'totp' }),
    notices: {
      // The people service is made below, from this one: asked only when a reset runs.
      addressOf: (clientId, userRef) => people.noticeAddress(clientId, userRef),
      outboxKeys,
      mailFrom: config.MAIL_FROM,
      resolveLocale,
    },
  });
  const people: PeopleService = new PeopleService(store.people, totp);
  const { consoleSessions } = operator;
  const consoleServices: ConsoleServices = {
    sessions: consoleSessions,
    signIn: new ConsoleSignIn({
      operators: store.operators,
      sessions: consoleSessions,
      verification,
      totp,
      serviceClient: () => operator.clients.serviceClient(),
      events: store.events,
      now,
      failedAfterAnswer: (error) =>
        logger.error({ err: error }, "an operator's sign-in code could not be sent; they see no code and start again"),
    }),
    support: new SupportService({
      clients: operator.clients,
      verification,
      suppressions: operator.suppressions,
      totp,
      events: operator.events,
      people,
    }),
    operators: operator.operators,
    clients: operator.clients,
    webhooks: operator.webhooks,
    dkim: operator.dkim,
    events: operator.events,
    dnsLookup: resolverLookup(config.DNS_SERVERS),
    now,
    publicUrl: config.PUBLIC_URL,
    relayHealth,
    csrfKey: deriveKeys(secrets, 'console-csrf')[0]!,
    signInLimiter: {
      perMinute: config.CONSOLE_SIGN_INS_PER_MINUTE,
      redis: redis ? { client: redis, prefix: config.REDIS_KEY_PREFIX } : undefined,
    },
  };
  return {
    ...operator,
    console: consoleServices,
    config,
    logger,
    store,
    redis,
    verification,
    totp,
    people,
    ping: () => store.ping(),
    mailWarnings: async () => [...(await unaligned()), ...(await relayWarnings())],
    webhookWorker,
    expiry,
    worker,
    background,
    transport,
    metrics,
    bounceListenerPort: () => bounceListener?.port,
    async startBackground() {
      background.start();
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
      // An operator's code begun after the answer is queued before the mail worker stops.
      await consoleServices.signIn.settled();
      await background.stop();
      webhookConnections.http.destroy();
      webhookConnections.https.destroy();
      transport.close();
      clientTransports.close();
      await keys.settled();
      if (!deps.store) await store.close();
      await redis?.quit().catch(() => redis.disconnect());
    },
  };
}
