// The support console, its own room at /console: its session, CSRF and role checks, its
// routes and its server-rendered views. It is handed services — the same the API and the
// CLI call — never a store (the architecture test holds it). Read top to bottom: bounds
// and parsers, headers, the checks every request meets, then the pages.
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { FastifyInstance } from 'fastify';
import type { ClientsService } from '../clients/service.js';
import type { DkimService } from '../clients/dkim-service.js';
import type { Lookup } from '../clients/dns.js';
import type { EventsService } from '../events/service.js';
import type { OperatorsService } from '../operators/service.js';
import type { ConsoleSessions } from '../operators/sessions.js';
import type { ConsoleSignIn } from '../operators/sign-in.js';
import type { SupportService } from '../operators/support.js';
import { DomainError } from '../shared/domain-error.js';
import type { WebhookService } from '../webhooks/service.js';
import { registerAuditRoutes } from './routes/audit.js';
import { registerClientRoutes } from './routes/clients.js';
import { registerOverviewRoutes } from './routes/overview.js';
import { registerPeopleRoutes } from './routes/people.js';
import { registerSignInRoutes, type SignInLimiter } from './routes/sign-in.js';
import { requireCsrf, requireRole, requireSession } from './session.js';
import { consoleCsp, page, stylesheet } from './views.js';

export interface ConsoleServices {
  sessions: ConsoleSessions;
  signIn: ConsoleSignIn;
  support: SupportService;
  operators: OperatorsService;
  clients: ClientsService;
  webhooks: WebhookService;
  dkim: DkimService;
  events: EventsService;
  /** How the DKIM page asks DNS whether the records are published. */
  dnsLookup: Lookup;
  now: () => number;
  /** Sign-in posts per IP and minute, shared through Redis when there is one. */
  signInLimiter: SignInLimiter;
}

export default async function consolePlugin(app: FastifyInstance, services: ConsoleServices) {
  await app.register(cookie);
  await app.register(formbody, { bodyLimit: 16 * 1024 });
  app.decorateRequest('operatorSession', null);

  // The console's own, stricter-than-nothing policy: no inline script or style, same-origin forms only.
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('content-security-policy', consoleCsp);
    reply.header('referrer-policy', 'no-referrer');
  });
  app.addHook('preHandler', requireSession(services.sessions));
  app.addHook('preHandler', requireCsrf(services.sessions));
  app.addHook('preHandler', requireRole);

  app.setErrorHandler((error: Error & { statusCode?: number; validation?: unknown }, request, reply) => {
    if (error instanceof DomainError) return page(request, reply, 'message', { title: 'Not done', message: describeRefusal(error) }, 400);
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'console request failed');
      return page(request, reply, 'message', { title: 'Something went wrong', message: 'The console could not do this. It has been logged; try again.' }, 500);
    }
    if (status === 429) return page(request, reply, 'message', { title: 'Too many attempts', message: error.message }, 429);
    return page(request, reply, 'message', { title: 'That did not work', message: status === 404 ? 'There is no such page.' : 'The request was not understood.' }, status);
  });
  app.setNotFoundHandler((request, reply) => page(request, reply, 'message', { title: 'Not found', message: 'There is no such page in the console.' }, 404));

  app.get('/console.css', { config: { public: true } }, async (_request, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(stylesheet));
  app.get('/', { config: { public: true } }, async (request, reply) => reply.redirect((await services.sessions.read(request.cookies.mailcode_console))?.session.stage === 'signed_in' ? '/console/overview' : '/console/sign-in', 303));

  await registerSignInRoutes(app, services);
  registerOverviewRoutes(app, services);
  registerPeopleRoutes(app, services);
  registerClientRoutes(app, services);
  registerAuditRoutes(app, services);
}

/** A refusal in an operator's words (the domain's detail, when it gives one). */
export function describeRefusal(error: DomainError): string {
  const refusal = error.refusal;
  if ('detail' in refusal) return refusal.detail.charAt(0).toUpperCase() + refusal.detail.slice(1);
  return refusal.kind.replaceAll('_', ' ').replace(/^./, (c) => c.toUpperCase()) + '.';
}
