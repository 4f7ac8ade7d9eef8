// Every error leaves as RFC 9457 problem+json with one of problems.ts' codes; a 5xx never
// carries a message, stack or anything else from inside.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { DomainError } from '../../shared/domain-error.js';
import { echoed } from '../echo.js';
import { ProblemError, problemFor, problems } from '../problems.js';
import { outageOf, throttledOutageLog } from '../../shared/outage.js';
import { validationDetail, type AjvError } from '../validation-detail.js';

function toProblem(error: FastifyError | ProblemError | DomainError): ProblemError {
  if (error instanceof ProblemError) return error;
  if (error instanceof DomainError) return problemFor(error);
  const outage = outageOf(error);
  if (outage) return problems.unavailable(outage.dependency);
  if (error.validation)
    return problems.invalidRequest(
      `${error.validationContext ?? 'request'}${validationDetail(error.validation as AjvError[])}`,
    );
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) return problems.invalidRequest(echoed(error.message, 300), status);
  return problems.internal();
}

/** "GET /verifications/:id" → the methods each path pattern answers, to tell a 405 from a 404. */
function methodsByPath(routes: readonly string[]): { url: string; path: RegExp; methods: string[] }[] {
  const byUrl = new Map<string, string[]>();
  for (const route of routes) {
    const [method, url] = route.split(' ') as [string, string];
    byUrl.set(url, [...(byUrl.get(url) ?? []), method]);
  }
  return (
    [...byUrl]
      // The most literal first: `/passkeys/registrations` is its own path before `/passkeys/:id` takes it.
      .sort(([a], [b]) => parameters(a) - parameters(b))
      .map(([url, methods]) => ({
        url,
        path: new RegExp(`^${url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z]+/g, '[^/]+')}$`),
        methods: [...new Set(methods)].sort(),
      }))
  );
}

const parameters = (url: string) => url.split('/').filter((s) => s.startsWith(':')).length;

/**
 * The paths of more literal routes a parametric route would also take, by its url: a PATCH
 * of `/people/u/passkeys/registrations` reaches `/people/:userRef/passkeys/:id` (whose id it
 * is not), but the path is the registrations' — a 405, as for any method a path does not answer.
 */
function shadowedPaths(known: ReturnType<typeof methodsByPath>): Map<string, RegExp[]> {
  const shadowed = new Map<string, RegExp[]>();
  for (const wide of known)
    for (const narrow of known)
      if (narrow.url !== wide.url && parameters(narrow.url) < parameters(wide.url) && wide.path.test(narrow.url))
        shadowed.set(wide.url, [...(shadowed.get(wide.url) ?? []), narrow.path]);
  return shadowed;
}

export default fp(
  async function errors(app: FastifyInstance, options: { routes: readonly string[] }) {
    let known: ReturnType<typeof methodsByPath> | undefined;
    let shadowed: Map<string, RegExp[]> | undefined;
    /** No route for this method and path: a 405 with Allow when the path answers others. */
    const noRoute = (request: FastifyRequest) => {
      const path = request.url.split('?')[0]!;
      const shown = echoed(path);
      known ??= methodsByPath(options.routes);
      const allowed = known.find((route) => route.path.test(path))?.methods;
      return allowed
        ? problems.methodNotAllowed(
            `${shown} answers ${allowed.join(', ')}, not ${echoed(request.method, 20)}.`,
            allowed,
          )
        : problems.notFound(`No route for ${echoed(request.method, 20)} ${shown}.`);
    };
    /** A parameter refused on a path another route owns: that route's path, asked with a method it does not answer. */
    const takenPath = (request: FastifyRequest, error: FastifyError | ProblemError | DomainError) => {
      if (!('validationContext' in error) || error.validationContext !== 'params') return false;
      known ??= methodsByPath(options.routes);
      shadowed ??= shadowedPaths(known);
      const path = request.url.split('?')[0]!;
      return shadowed.get(request.routeOptions.url ?? '')?.some((owned) => owned.test(path)) ?? false;
    };
    const outageLog = throttledOutageLog(10_000);
    const send = (problem: ProblemError, reply: FastifyReply) =>
      reply.code(problem.status).headers(problem.headers).type('application/problem+json').send(problem.toBody());

    app.setErrorHandler((error: FastifyError | ProblemError | DomainError, request, reply) => {
      // A request no route answers is a 404 or 405, even when its body could not be read
      // (a QUERY without a Content-Type, say): the missing route is the first thing wrong.
      const problem = request.is404 || takenPath(request, error) ? noRoute(request) : toProblem(error);
      // An outage is no bug: a line without a stack, the driver's words only, at most one
      // every ten seconds however many requests meet it. An unexpected error is logged whole.
      if (problem.code === 'service_unavailable') outageLog.refused(request.log, outageOf(error)!);
      else if (problem.code === 'internal_error') request.log.error({ err: error }, 'request failed');
      return send(problem, reply);
    });
    app.setNotFoundHandler((request, reply) => send(noRoute(request), reply));
  },
  { name: 'errors' },
);
