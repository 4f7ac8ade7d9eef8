// Bearer API keys → the calling portal client. Keys are looked up by their SHA-256 and the
// stored hash is compared in constant time; a revoked key stops working on the next request.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { problems } from '../errors.js';
import { hashApiKey } from '../secrets.js';
import type { Client, Store } from '../store/types.js';

declare module 'fastify' {
  interface FastifyRequest {
    client: Client | null;
  }
  interface FastifyInstance {
    authenticate(request: FastifyRequest): Promise<void>;
  }
}

const bearer = /^Bearer ([A-Za-z0-9_-]{16,128})$/;

export default fp(
  async function auth(app: FastifyInstance, options: { store: Store }) {
    app.decorateRequest('client', null);
    app.decorate('authenticate', async function authenticate(request: FastifyRequest) {
      const match = bearer.exec(request.headers.authorization ?? '');
      if (!match) throw problems.unauthorized();
      const presented = hashApiKey(match[1]!);
      const found = await options.store.findClientByKeyHash(presented);
      if (!found || found.revokedAt !== null || !timingSafeEqual(Buffer.from(found.apiKeyHash), Buffer.from(presented))) {
        throw problems.unauthorized();
      }
      request.client = found;
    });
  },
  { name: 'auth' },
);
