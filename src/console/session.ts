// The console's session, CSRF and role checks, in the order a request meets them: the
// cookie is read into a session (server-side: operators/sessions.ts), every form post must
// carry the session's CSRF token, and a page for admins refuses support.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Operator } from '../operators/model.js';
import type { ConsoleSession, ConsoleSessions } from '../operators/sessions.js';
import { page } from './views.js';

export const cookieName = 'mailcode_console';
/** Path-scoped: the API never sees the console's cookie. */
export const cookiePath = '/console';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in operator and their session, on every page past the sign-in. */
    operatorSession: { operator: Operator; session: ConsoleSession; cookie: string; csrf: string } | null;
  }
  interface FastifyContextConfig {
    /** Admins only (clients, keys, domains, DKIM, webhooks, operators). */
    admin?: boolean;
    /** Reached before signing in (the sign-in steps, the stylesheet). */
    public?: boolean;
    /** The address form: the one post without a session, so without a CSRF token. */
    startsSignIn?: boolean;
  }
}

const loopback = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** HttpOnly, SameSite=Strict, and Secure everywhere but on a loopback address (development). */
export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, value: string): void {
  reply.setCookie(cookieName, value, { path: cookiePath, httpOnly: true, sameSite: 'strict', secure: !loopback.has(request.hostname) });
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
  reply.clearCookie(cookieName, { path: cookiePath, httpOnly: true, sameSite: 'strict', secure: !loopback.has(request.hostname) });
}

export const presentedCookie = (request: FastifyRequest): string | undefined => request.cookies[cookieName];

/** Reads the signed-in session onto the request; a page without one goes to the sign-in. */
export function requireSession(sessions: ConsoleSessions) {
  return async function sessionCheck(request: FastifyRequest, reply: FastifyReply) {
    if (request.routeOptions.config.public) return;
    const cookie = presentedCookie(request);
    const found = await sessions.read(cookie);
    if (!found || found.session.stage !== 'signed_in') {
      if (request.method === 'GET' || request.method === 'HEAD') return reply.redirect('/console/sign-in', 303);
      return page(request, reply, 'message', { title: 'Sign in first', message: 'This action needs a console session. Sign in, then try again.' }, 403);
    }
    request.operatorSession = { ...found, cookie: cookie!, csrf: sessions.csrfToken(cookie!) };
  };
}

/** Every form post carries the token of the session its cookie names (sessions.csrfToken). */
export function requireCsrf(sessions: ConsoleSessions) {
  return async function csrfCheck(request: FastifyRequest, reply: FastifyReply) {
    // The address form starts a sign-in: there is no session yet to hold a token.
    if (request.method !== 'POST' || request.routeOptions.config.startsSignIn) return;
    const cookie = presentedCookie(request);
    const token = (request.body as Record<string, unknown> | undefined)?._csrf;
    if (!cookie || !sessions.csrfMatches(cookie, token)) {
      return page(request, reply, 'message', { title: 'This form has expired', message: 'The form did not carry this session’s token (CSRF): it is from an older session, or it did not come from the console. Go back, reload the page and try again.' }, 403);
    }
  };
}

/** Support looks people up and helps them; what changes settings is an admin's. */
export async function requireRole(request: FastifyRequest, reply: FastifyReply) {
  if (!request.routeOptions.config.admin) return;
  if (request.operatorSession?.operator.role !== 'admin') {
    return page(request, reply, 'message', { title: 'Admins only', message: 'Support operators look people up and help them; changing settings is an admin’s.' }, 403);
  }
}
