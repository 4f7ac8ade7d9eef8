// The support console, its own room at /console: its session, CSRF and role checks, its
// routes and its server-rendered views. It is handed services — the same the API and the
// CLI call — never a store (the architecture test holds it). Read top to bottom: bounds
// and parsers, headers, the checks every request meets, then the pages.
import cookie from '@fastify/cookie';
import csrfProtection from '@fastify/csrf-protection';
import formbody from '@fastify/formbody';
import type { FastifyInstance } from 'fastify';
import { DomainError } from '../shared/domain-error.js';
import { outageOf, outageRetryAfterSeconds, throttledOutageLog } from '../shared/outage.js';
import { registerAuditRoutes } from './routes/audit.js';
import { registerClientRoutes } from './routes/clients.js';
import { registerOperatorRoutes } from './routes/operators.js';
import { registerOverviewRoutes } from './routes/overview.js';
import { registerPeopleRoutes } from './routes/people.js';
import { registerSignInRoutes } from './routes/sign-in.js';
import { describeRefusal } from './refusals.js';
import type { ConsoleServices } from './services.js';
import { csrfRefusedPage, isCsrfRefusal, requireCsrf, requireRole, requireSession } from './session.js';
import { cookieFlags, csrfCookieName, presentedCookie, secureCookies } from './cookies.js';
import { consoleCsp, page, stylesheet } from './views.js';

export default async function consolePlugin(app: FastifyInstance, services: ConsoleServices) {
  await app.register(cookie);
  await app.register(formbody, { bodyLimit: 16 * 1024 });
  app.decorateRequest('operatorSession', null);
  app.decorate('consoleCookiesSecure', secureCookies(services.publicUrl));

  // The console's own, stricter-than-nothing policy: no inline script or style, same-origin forms only.
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('content-security-policy', consoleCsp);
    reply.header('referrer-policy', 'no-referrer');
  });
  app.addHook('preHandler', requireSession(services.sessions));
  await app.register(csrfProtection, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: csrfCookieName,
    cookieOpts: cookieFlags(app.consoleCookiesSecure),
    // Tokens bound to the session id: a token of another session (or of none) is refused.
    getUserInfo: (request) => presentedCookie(request) ?? '',
    csrfOpts: { hmacKey: services.csrfKey },
  });
  app.addHook('preHandler', requireCsrf(app));
  app.addHook('preHandler', requireRole);

  const outageLog = throttledOutageLog(10_000);
  app.setErrorHandler((error: Error & { statusCode?: number; validation?: unknown }, request, reply) => {
    if (isCsrfRefusal(error as { code?: string })) return csrfRefusedPage(request, reply);
    if (error instanceof DomainError)
      return page(request, reply, 'message', { title: 'Not done', message: describeRefusal(error) }, 400);
    const outage = outageOf(error);
    if (outage) {
      outageLog.refused(request.log, outage);
      reply.header('retry-after', String(outageRetryAfterSeconds));
      const what = outage.dependency === 'redis' ? 'Redis' : 'its database';
      return page(
        request,
        reply,
        'message',
        {
          title: 'Try again in a moment',
          message: `mailcode cannot reach ${what} right now (a restart, a failover or a full disk). Nothing was done; try again in a few seconds.`,
        },
        503,
      );
    }
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'console request failed');
      return page(
        request,
        reply,
        'message',
        { title: 'Something went wrong', message: 'The console could not do this. It has been logged; try again.' },
        500,
      );
    }
    if (status === 429)
      return page(request, reply, 'message', { title: 'Too many attempts', message: error.message }, 429);
    return page(
      request,
      reply,
      'message',
      {
        title: 'That did not work',
        message: status === 404 ? 'There is no such page.' : 'The request was not understood.',
      },
      status,
    );
  });
  app.setNotFoundHandler((request, reply) =>
    page(request, reply, 'message', { title: 'Not found', message: 'There is no such page in the console.' }, 404),
  );

  app.get('/console.css', { config: { public: true } }, async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(stylesheet),
  );
  app.get('/', { config: { public: true } }, async (request, reply) =>
    reply.redirect(
      (await services.sessions.read(presentedCookie(request)))?.session.stage === 'signed_in'
        ? '/console/overview'
        : '/console/sign-in',
      303,
    ),
  );

  await registerSignInRoutes(app, services);
  registerOverviewRoutes(app, services);
  registerPeopleRoutes(app, services);
  registerClientRoutes(app, services);
  registerOperatorRoutes(app, services);
  registerAuditRoutes(app, services);
}
