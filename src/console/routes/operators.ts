// The admins' page for operators: who may sign in, with which role; add one, disable one
// (their sessions end at once). The CLI does the same through the same service.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { operatorRoles, type OperatorRole } from '../../operators/model.js';
import { refuse } from '../../operators/refusals.js';
import { consoleContext, field } from '../forms.js';
import { afterChange } from '../refusals.js';
import type { ConsoleServices } from '../services.js';
import { page } from '../views.js';

const admin = { config: { admin: true } };

export function registerOperatorRoutes(app: FastifyInstance, services: ConsoleServices) {
  const { operators } = services;
  const show = async (
    request: FastifyRequest,
    reply: FastifyReply,
    extra: Record<string, unknown> = {},
    status = 200,
  ) =>
    page(
      request,
      reply,
      'operators',
      { title: 'Operators', operators: await operators.list(), roles: operatorRoles, ...extra },
      status,
    );
  const change = (path: string, run: (request: FastifyRequest) => Promise<string>) =>
    app.post(path, admin, async (request, reply) =>
      afterChange(
        async () => ({ notice: await run(request) }),
        (extra, status) => show(request, reply, extra, status),
      ),
    );

  app.get('/operators', admin, async (request, reply) => show(request, reply));
  change('/operators', async (request) => {
    const created = await operators.create(
      { email: field(request, 'email'), role: field(request, 'role', 16) as OperatorRole },
      consoleContext(request),
    );
    return `${created.email} can sign in now, as ${created.role}; they set up their authenticator app at the first sign-in.`;
  });
  change('/operators/disable', async (request) => {
    const id = field(request, 'operator', 64);
    if (id === request.operatorSession!.operator.id)
      throw refuse({ kind: 'invalid_request', detail: 'you cannot disable yourself: ask another admin.' });
    await operators.disable(id, consoleContext(request));
    return 'Disabled: their sessions have ended and they cannot sign in.';
  });
}
