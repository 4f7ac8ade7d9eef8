// Security headers from helmet, computed once. Helmet works out its headers per response
// (it re-parses the CSP directives every time: 6% of a verify request, measured); the
// headers never change here, so they are captured at start and copied onto each reply.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import helmet from 'helmet';

export type SecurityHeaders = Readonly<Record<string, string>>;

/**
 * The headers of every answer. A JSON API: nothing may be framed, embedded or loaded from
 * its responses. The /docs UI sets its own, looser policy for its pages (staticCSP).
 */
export function securityHeaders(): SecurityHeaders {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: string | number | string[]) => {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader: (name: string) => {
      delete headers[name.toLowerCase()];
    },
  };
  helmet({
    contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    hsts: { maxAge: 31_536_000, includeSubDomains: true },
  })({} as IncomingMessage, response as unknown as ServerResponse, () => undefined);
  return headers;
}

export default fp(
  async function securityHeadersPlugin(app: FastifyInstance, options: { headers: SecurityHeaders }) {
    // onRequest, like @fastify/helmet: a route may still set its own policy (the /docs UI does).
    app.addHook('onRequest', async (_request, reply) => {
      reply.headers(options.headers);
    });
  },
  { name: 'security-headers' },
);
