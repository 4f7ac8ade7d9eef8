// The console's two cookies: the session's id (operators/sessions.ts keeps its hash) and
// the CSRF secret of @fastify/csrf-protection, whose tokens are bound to the session id.
// Both HttpOnly, SameSite=Strict, on /console only, and Secure unless mailcode's public
// address is plain http on a loopback host (development). Decided from PUBLIC_URL, never
// from the request: behind a proxy (nginx's `proxy_pass http://127.0.0.1:3000`) the Host
// mailcode sees is loopback while people reach it over https.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { loopbackHosts } from '../shared/domains.js';

export const cookieName = 'mailcode_console';
export const csrfCookieName = 'mailcode_console_csrf';
/** Path-scoped: the API never sees the console's cookies. */
export const cookiePath = '/console';

declare module 'fastify' {
  interface FastifyInstance {
    /** Whether the console's cookies carry Secure (secureCookies, decided once from PUBLIC_URL). */
    consoleCookiesSecure: boolean;
  }
}

/** https always means Secure; so does http anywhere but loopback (where no browser would send it back: the console is https off loopback). */
export function secureCookies(publicUrl: string): boolean {
  const url = new URL(publicUrl);
  return url.protocol === 'https:' || !loopbackHosts.has(url.hostname);
}

export const cookieFlags = (secure: boolean) => ({
  path: cookiePath,
  httpOnly: true,
  sameSite: 'strict' as const,
  secure,
});

const flags = (request: FastifyRequest) => cookieFlags(request.server.consoleCookiesSecure);

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
