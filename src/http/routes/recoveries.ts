// A lost authenticator recovered by email (recovery/): the portal starts it for a person,
// passes on the mailed code, reads where it stands, and may cancel it.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { Recovery, RecoveryStatus } from '../../recovery/model.js';
import type { RecoveryService } from '../../recovery/service.js';
import { operation, routeOf } from '../operation.js';
import {
  ConfirmRecoveryRequest,
  PersonRecoveriesParams,
  Recovery as RecoveryBody,
  RecoveryList,
  RecoveryParams,
  StartRecoveryRequest,
} from '../schemas/recoveries.js';
import { byPortal, iso } from '../wire.js';

const orNull = (at: number | null) => (at === null ? null : iso(at));

/** A recovery as the portal reads it (never the verification behind it, nor a reason support gave). */
const described = (r: Recovery, status: RecoveryStatus) => ({
  id: r.id,
  userRef: r.userRef,
  status,
  createdAt: iso(r.createdAt),
  codeExpiresAt: iso(r.codeExpiresAt),
  startedAt: orNull(r.startedAt),
  completesAt: orNull(r.completesAt),
  endedAt: orNull(r.endedAt),
  endedBy: r.endedBy,
});

export const startRecovery = operation({
  method: 'POST',
  url: '/people/:userRef/recoveries',
  schema: { params: PersonRecoveriesParams, body: StartRecoveryRequest, response: { 202: RecoveryBody } },
  operationId: 'startRecovery',
  summary: 'A person lost their authenticator: mail a code to the address they proved, to start a recovery',
  description:
    "Every send limit of send-code applies. A person without an authenticator or without a proven address gets the same answer and no mail (the answer does not tell who has an account); their recovery never takes a code. One open recovery per person (409 `recovery_pending` with its `recoveryId`). A right code (POST …/confirm) starts the client's waiting period (24 hours by default); a sign-in with the authenticator or a recovery code during it cancels the recovery, and so can the portal or support. At its end the authenticator and its recovery codes are removed.\n",
  responses: { 202: 'The recovery, waiting for the mailed code.' },
  problems: ['recoveryPending', 'rateLimited', 'addressUndeliverable', 'domainNotAllowed'],
  examples: { example: { locale: 'en', endUserIp: '203.0.113.9' } },
  optionalBody: true,
});

export const confirmRecovery = operation({
  method: 'POST',
  url: '/people/:userRef/recoveries/:id/confirm',
  schema: { params: RecoveryParams, body: ConfirmRecoveryRequest, response: { 200: RecoveryBody } },
  operationId: 'confirmRecovery',
  summary: 'The code from the recovery mail: a right one starts the waiting period and tells the person',
  description:
    'Wrong codes count as for any code (`attemptsRemaining`), and the last one locks the recovery. The answer is the recovery, `waiting` until `completesAt` (or already `completed` for a client without a wait).\n',
  responses: { 200: 'The recovery, now waiting.' },
  problems: ['recoveryNotFound', 'invalidCode', 'recoveryLocked', 'recoveryCodeExpired', 'recoveryClosed'],
  examples: { example: { code: '042917' } },
});

export const listRecoveries = operation({
  method: 'GET',
  url: '/people/:userRef/recoveries',
  schema: { params: PersonRecoveriesParams, response: { 200: RecoveryList } },
  operationId: 'listRecoveries',
  summary: "A person's recoveries, newest first (the open one, if any, is the first)",
  responses: { 200: 'Their recoveries.' },
});

export const getRecovery = operation({
  method: 'GET',
  url: '/people/:userRef/recoveries/:id',
  schema: { params: RecoveryParams, response: { 200: RecoveryBody } },
  operationId: 'getRecovery',
  summary: 'Where a recovery stands, and when it completes',
  responses: { 200: 'The recovery.' },
  problems: ['recoveryNotFound'],
});

export const cancelRecovery = operation({
  method: 'POST',
  url: '/people/:userRef/recoveries/:id/cancel',
  schema: { params: RecoveryParams, response: { 200: RecoveryBody } },
  operationId: 'cancelRecovery',
  summary: 'Cancel an open recovery (the person found their phone, or did not ask for it)',
  description: 'A recovery that had started its wait mails the person that it was canceled.\n',
  responses: { 200: 'The recovery, canceled.' },
  problems: ['recoveryNotFound', 'recoveryClosed'],
});

export const recoveryOperations = [startRecovery, confirmRecovery, listRecoveries, getRecovery, cancelRecovery];

export function registerRecoveryRoutes(scope: FastifyInstance, recovery: RecoveryService) {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  const shown = (r: Recovery) => described(r, recovery.stateOf(r));
  app.route({
    ...routeOf(startRecovery),
    handler: async (request, reply) => {
      const { locale, endUserIp } = request.body;
      const started = await recovery.start(
        request.client!,
        request.params.userRef,
        { locale, endUserIp },
        byPortal(request, endUserIp),
      );
      return reply.code(202).send(shown(started));
    },
  });
  app.route({
    ...routeOf(confirmRecovery),
    handler: async (request) => {
      const { userRef, id } = request.params;
      const confirmed = await recovery.confirm(
        request.client!,
        userRef,
        id,
        request.body.code,
        byPortal(request, request.body.endUserIp),
      );
      return shown(confirmed);
    },
  });
  app.route({
    ...routeOf(listRecoveries),
    handler: async (request) => ({
      recoveries: (await recovery.list(request.client!, request.params.userRef)).map(shown),
    }),
  });
  app.route({
    ...routeOf(getRecovery),
    handler: async (request) => shown(await recovery.get(request.client!, request.params.userRef, request.params.id)),
  });
  app.route({
    ...routeOf(cancelRecovery),
    handler: async (request) =>
      shown(await recovery.cancel(request.client!, request.params.userRef, request.params.id, byPortal(request))),
  });
}
