// GET /suppressions and DELETE /suppressions/{email}: the addresses the calling client's
// mail bounced from, and lifting one.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { SuppressionService } from '../../suppression/service.js';
import { operation, routeOf } from '../operation.js';
import { SuppressionList, SuppressionParams } from '../schemas/suppressions.js';
import { byPortal, iso } from '../wire.js';

export const listSuppressions = operation({
  method: 'GET',
  url: '/suppressions',
  schema: { response: { 200: SuppressionList } },
  operationId: 'listSuppressions',
  summary: "Addresses the client's mail bounced from: no code is sent to them until `until`",
  responses: { 200: 'The suppressions that still last.' },
});

export const liftSuppression = operation({
  method: 'DELETE',
  url: '/suppressions/:email',
  schema: { params: SuppressionParams },
  operationId: 'liftSuppression',
  summary: 'Lift a suppression: codes are mailed to the address again',
  responses: { 204: 'Lifted.' },
  problems: ['suppressionNotFound'],
});

export const suppressionOperations = [listSuppressions, liftSuppression];

/** Registered inside the API-key scope (routes/client-api.ts). */
export function registerSuppressionRoutes(scope: FastifyInstance, suppressions: SuppressionService) {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  app.route({
    ...routeOf(listSuppressions),
    handler: async (request) => {
      const list = await suppressions.list(request.client!);
      return {
        suppressions: list.map((s) => ({
          email: s.email,
          reason: s.reason,
          enhancedStatus: s.enhancedStatus,
          verificationId: s.verificationId,
          suppressedAt: iso(s.createdAt),
          until: iso(s.until),
        })),
      };
    },
  });
  app.route({
    ...routeOf(liftSuppression),
    handler: async (request, reply) => {
      await suppressions.lift(request.client!, request.params.email, byPortal(request));
      return reply.code(204).send();
    },
  });
}
