// Requests are I-JSON (RFC 7493 §2.1): no string may hold a lone UTF-16 surrogate. It has
// no UTF-8 spelling, so the databases would store U+FFFD in its place (two different
// userRefs becoming one), and encoders such as encodeURIComponent throw. The check runs
// before schema validation, on every route, over the body and the path parameters.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
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
  return keys.reverse().map((k) => `/${k}`).join('');
};

/**
 * Where the first string that is not well-formed UTF-16 sits ('' for the value itself,
 * '/key/…' below it), or undefined. Walked with a stack of its own, not by recursion: a
 * body within the size limit can nest thousands of levels deep, past the call stack.
 */
function malformedAt(value: unknown): string | undefined {
  const pending: Place[] = [{ value, key: '', parent: undefined }];
  for (let place = pending.pop(); place !== undefined; place = pending.pop()) {
    const item = place.value;
    if (typeof item === 'string') {
      if (!item.isWellFormed()) return pathTo(place);
    } else if (item !== null && typeof item === 'object') {
      const keys = Object.keys(item);
      // Pushed last to first, so strings are looked at in the order the body has them.
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i]!;
        if (!key.isWellFormed()) return pathTo({ value: undefined, key, parent: place });
        pending.push({ value: (item as Record<string, unknown>)[key], key, parent: place });
      }
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
      done(at ? problems.invalidRequest(`${at} holds a lone UTF-16 surrogate, which is not text (RFC 7493).`) : undefined);
    });
  },
  { name: 'well-formed-text' },
);
