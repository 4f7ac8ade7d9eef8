// Routes without an API key: where to go, health, readiness and the JWKS.
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { KeyRing } from '../../assertions/keyring.js';
import type { MailTransport } from '../../mail/transport.js';
import { operation, routeOf } from '../operation.js';
import { problems } from '../problems.js';
import { Health, Jwks, Readiness, ServiceIndex } from '../schemas/public.js';

export interface PublicRoutesOptions {
  /** Whether the database answers. */
  ping(): Promise<boolean>;
  /** Said beside "ready", without failing it. */
  mailWarnings(): Promise<string[]>;
  keys: KeyRing;
  transport: Pick<MailTransport, 'kind' | 'ready'>;
  /** Set with REDIS_URL: the shared limit counters live there, so sends need it. */
  redis?: Redis;
}

export const serviceIndex = operation({
  method: 'GET',
  url: '/',
  schema: {},
  operationId: 'index',
  summary: 'Where to go from here (the docs, this document, health)',
  responses: {
    200: {
      description: 'Links to `/docs`, `/openapi.yaml`, `/healthz` and the JWKS (JSON; HTML for a browser).',
      content: { 'application/json': ServiceIndex, 'text/html': { type: 'string' } },
    },
  },
  open: true,
});

export const getJwks = operation({
  method: 'GET',
  url: '/.well-known/jwks.json',
  schema: { response: { 200: Jwks } },
  operationId: 'getJwks',
  summary: 'Public keys that sign assertions',
  responses: { 200: 'A JWK Set (Ed25519, `alg` EdDSA).' },
  open: true,
});

export const healthz = operation({
  method: 'GET',
  url: '/healthz',
  schema: { response: { 200: Health } },
  operationId: 'healthz',
  summary: 'The process is alive',
  responses: { 200: 'Alive.' },
  open: true,
});

export const readyz = operation({
  method: 'GET',
  url: '/readyz',
  schema: { response: { 200: Readiness } },
  operationId: 'readyz',
  summary: 'The database (and Redis, when configured) is reachable and the mail transport is ready',
  responses: { 200: 'Ready.' },
  problems: ['notReady'],
  open: true,
});

export const publicOperations = [serviceIndex, getJwks, healthz, readyz];

export default async function publicRoutes(app: FastifyInstance, options: PublicRoutesOptions) {
  // A person who opens the service's address in a browser is shown where to go.
  const index = {
    service: 'mailcode',
    docs: '/docs',
    openapi: '/openapi.yaml',
    health: '/healthz',
    jwks: '/.well-known/jwks.json',
  } as const;
  const indexPage = [
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>mailcode</title></head><body>',
    '<h1>mailcode</h1><p>Email one-time codes for company addresses, answered with a signed verification assertion.</p><ul>',
    '<li><a href="/docs">/docs</a>: the API, with "Try it out"</li>',
    '<li><a href="/openapi.yaml">/openapi.yaml</a>: the contract (OpenAPI 3.1)</li>',
    '<li><a href="/healthz">/healthz</a>: the process is alive (<a href="/readyz">/readyz</a>: ready to serve)</li>',
    '<li><a href="/.well-known/jwks.json">/.well-known/jwks.json</a>: the keys that sign assertions</li>',
    '</ul></body></html>',
  ].join('\n');
  app.route({
    ...routeOf(serviceIndex),
    handler: async (request, reply) =>
      request.headers.accept?.includes('text/html')
        ? reply.type('text/html; charset=utf-8').send(indexPage)
        : reply.send(index),
  });

  app.route({ ...routeOf(healthz), handler: async () => ({ status: 'ok' as const }) });

  app.route({
    ...routeOf(readyz),
    handler: async (_request, reply) => {
      let database = false;
      try {
        database = await options.ping();
      } catch {
        database = false;
      }
      if (!database) throw problems.notReady('The database is not reachable, or the disk it writes to is full.');
      if (
        options.redis &&
        !(await options.redis.ping().then(
          (pong) => pong === 'PONG',
          () => false,
        ))
      ) {
        throw problems.notReady('Redis is not reachable.');
      }
      const warnings = await options.mailWarnings().catch(() => []);
      // A relay that refuses mailcode (its password, say) is named in the answer either way.
      if (!(await options.transport.ready()))
        throw problems.notReady(
          `The mail transport (${options.transport.kind}) is not ready.${warnings.length ? ` ${warnings.join('; ')}.` : ''}`,
        );
      return reply.send({
        status: 'ready',
        database: 'ok',
        ...(options.redis ? { redis: 'ok' } : {}),
        mail: options.transport.kind,
        ...(warnings.length ? { warnings } : {}),
      });
    },
  });

  app.route({
    ...routeOf(getJwks),
    handler: async (_request, reply) =>
      reply.header('cache-control', 'public, max-age=300').send({ keys: options.keys.publicKeys() }),
  });
}
