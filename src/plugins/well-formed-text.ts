// Requests are I-JSON (RFC 7493 §2.1): no string may hold a lone UTF-16 surrogate. It has
// no UTF-8 spelling, so the databases would store U+FFFD in its place (two different
// userRefs becoming one), and encoders such as encodeURIComponent throw. The check runs
// before schema validation, on every route, over the body and the path parameters.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { problems } from '../errors.js';

/** The path of the first string that is not well-formed UTF-16, or undefined. */
function malformedAt(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return value.isWellFormed() ? undefined : path;
  if (value === null || typeof value !== 'object') return undefined;
  for (const [key, item] of Object.entries(value)) {
    const found = malformedAt(key, `${path}/${key}`) ?? malformedAt(item, `${path}/${key}`);
    if (found) return found;
  }
  return undefined;
}

export default fp(
  async function wellFormedText(app: FastifyInstance) {
    app.addHook('preValidation', (request, _reply, done) => {
      const at = malformedAt(request.body, 'body') ?? malformedAt(request.params, 'params');
      done(at ? problems.invalidRequest(`${at} holds a lone UTF-16 surrogate, which is not text (RFC 7493).`) : undefined);
    });
  },
  { name: 'well-formed-text' },
);
