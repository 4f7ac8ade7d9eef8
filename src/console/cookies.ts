// The console's two cookies: the session's id (operators/sessions.ts keeps its hash) and
// the CSRF secret of @fastify/csrf-protection, whose tokens are bound to the session id.
// Both HttpOnly, SameSite=Strict, on /console only, and Secure everywhere but on a
// loopback address (development).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { loopbackHosts } from '../shared/domains.js';

export const cookieName = 'mailcode_console';
export const csrfCookieName = 'mailcode_console_csrf';
/** Path-scoped: the API never sees the console's cookies. */
export const cookiePath = '/console';

const flags = (request: FastifyRequest) => ({ path: cookiePath, httpOnly: true, sameSite: 'strict' as const, secure: !loopbackHosts.has(request.hostname) });

export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, value: string): void {
  reply.setCookie(cookieName, value, flags(request));
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
  reply.clearCookie(cookieName, flags(request));
}

export const presentedCookie = (request: FastifyRequest): string | undefined => request.cookies[cookieName];

/** A form's CSRF token, bound to this session id: it is worth nothing with another. */
export function csrfToken(request: FastifyRequest, reply: FastifyReply, sessionCookie: string): string {
  return reply.generateCsrf({ ...flags(request), userInfo: sessionCookie });
}
