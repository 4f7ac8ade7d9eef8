// Between the domain's values and the wire's.

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

/** The event context of a portal's API request. */
export const byPortal = (request: { id: string }) => ({ actor: 'portal' as const, requestId: recordedRequestId(request) });
