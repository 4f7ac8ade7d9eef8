// GET /suppressions and DELETE /suppressions/{email}: the addresses the calling client's
// mail bounced from, and lifting one.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { SuppressionService } from '../../suppression/service.js';
import { SuppressionList, SuppressionParams } from '../schemas/suppressions.js';
import { iso, recordedRequestId } from '../wire.js';

/** Registered inside the portal routes' scope (API key and request limit already apply). */
export function registerSuppressionRoutes(scope: FastifyInstance, suppressions: SuppressionService) {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  app.get('/suppressions', { schema: { response: { 200: SuppressionList } } }, async (request) => {
    const list = await suppressions.list(request.client!);
    return {
      suppressions: list.map((s) => ({ email: s.email, reason: s.reason, enhancedStatus: s.enhancedStatus, verificationId: s.verificationId, suppressedAt: iso(s.createdAt), until: iso(s.until) })),
    };
  });
  app.delete('/suppressions/:email', { schema: { params: SuppressionParams } }, async (request, reply) => {
    await suppressions.lift(request.client!, request.params.email, { actor: 'portal', requestId: recordedRequestId(request) });
    return reply.code(204).send();
  });
}
