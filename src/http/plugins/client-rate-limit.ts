// Requests per API client (docs/LIMITS.md: 50 a second, bursts to 100), counted before the body is
// validated: in memory for one process, in Redis when several processes share the load
// (else each replica would allow the full rate). Send limits that must survive a restart
// live in the database instead.
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import rateLimit from '@fastify/rate-limit';
import { problems } from '../problems.js';
import { presentedKeyHash } from './auth.js';

/** A two-second window at twice the rate keeps the average and tolerates short bursts. */
export interface SharedLimiterStore {
  client: Redis;
  prefix: string;
}

export async function registerClientRateLimit(
  app: FastifyInstance,
  requestsPerSecond: number,
  onLimited?: () => void,
  shared?: SharedLimiterStore,
) {
  await app.register(rateLimit, {
    global: true,
    ...(shared ? { redis: shared.client, nameSpace: `${shared.prefix}rate:` } : {}),
    // Redis away: the request goes on without this ceiling (a fairness bound between
    // clients). The limits that stop abuse — per address, per IP, per domain, the global
    // one — are the send's own, and a send that cannot count them answers 503.
    skipOnError: true,
    max: requestsPerSecond * 2,
    timeWindow: 2_000,
    // Without a well-formed key the request is counted by IP (authentication refuses it).
    keyGenerator: (request) => {
      const keyHash = presentedKeyHash(request);
      return keyHash ? `key:${keyHash}` : `ip:${request.ip}`;
    },
    onExceeded: () => onLimited?.(),
    errorResponseBuilder: (_request, context) =>
      problems.rateLimited(
        context.ttl / 1000,
        `More than ${requestsPerSecond} requests per second from this API client.`,
      ),
  });
}
