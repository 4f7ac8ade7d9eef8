// Requests are I-JSON (RFC 7493 §2.1): no string may hold a lone UTF-16 surrogate. It has
// no UTF-8 spelling, so the databases would store U+FFFD in its place (two different
// userRefs becoming one), and encoders such as encodeURIComponent throw. The check runs
// before schema validation, on every route, over the body and the path parameters.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { problems } from '../problems.js';

/**
 * Where the first string that is not well-formed UTF-16 sits ('' for the value itself,
 * '/key/…' below it), or undefined. The path is built only for a refusal, not per request.
 */
function malformedAt(value: unknown): string | undefined {
  if (typeof value === 'string') return value.isWellFormed() ? undefined : '';
  if (value === null || typeof value !== 'object') return undefined;
  for (const [key, item] of Object.entries(value)) {
    if (!key.isWellFormed()) return `/${key}`;
    const below = malformedAt(item);
    if (below !== undefined) return `/${key}${below}`;
  }
  return undefined;
}

/** "body/userRef" for the first malformed string of the body or the path parameters. */
function malformedPart(request: FastifyRequest): string | undefined {
  const inBody = malformedAt(request.body);
  if (inBody !== undefined) return `body${inBody}`;
  const inParams = malformedAt(request.params);
  return inParams === undefined ? undefined : `params${inParams}`;
}

export default fp(
  async function wellFormedText(app: FastifyInstance) {
    app.addHook('preValidation', (request, _reply, done) => {
      const at = malformedPart(request);
      done(at ? problems.invalidRequest(`${at} holds a lone UTF-16 surrogate, which is not text (RFC 7493).`) : undefined);
    });
  },
  { name: 'well-formed-text' },
);
