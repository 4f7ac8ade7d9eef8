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

export default fp(
  async function errors(app: FastifyInstance) {
    app.setErrorHandler((error: FastifyError | ProblemError, request, reply) => {
      const problem = toProblem(error);
      if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
      return reply.code(problem.status).headers(problem.headers).type('application/problem+json').send(problem.toBody());
    });
    app.setNotFoundHandler((request, reply) => {
      const problem = problems.notFound(`No route for ${request.method} ${request.url.split('?')[0]}.`);
      return reply.code(404).type('application/problem+json').send(problem.toBody());
    });
  },
  { name: 'errors' },
);
