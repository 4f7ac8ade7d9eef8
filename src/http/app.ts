// The HTTP face of a wired mailcode (main/wiring.ts): a Fastify instance that never
// listens, so tests and the server run the very same app. Read top to bottom, it is the
// table of contents of the API: bounds, errors, headers, auth, docs, then the routes.
import type { PeopleService } from '../people/service.js';
import type { RecoveryService } from '../recovery/service.js';
import type { TrustedBrowserService } from '../trusted-browsers/service.js';
import type { PasskeyService } from '../passkeys/service.js';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { KeyRing } from '../assertions/keyring.js';
import type { ClientsService } from '../clients/service.js';
import type { MailTransport } from '../mail/transport.js';
import type { Config } from '../shared/config.js';
import type { Metrics } from '../shared/metrics.js';
import type { EventsService } from '../events/service.js';
import type { SuppressionService } from '../suppression/service.js';
import type { TotpService } from '../totp/service.js';
import type { VerificationService } from '../verification/service.js';
import auth from './plugins/auth.js';
import { clientErrorHandler, frameworkErrors } from './plugins/early-errors.js';
import errors from './plugins/errors.js';
import metricsPlugin from './plugins/metrics.js';
import securityHeadersPlugin, { securityHeaders } from './plugins/security-headers.js';
import wellFormedText from './plugins/well-formed-text.js';
import clientApi from './routes/client-api.js';
import docsRoutes from './routes/docs.js';
import publicRoutes from './routes/public.js';
import { ajvOptions } from './schemas/common.js';
import consolePlugin from '../console/plugin.js';
import type { ConsoleServices } from '../console/services.js';

/** What the HTTP face serves (main/wiring.ts makes it): services, never the store. */
export interface HttpServices {
  config: Config;
  logger: Logger;
  /** Set with REDIS_URL: the per-client request limiter shares it. */
  redis: Redis | undefined;
  keys: KeyRing;
  clients: ClientsService;
  verification: VerificationService;
  totp: TotpService;
  people: PeopleService;
  recovery: RecoveryService;
  trustedBrowsers: TrustedBrowserService;
  passkeys: PasskeyService;
  events: EventsService;
  suppressions: SuppressionService;
  /** Readiness: whether the database answers, and whether mail can leave. */
  ping(): Promise<boolean>;
  /** What readiness reports without failing: clients whose mail is not DKIM-aligned with its From. */
  mailWarnings(): Promise<string[]>;
  transport: Pick<MailTransport, 'kind' | 'ready'>;
  metrics: Metrics;
  /** The support console's services; without them there is no console. */
  console?: ConsoleServices;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered, as "METHOD /url" (the OpenAPI test holds these to openapi.yaml). */
    registeredRoutes: string[];
  }
}

export async function buildHttpApp(services: HttpServices): Promise<FastifyInstance> {
  const { config, keys, transport, redis, metrics } = services;
  const headers = securityHeaders();
  const app = Fastify({
    loggerInstance: services.logger as FastifyBaseLogger,
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
  app.decorate('registeredRoutes', routes);

  await app.register(errors, { routes });
  await app.register(securityHeadersPlugin, { headers });
  await app.register(wellFormedText);
  await app.register(metricsPlugin, { metrics });
  await app.register(auth, { clients: services.clients });
  await app.register(docsRoutes);
  await app.register(publicRoutes, {
    ping: services.ping,
    mailWarnings: services.mailWarnings,
    keys,
    transport,
    redis,
  });
  await app.register(clientApi, {
    verification: services.verification,
    totp: services.totp,
    events: services.events,
    suppressions: services.suppressions,
    people: services.people,
    recovery: services.recovery,
    trustedBrowsers: services.trustedBrowsers,
    passkeys: services.passkeys,
    requestsPerSecond: config.CLIENT_REQUESTS_PER_SECOND,
    redis: redis ? { client: redis, prefix: config.REDIS_KEY_PREFIX } : undefined,
    onRateLimited: () => metrics.rateLimited.inc({ limit: 'client_requests' }),
  });
  // The support console: its own room, with its own session, CSRF, roles and pages.
  if (services.console) await app.register(consolePlugin, { prefix: '/console', ...services.console });
  return app;
}
