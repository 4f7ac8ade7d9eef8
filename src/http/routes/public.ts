// Routes without an API key: health, readiness, the JWKS and the API description.
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { KeyRing } from '../../assertions/keyring.js';
import type { MailTransport } from '../../mail/transport.js';
import { openapiPath } from '../../shared/paths.js';
import { problems } from '../problems.js';

export interface PublicRoutesOptions {
  /** Whether the database answers. */
  ping(): Promise<boolean>;
  keys: KeyRing;
  transport: Pick<MailTransport, 'kind' | 'ready'>;
  /** Set with REDIS_URL: the shared limit counters live there, so sends need it. */
  redis?: Redis;
}

export default async function publicRoutes(app: FastifyInstance, options: PublicRoutesOptions) {
  const openapi = readFileSync(openapiPath, 'utf8');

  // A person who opens the service's address in a browser is shown where to go.
  const index = { service: 'mailcode', docs: '/docs', openapi: '/openapi.yaml', health: '/healthz', jwks: '/.well-known/jwks.json' } as const;
  const indexPage = [
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>mailcode</title></head><body>',
    '<h1>mailcode</h1><p>Email one-time codes for company addresses, answered with a signed verification assertion.</p><ul>',
    '<li><a href="/docs">/docs</a>: the API, with "Try it out"</li>',
    '<li><a href="/openapi.yaml">/openapi.yaml</a>: the contract (OpenAPI 3.1)</li>',
    '<li><a href="/healthz">/healthz</a>: the process is alive (<a href="/readyz">/readyz</a>: ready to serve)</li>',
    '<li><a href="/.well-known/jwks.json">/.well-known/jwks.json</a>: the keys that sign assertions</li>',
    '</ul></body></html>',
  ].join('\n');
  app.get('/', async (request, reply) =>
    request.headers.accept?.includes('text/html') ? reply.type('text/html; charset=utf-8').send(indexPage) : reply.send(index),
  );

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    let database = false;
    try {
      database = await options.ping();
    } catch {
      database = false;
    }
    if (!database) throw problems.notReady('The database is not reachable.');
    if (options.redis && !(await options.redis.ping().then((pong) => pong === 'PONG', () => false))) {
      throw problems.notReady('Redis is not reachable.');
    }
    if (!(await options.transport.ready())) throw problems.notReady(`The mail transport (${options.transport.kind}) is not ready.`);
    return reply.send({ status: 'ready', database: 'ok', ...(options.redis ? { redis: 'ok' } : {}), mail: options.transport.kind });
  });

  app.get('/.well-known/jwks.json', async (_request, reply) =>
    reply.header('cache-control', 'public, max-age=300').send({ keys: options.keys.publicKeys() }),
  );

  app.get('/openapi.yaml', async (_request, reply) => reply.type('application/yaml; charset=utf-8').send(openapi));
}
