// The one composition root: configuration → store, keys, features, background jobs. Each
// feature builds itself from its own folder (verification/wiring.ts, totp/wiring.ts,
// mail/wiring.ts, webhooks/wiring.ts, console/wiring.ts …); this file only hands them what
// they need of each other. The server, the CLI, the tests and the benchmark build the
// service through here; the HTTP app only receives the services this made, never the store.
import type { DestinationStream, Logger } from 'pino';
import type { ConsoleServices } from '../console/services.js';
import { wireConsole } from '../console/wiring.js';
import type { HttpServices } from '../http/app.js';
import { resolveLocale } from '../mail/render.js';
import { createMailTransport, type MailTransport } from '../mail/transport.js';
import type { MailWorker } from '../mail/worker.js';
import { wireMail } from '../mail/wiring.js';
import { PeopleService } from '../people/service.js';
import type { RecoveryService } from '../recovery/service.js';
import { recoveryJob, wireRecovery } from '../recovery/wiring.js';
import type { TrustedBrowserService } from '../trusted-browsers/service.js';
import { wireTrustedBrowsers } from '../trusted-browsers/wiring.js';
import type { PasskeyService } from '../passkeys/service.js';
import { passkeyChallengeJob, wirePasskeys } from '../passkeys/wiring.js';
import { byMailcode, type RequestContext } from '../events/model.js';
import type { Client } from '../clients/model.js';
import { purgeJob } from '../retention/purge-job.js';
import { Background, failureBackoffMs, type JobReports } from '../shared/background.js';
import { codeSecrets, type Config } from '../shared/config.js';
import { keptFor } from '../shared/kept.js';
import { deriveKeySet } from '../shared/key-set.js';
import { createLogger } from '../shared/logger.js';
import { Metrics } from '../shared/metrics.js';
import { outageOf } from '../shared/outage.js';
import type { Store } from '../store/store.js';
import type { TotpService } from '../totp/service.js';
import { wireTotp } from '../totp/wiring.js';
import { ExpirySweep } from '../verification/expiry.js';
import { dayMs } from '../verification/limits.js';
import { wireVerification } from '../verification/wiring.js';
import type { WebhookWorker } from '../webhooks/worker.js';
import { webhookSetup, wireWebhookWorker } from '../webhooks/wiring.js';
import { resolverLookup } from './dns-lookup.js';
import { connectRedis, keyRingFor, openStore } from './open-store.js';
import { type OperatorServices, operatorServices } from './operator-services.js';

export { type OperatorServices, openOperator, operatorServices } from './operator-services.js';
export { sendLimits } from '../verification/wiring.js';

