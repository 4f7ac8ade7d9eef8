// Bearer API keys → the calling portal client (ClientsService.authenticate compares the
// stored hash in constant time; a revoked key stops working on the next request).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { problems } from '../problems.js';
import { hashApiKey } from '../../shared/secrets.js';
import type { Client } from '../../clients/model.js';
import type { ClientsService } from '../../clients/service.js';

declare module 'fastify' {
  interface FastifyRequest {
    client: Client | null;
    /** See presentedKeyHash: null until asked, '' when there is no well-formed key. */
    apiKeyHash: string | null;
  }
  interface FastifyInstance {
    authenticate(request: FastifyRequest): Promise<void>;
  }
}

// The scheme is case-insensitive and followed by one or more spaces (RFC 9110 §11.1, §11.4).
const bearer = /^bearer +([A-Za-z0-9_-]{16,128})$/i;

/**
 * The SHA-256 of the request's bearer API key, or undefined without a well-formed one.
 * Worked out once per request: the per-client rate limiter and authentication both need it.
 */
export function presentedKeyHash(request: FastifyRequest): string | undefined {
  if (request.apiKeyHash === null) {
    const match = bearer.exec(request.headers.authorization ?? '');
    request.apiKeyHash = match ? hashApiKey(match[1]!) : '';
  }
  return request.apiKeyHash || undefined;
}

export default fp(
  async function auth(app: FastifyInstance, options: { clients: Pick<ClientsService, 'authenticate'> }) {
    app.decorateRequest('client', null);
    app.decorateRequest('apiKeyHash', null);
    app.decorate('authenticate', async function authenticate(request: FastifyRequest) {
      const presented = presentedKeyHash(request);
      if (!presented) throw problems.unauthorized();
      const client = await options.clients.authenticate(presented);
      if (!client) throw problems.unauthorized();
      request.client = client;
    });
  },
  { name: 'auth' },
);
