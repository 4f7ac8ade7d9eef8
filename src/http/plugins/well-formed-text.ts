// Requests are I-JSON (RFC 7493 §2.1): no string may hold a lone UTF-16 surrogate. It has
// no UTF-8 spelling, so the databases would store U+FFFD in its place (two different
// userRefs becoming one), and encoders such as encodeURIComponent throw. The check runs
// before schema validation, on every route, over the body and the path parameters.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { echoed } from '../echo.js';
import { problems } from '../problems.js';

/** A value still to look at, and the way to it (kept as links: a path is only spelt out for a refusal). */
interface Place {
  value: unknown;
  key: string;
  parent: Place | undefined;
}

const pathTo = (place: Place | undefined): string => {
  const keys: string[] = [];
  for (let p = place; p?.parent; p = p.parent) keys.push(p.key);
  return keys
    .reverse()
    .map((k) => `/${k}`)
    .join('');
};

/**
 * Where a string that is not well-formed UTF-16 sits ('' for the value itself, '/key/…'
 * below it), or undefined. Walked with a stack of its own, not by recursion: a body within
 * the size limit can nest thousands of levels deep, past the call stack. The strings of an
 * object are looked at as it is reached; only objects and arrays wait on the stack, so a
 * flat body (the usual one) allocates nothing but the stack itself.
 */
function malformedAt(value: unknown): string | undefined {
  if (typeof value === 'string') return value.isWellFormed() ? undefined : '';
  if (value === null || typeof value !== 'object') return undefined;
  const pending: Place[] = [{ value, key: '', parent: undefined }];
  for (let place = pending.pop(); place !== undefined; place = pending.pop()) {
    const object = place.value as Record<string, unknown>;
    for (const key of Object.keys(object)) {
      const item = object[key];
      if (!key.isWellFormed() || (typeof item === 'string' && !item.isWellFormed()))
        return pathTo({ value: item, key, parent: place });
      if (item !== null && typeof item === 'object') pending.push({ value: item, key, parent: place });
    }
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
      done(
        at
          ? problems.invalidRequest(`${echoed(at)} holds a lone UTF-16 surrogate, which is not text (RFC 7493).`)
          : undefined,
      );
    });
  },
  { name: 'well-formed-text' },
);