/** A wired mailcode: the HTTP app's services, and what runs and is tested beside them. */
export interface Mailcode extends HttpServices, OperatorServices {
  /** The tests' and the benchmark's way in; HTTP is never handed it. */
  store: Store;
  transport: MailTransport;
  worker: MailWorker;
  webhookWorker: WebhookWorker;
  expiry: ExpirySweep;
  background: Background;
  console: ConsoleServices;
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

export async function wire(config: Config, deps: WiringDeps = {}): Promise<Mailcode> {
  const now = deps.now ?? Date.now;
  const logger = deps.logger ?? createLogger(config.LOG_LEVEL, deps.logStream);
  const redis = await connectRedis(config, logger);
  const store = deps.store ?? (await openStore(config, redis));
  const transport = deps.transport ?? createMailTransport(config);
  const keySet = deriveKeySet(codeSecrets(config));
  const keys = keyRingFor(store.signingKeys, config, now);
  await keys.init();
  keys.onRefreshError = (error) =>
    logger.error({ err: error }, 'signing keys could not be reloaded; the ones loaded stay in use');
  const assertion = { issuer: config.PUBLIC_URL, ttlSeconds: config.ASSERTION_TTL_SECONDS };
  const metrics = new Metrics();
  const operator = operatorServices(config, store, keys, now, keySet);
  const clientNames = async () => new Map((await operator.clients.list()).map((c) => [c.id, c.name]));

  const mail = wireMail({
    config,
    outbox: store.outbox,
    transport,
    keySet,
    metrics,
    now,
    logger,
    signerFor: (clientId, from) => operator.dkim.signerFor(clientId, from),
    smtpUrlOf: (clientId) => operator.relays.smtpUrl(clientId),
    clientNames,
    // The company's server says the mailbox is gone: no browser stands in for those who proved it.
    onAddressGone: async (clientId, userRefs) => {
      const client = await store.clients.get(clientId);
      if (!client) return;
      for (const userRef of userRefs) await trustedBrowsers.endAll(client, userRef, 'address_gone', byMailcode);
    },
  });
  const webhooks = wireWebhookWorker({
    config,
    setup: webhookSetup(config, keySet),
    webhooks: store.webhooks,
    metrics,
    now,
    logger,
  });
  const verification = wireVerification({
    config,
    verifications: store.verifications,
    keys,
    keySet,
    assertion,
    metrics,
    now,
    logger,
    resolveLocale,
    onMailQueued: () => mail.worker.nudge(),
  });
  // Where each feature's notices go (the address people/ knows) and who is nudged, the same for all.
  const notices = {
    noticeAddress: (clientId: string, userRef: string) => people.noticeAddress(clientId, userRef),
    resolveLocale,
    onNoticeQueued: () => mail.worker.nudge(),
  };
  // A person's factors changed (a reset, a recovery, a passkey removed): no browser stands in any more.
  const endTrustedBrowsers = async (client: Client, userRef: string, context: RequestContext) => {
    await trustedBrowsers.endAll(client, userRef, 'factors_changed', context);
  };
  // A sign-in with a second factor shows the person still has it: a recovery by email under way ends.
  const cancelOpenRecovery = (client: Client, userRef: string, context: RequestContext) =>
    recovery.signedIn(client, userRef, context);
  // The authenticator tells the person of a reset at the address people/ knows; people/
  // reads the authenticator's status: each is handed the other, asked only when used.
  const totp: TotpService = wireTotp({
    config,
    factors: store.totpFactors,
    keys,
    keySet,
    assertion,
    now,
    logger,
    ...notices,
    signedIn: cancelOpenRecovery,
    factorsChanged: endTrustedBrowsers,
  });
  const people: PeopleService = new PeopleService(
    store.people,
    totp,
    {
      pending: (client, userRef) => recovery.pending(client, userRef),
    },
    {
      list: (client, userRef) => passkeys.list(client, userRef),
    },
  );
  const recovery: RecoveryService = wireRecovery({
    config,
    recoveries: store.recoveries,
    keySet,
    verification,
    // A second factor to recover from: the app, or a passkey (both go when the recovery completes).
    hasAuthenticator: async (clientId, userRef) =>
      (await store.totpFactors.active(clientId, userRef)) !== undefined ||
      (await store.passkeys.list(clientId, userRef)).length > 0,
    ...notices,
    now,
    logger,
    factorsChanged: endTrustedBrowsers,
  });
  const trustedBrowsers: TrustedBrowserService = wireTrustedBrowsers({
    config,
    browsers: store.trustedBrowsers,
    keys,
    keySet,
    assertion,
    lastEmailProof: async (clientId, userRef) => (await store.people.addresses(clientId, userRef))[0]?.provenAt,
    passkeyRequired: async (clientId) => (await operator.passkeySettings.get(clientId))?.required === true,
    ...notices,
    now,
    logger,
  });
  const passkeys: PasskeyService = wirePasskeys({
    config,
    passkeys: store.passkeys,
    settings: operator.passkeySettings,
    keys,
    keySet,
    assertion,
    ...notices,
    signedIn: cancelOpenRecovery,
    factorsChanged: endTrustedBrowsers,
    now,
    logger,
  });
  const consoleServices = wireConsole({
    config,
    redis,
    keySet,
    now,
    logger,
    operator,
    ports: { operators: store.operators, events: store.events },
    verification,
    totp,
    people,
    recovery,
    trustedBrowsers,
    passkeys,
    relayHealth: mail.relayHealth,
    dnsLookup: resolverLookup(config.DNS_SERVERS),
  });

  const expiry = new ExpirySweep(store.verifications, now, config.EVENT_RETENTION_DAYS * dayMs);
  const background = new Background(
    [
      mail.worker,
      webhooks.worker,
      expiry,
      purgeJob(operator.purge, logger),
      recoveryJob(recovery, (id) => store.clients.get(id)),
      passkeyChallengeJob(store.passkeys, now),
    ],
    backgroundReports(logger),
  );
  // Which clients' mail is not aligned, read at most once a minute (readiness is polled often).
  const unaligned = keptFor(60_000, now, async () => operator.dkim.unaligned(await operator.clients.list()));
  metrics.watchStore({
    mailQueued: () => store.outbox.countQueued(),
    webhooksPending: () => store.webhooks.countPending(),
    eventsWritten: () => store.events.lastSeq(),
    unalignedClients: async () => (await unaligned()).length,
  });

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
    recovery,
    trustedBrowsers,
    passkeys,
    ping: () => store.ping(),
    mailWarnings: async () => [...(await unaligned()), ...(await mail.relayWarnings())],
    webhookWorker: webhooks.worker,
    expiry,
    worker: mail.worker,
    background,
    transport,
    metrics,
    bounceListenerPort: mail.bounceListenerPort,
    async startBackground() {
      background.start();
      await mail.startBounceListener();
    },
    async close() {
      await mail.stopBounceListener();
      // An operator's code begun after the answer is queued before the mail worker stops.
      await consoleServices.signIn.settled();
      await background.stop();
      webhooks.close();
      mail.close();
      await keys.settled();
      if (!deps.store) await store.close();
      await redis?.quit().catch(() => redis.disconnect());
    },
  };
}
