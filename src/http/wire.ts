// Between the domain's values and the wire's.
import type { FastifyRequest } from 'fastify';
import type { RequestContext } from '../events/model.js';

/** Times on the wire are ISO 8601; the domain counts milliseconds. */
export const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * The request id recorded with the events a request causes: the caller's x-request-id (or
 * Fastify's own) when it is printable ASCII of at most 128 characters — the portal can then
 * find its request in the trail — and nothing otherwise: events leave through webhooks.
 */
export function recordedRequestId(request: { id: string }): string | null {
  return /^[\x21-\x7e]{1,128}$/.test(request.id) ? request.id : null;
}

/** A portal's API request as the services take it: its id, its IP, the person's IP when the portal passed one, its logger. */
export const byPortal = (request: FastifyRequest, endUserIp?: string): RequestContext => ({
  actor: 'portal',
  requestId: recordedRequestId(request),
  ip: request.ip,
  ...(endUserIp === undefined ? {} : { endUserIp }),
  log: request.log,
});
