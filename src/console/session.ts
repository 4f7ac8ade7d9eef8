// The console's session, CSRF and role checks, in the order a request meets them: the
// cookie is read into a session (server-side: operators/sessions.ts), every form post must
// carry a CSRF token bound to the session (@fastify/csrf-protection), and a page for
// admins refuses support.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Operator } from '../operators/model.js';
import type { ConsoleSession, ConsoleSessions } from '../operators/sessions.js';
import { presentedCookie } from './cookies.js';
import { page } from './views.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in operator and their session, on every page past the sign-in. */
    operatorSession: { operator: Operator; session: ConsoleSession; cookie: string } | null;
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

/** Reads the signed-in session onto the request; a page without one goes to the sign-in. */
export function requireSession(sessions: ConsoleSessions) {
  return async function sessionCheck(request: FastifyRequest, reply: FastifyReply) {
    if (request.routeOptions.config.public) return;
    const cookie = presentedCookie(request);
    const found = await sessions.read(cookie);
    if (found?.session.stage !== 'signed_in') {
      if (request.method === 'GET' || request.method === 'HEAD') return reply.redirect('/console/sign-in', 303);
      return page(
        request,
        reply,
        'message',
        { title: 'Sign in first', message: 'This action needs a console session. Sign in, then try again.' },
        403,
      );
    }
    request.operatorSession = { ...found, cookie: cookie! };
  };
}

/**
 * Every form post carries a token of @fastify/csrf-protection bound to the session id
 * (cookies.ts); the address form, which starts a sign-in, has no session to bind to.
 */
export function requireCsrf(app: FastifyInstance) {
  return function csrfCheck(request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) {
    if (request.method !== 'POST' || request.routeOptions.config.startsSignIn) return done();
    app.csrfProtection(request, reply, done);
  };
}

/** The plugin's refusals, answered with a page that says what to do. */
export const isCsrfRefusal = (error: { code?: string }) =>
  error.code === 'FST_CSRF_INVALID_TOKEN' || error.code === 'FST_CSRF_MISSING_SECRET';

export const csrfRefusedPage = (request: FastifyRequest, reply: FastifyReply) =>
  page(
    request,
    reply,
    'message',
    {
      title: 'This form has expired',
      message:
        'The form did not carry this session’s token (CSRF): it is from an older session, or it did not come from the console. Go back, reload the page and try again.',
    },
    403,
  );

/** Support looks people up and helps them; what changes settings is an admin's. */
export async function requireRole(request: FastifyRequest, reply: FastifyReply) {
  if (!request.routeOptions.config.admin) return;
  if (request.operatorSession?.operator.role !== 'admin') {
    return page(
      request,
      reply,
      'message',
      {
        title: 'Admins only',
        message: 'Support operators look people up and help them; changing settings is an admin’s.',
      },
      403,
    );
  }
}
