// The HTTP face of a wired mailcode (main/wiring.ts): a Fastify instance that never
// listens, so tests and the server run the very same app. Read top to bottom, it is the
// table of contents of the API: bounds, errors, headers, auth, docs, then the routes.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { KeyRing } from '../assertions/keyring.js';
import type { MailTransport } from '../mail/transport.js';
import type { MailWorker } from '../mail/worker.js';
import type { Config } from '../shared/config.js';
import type { Metrics } from '../shared/metrics.js';
import type { Store } from '../store/store.js';
import type { EventsService } from '../events/service.js';
import type { WebhookService } from '../webhooks/service.js';
import type { WebhookWorker } from '../webhooks/worker.js';
import type { ExpirySweep } from '../verification/expiry.js';
import type { SuppressionService } from '../suppression/service.js';
import type { TotpService } from '../totp/service.js';
import type { VerificationService } from '../verification/service.js';
import { openapiPath } from '../shared/paths.js';
import auth from './plugins/auth.js';
import { clientErrorHandler, frameworkErrors } from './plugins/early-errors.js';
import errors from './plugins/errors.js';
import metricsPlugin from './plugins/metrics.js';
import securityHeadersPlugin, { securityHeaders } from './plugins/security-headers.js';
import wellFormedText from './plugins/well-formed-text.js';
import portalRoutes from './routes/portal.js';
import publicRoutes from './routes/public.js';
import { ajvOptions } from './schemas/common.js';

/** A wired mailcode (main/wiring.ts makes one): what the HTTP face serves. */
export interface Mailcode {
  config: Config;
  logger: Logger;
  store: Store;
  redis: Redis | undefined;
  keys: KeyRing;
  verification: VerificationService;
  totp: TotpService;
  events: EventsService;
  suppressions: SuppressionService;
  webhooks: WebhookService;
  worker: MailWorker;
  webhookWorker: WebhookWorker;
  expiry: ExpirySweep;
  /** Where the bounce listener listens, when BOUNCE_SMTP_PORT is set and it has started. */
  bounceListenerPort(): number | undefined;
  /** Starts the mail and webhook workers, the expiry sweep and the bounce listener. */
  startBackground(): Promise<void>;
  transport: MailTransport;
  metrics: Metrics;
  /** Stops the worker and closes what the wiring opened. */
  close(): Promise<void>;
}

export interface HttpContext extends Mailcode {
  /** Every route registered, as "METHOD /url" (the OpenAPI test holds these to openapi.yaml). */
  routes: string[];
}

declare module 'fastify' {
  interface FastifyInstance {
    mailcode: HttpContext;
  }
}

export async function buildHttpApp(mailcode: Mailcode, options: { startWorker?: boolean } = {}): Promise<FastifyInstance> {
  const { config, store, keys, transport, redis, metrics } = mailcode;
  const headers = securityHeaders();
  const app = Fastify({
    loggerInstance: mailcode.logger as FastifyBaseLogger,
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
  app.decorate('mailcode', { ...mailcode, routes });

  await app.register(errors, { routes });
  await app.register(securityHeadersPlugin, { headers });
  await app.register(wellFormedText);
  await app.register(metricsPlugin, { metrics });
  await app.register(auth, { clients: store.clients });
  await app.register(swagger, { mode: 'static', specification: { path: openapiPath, baseDir: '' } });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  await app.register(publicRoutes, { ping: () => store.ping(), keys, transport, redis });
  await app.register(portalRoutes, {
    verification: mailcode.verification,
    totp: mailcode.totp,
    events: mailcode.events,
    suppressions: mailcode.suppressions,
    requestsPerSecond: config.CLIENT_REQUESTS_PER_SECOND,
    redis: redis ? { client: redis, prefix: config.REDIS_KEY_PREFIX } : undefined,
    onRateLimited: () => metrics.rateLimited.inc({ limit: 'client_requests' }),
  });

  app.addHook('onReady', async () => {
    if (options.startWorker !== false) await mailcode.startBackground();
  });
  app.addHook('onClose', () => mailcode.close());
  return app;
}
