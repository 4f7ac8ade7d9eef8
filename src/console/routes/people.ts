// Looking a person up across clients, and helping them: each action needs a written
// reason, recorded with the operator in the event of the change.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { afterChange } from '../refusals.js';
import type { ConsoleServices } from '../services.js';
import { consoleContext, field, param } from '../forms.js';
import { page } from '../views.js';
import { limitNames, verdictText } from '../verdict.js';


export function registerPeopleRoutes(app: FastifyInstance, services: ConsoleServices) {
  const { support } = services;

  const showPerson = async (request: FastifyRequest, query: string, extra: Record<string, unknown> = {}) => {
    const report = query ? await support.lookUp(query, { clientId: param(request, 'client', 64) || undefined }) : null;
    const clients = await services.clients.list();
    return { title: query ? `Person: ${query}` : 'Look a person up', query, report, limitNames, verdictText, now: services.now(), clients, client: param(request, 'client', 64), ...extra };
  };

  app.get('/people', async (request, reply) => page(request, reply, 'people', await showPerson(request, param(request, 'q'))));

  /** Runs an action; the person's page again, saying what was done or why not. */
  const action = (path: string, run: (request: FastifyRequest) => Promise<{ notice: string; recoveryCodes?: string[] }>) =>
    app.post(path, async (request, reply) =>
      afterChange(
        () => run(request),
        async (extra, status) => page(request, reply, 'people', await showPerson(request, field(request, 'q'), extra), status),
      ),
    );

  const operator = (request: FastifyRequest) => request.operatorSession!.operator;
  const reason = (request: FastifyRequest) => field(request, 'reason', 600);

  action('/people/cancel', async (request) => {
    await support.cancelVerification(operator(request), field(request, 'client', 64), field(request, 'verification', 64), reason(request), consoleContext(request));
    return { notice: 'The verification is canceled: its codes and its link no longer work.' };
  });
  action('/people/lift', async (request) => {
    await support.liftSuppression(operator(request), field(request, 'client', 64), field(request, 'email'), reason(request), consoleContext(request));
    return { notice: 'The suppression is lifted: codes can be mailed to the address again.' };
  });
  action('/people/reset-authenticator', async (request) => {
    await support.resetAuthenticator(operator(request), field(request, 'client', 64), field(request, 'userRef', 200), reason(request), consoleContext(request));
    return { notice: 'The authenticator app and its recovery codes are removed. The portal will ask the person to set one up again.' };
  });
  action('/people/recovery-codes', async (request) => {
    const { recoveryCodes } = await support.regenerateRecoveryCodes(operator(request), field(request, 'client', 64), field(request, 'userRef', 200), reason(request), consoleContext(request));
    return { notice: 'New recovery codes: give them to the person over a channel you trust. They are shown only now; the old ones no longer work.', recoveryCodes };
  });
}
