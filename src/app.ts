// buildApp(config, deps): the whole service as a Fastify instance that never listens,
// so tests build exactly what production runs.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { DestinationStream, Logger } from 'pino';
import { codeSecrets, type Config } from './config.js';
import { createLogger } from './logger.js';
import { MailWorker } from './mail/worker.js';
import { createMailTransport, type MailTransport } from './mail/transport.js';
import { Metrics } from './metrics.js';
import { openapiPath } from './paths.js';
import metricsPlugin from './plugins/metrics.js';
import securityHeadersPlugin, { securityHeaders } from './plugins/security-headers.js';
import wellFormedText from './plugins/well-formed-text.js';
import { clientErrorHandler, frameworkErrors } from './plugins/early-errors.js';
import auth from './plugins/auth.js';
import errors from './plugins/errors.js';
import portalRoutes from './routes/portal.js';
import publicRoutes from './routes/public.js';
import { ajvOptions } from './routes/schemas.js';
import { deriveKeys } from './secrets.js';
import type { Store } from './store/types.js';
import { VerificationService } from './verification/service.js';
import { connectRedis, keyRingFor, openStore } from './wiring.js';
import type { KeyRing } from './assertions/keyring.js';
import { TotpService } from './verification/totp.js';

export { keyRingFor, openStore } from './wiring.js';

export interface AppDeps {
  store?: Store;
  transport?: MailTransport;
  now?: () => number;
  logger?: Logger;
  logStream?: DestinationStream;
  /** Tests that drive the worker by hand (runOnce) turn the background loop off. */
  startWorker?: boolean;
}

export interface MailcodeContext {
  config: Config;
  store: Store;
  keys: KeyRing;
  worker: MailWorker;
  service: VerificationService;
  transport: MailTransport;
  /** Every route registered, as "METHOD /url" (the OpenAPI test holds these to openapi.yaml). */
  routes: string[];
  metrics: Metrics;
}

declare module 'fastify' {
  interface FastifyInstance {
    mailcode: MailcodeContext;
  }
}

export async function buildApp(config: Config, deps: AppDeps = {}): Promise<FastifyInstance> {
  const now = deps.now ?? Date.now;
  const logger = deps.logger ?? createLogger(config.LOG_LEVEL, deps.logStream);
  const redis = await connectRedis(config);
  const store = deps.store ?? (await openStore(config, redis));
  const transport = deps.transport ?? createMailTransport(config);
  const secrets = codeSecrets(config);
  const keys = keyRingFor(store, config, now);
  await keys.init();
  keys.onRefreshError = (error) => logger.error({ err: error }, 'signing keys could not be reloaded; the ones loaded stay in use');
  const outboxKeys = deriveKeys(secrets, 'outbox');
  const metrics = new Metrics();
  const worker = new MailWorker({
    store,
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
  });
  const service = new VerificationService({
    store,
    config,
    keys,
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
    store: store.totp,
    keys,
    secretKeys: deriveKeys(secrets, 'totp-secrets'),
    recoveryKeys: deriveKeys(secrets, 'recovery-codes'),
    maxAttempts: config.MAX_ATTEMPTS,
    assertion: { issuer: config.PUBLIC_URL, ttlSeconds: config.ASSERTION_TTL_SECONDS },
    now,
    logger: logger.child({ component: 'totp' }),
  });

  const headers = securityHeaders();
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // Bounds on what one client can make the server hold: 16 KiB bodies, 10 s to send a
    // request, idle keep-alive connections closed after 5 s.
    bodyLimit: 16 * 1024,
    requestTimeout: 10_000,
    connectionTimeout: 30_000,
    keepAliveTimeout: 5_000,
    requestIdHeader: 'x-request-id',
    // A userRef of 200 characters, percent-encoded (up to 12 characters each), is one path
    // parameter; the schema bounds it, not the router (whose default is 100).
    routerOptions: { maxParamLength: 2_400 },
    ajv: { customOptions: ajvOptions },
    frameworkErrors: frameworkErrors(headers),
    clientErrorHandler: clientErrorHandler(headers),
  });
  const routes: string[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push(`${method} ${route.url}`);
  });
  // The API speaks JSON only; a text/plain body is a 415, not a string to validate.
  app.removeContentTypeParser('text/plain');
  app.decorate('mailcode', { config, store, keys, worker, service, transport, routes, metrics });

  await app.register(errors, { routes });
  await app.register(securityHeadersPlugin, { headers });
  await app.register(wellFormedText);
  await app.register(metricsPlugin, { metrics });
  await app.register(auth, { store });
  await app.register(swagger, { mode: 'static', specification: { path: openapiPath, baseDir: '' } });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  await app.register(publicRoutes, { store, keys, transport, redis });
  await app.register(portalRoutes, {
    service,
    totp,
    requestsPerSecond: config.CLIENT_REQUESTS_PER_SECOND,
    redis: redis ? { client: redis, prefix: config.REDIS_KEY_PREFIX } : undefined,
    onRateLimited: () => metrics.rateLimited.inc({ limit: 'client_requests' }),
  });

  app.addHook('onReady', async () => {
    if (deps.startWorker !== false) worker.start();
  });
  app.addHook('onClose', async () => {
    await worker.stop();
    transport.close();
    await keys.settled();
    if (!deps.store) await store.close();
    await redis?.quit();
  });
  return app;
}
