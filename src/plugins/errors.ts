// Every error leaves as RFC 9457 problem+json with one of SPEC's codes; a 5xx never
// carries a message, stack or anything else from inside.
import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ProblemError, problems } from '../errors.js';

function toProblem(error: FastifyError | ProblemError): ProblemError {
  if (error instanceof ProblemError) return error;
  if (error.validation) {
    return problems.invalidRequest(`${error.validationContext ?? 'request'}${error.message.replace(/^(body|params|querystring|headers)/, '')}`);
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) return problems.invalidRequest(error.message, status);
  return problems.internal();
}

/** "GET /verifications/:id" → the methods each path pattern answers, to tell a 405 from a 404. */
function methodsByPath(routes: readonly string[]): { path: RegExp; methods: string[] }[] {
  const byUrl = new Map<string, string[]>();
  for (const route of routes) {
    const [method, url] = route.split(' ') as [string, string];
    byUrl.set(url, [...(byUrl.get(url) ?? []), method]);
  }
  return [...byUrl].map(([url, methods]) => ({
    path: new RegExp(`^${url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z]+/g, '[^/]+')}$`),
    methods: [...new Set(methods)].sort(),
  }));
}

export default fp(
  async function errors(app: FastifyInstance, options: { routes: readonly string[] }) {
    app.setErrorHandler((error: FastifyError | ProblemError, request, reply) => {
      const problem = toProblem(error);
      if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
      return reply.code(problem.status).headers(problem.headers).type('application/problem+json').send(problem.toBody());
    });
    let known: ReturnType<typeof methodsByPath> | undefined;
    app.setNotFoundHandler((request, reply) => {
      const path = request.url.split('?')[0]!;
      known ??= methodsByPath(options.routes);
      const allowed = known.find((route) => route.path.test(path))?.methods;
      const problem = allowed
        ? problems.methodNotAllowed(`${path} answers ${allowed.join(', ')}, not ${request.method}.`, allowed)
        : problems.notFound(`No route for ${request.method} ${path}.`);
      return reply.code(problem.status).headers(problem.headers).type('application/problem+json').send(problem.toBody());
    });
  },
  { name: 'errors' },
);
