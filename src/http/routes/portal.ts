// The portal API: every route here needs a client's API key and is rate limited per client.
// Routes shape the services' answers for the wire (times as ISO 8601); refusals are
// DomainErrors, worded by problems.ts.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { TotpService } from '../../totp/service.js';
import type { VerificationService } from '../../verification/service.js';
import { registerClientRateLimit, type SharedLimiterStore } from '../plugins/client-rate-limit.js';
import { SendCodeRequest, SendCodeResponse, VerificationParams, Verification, VerifyCodeRequest, VerifyCodeResponse } from '../schemas/verification.js';
import { iso, recordedRequestId } from '../wire.js';
import { registerTotpRoutes } from './totp.js';
import { registerEventRoutes } from './events.js';
import { registerSuppressionRoutes } from './suppressions.js';
import type { EventsService } from '../../events/service.js';
import type { SuppressionService } from '../../suppression/service.js';
import { deliveryStatus } from '../../verification/model.js';

export interface PortalRoutesOptions {
  verification: VerificationService;
  totp: TotpService;
  events: EventsService;
  suppressions: SuppressionService;
  requestsPerSecond: number;
  onRateLimited?: () => void;
  /** Where the per-client request counts are shared between processes (else in memory). */
  redis?: SharedLimiterStore;
}

export default async function portalRoutes(scope: FastifyInstance, options: PortalRoutesOptions) {
  const { verification } = options;
  await registerClientRateLimit(scope, options.requestsPerSecond, options.onRateLimited, options.redis);
  scope.addHook('onRequest', scope.authenticate);
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();

  app.post('/send-code', { schema: { body: SendCodeRequest, response: { 202: SendCodeResponse } } }, async (request, reply) => {
    const context = { endUserIp: request.body.endUserIp, portalIp: request.ip, log: request.log, requestId: recordedRequestId(request) };
    const { verification: v, resendAfter } = await verification.sendCode(request.client!, request.body, context);
    return reply.code(202).send({
      verificationId: v.id,
      email: v.email,
      purpose: v.purpose,
      expiresAt: iso(v.expiresAt),
      resendAfter: iso(resendAfter),
      maxAttempts: v.maxAttempts,
    });
  });

  app.post('/verify-code', { schema: { body: VerifyCodeRequest, response: { 200: VerifyCodeResponse } } }, async (request) => {
    const body = request.body;
    const context = { endUserIp: body.endUserIp, portalIp: request.ip, log: request.log, requestId: recordedRequestId(request) };
    const target = 'verificationId' in body ? { verificationId: body.verificationId } : { email: body.email, purpose: body.purpose ?? 'login' };
    const { assertion, expiresAt } = await verification.verifyCode(request.client!, target, body.code, context);
    return { verified: true as const, assertion, expiresAt: iso(expiresAt) };
  });

  app.get('/verifications/:id', { schema: { params: VerificationParams, response: { 200: Verification } } }, async (request) => {
    const { verification: v, status, delivery, attemptsRemaining } = await verification.getVerification(request.client!, request.params.id);
    const timeline = await options.events.timeline(request.client!.id, v.id);
    return {
      id: v.id,
      email: v.email,
      purpose: v.purpose,
      status,
      delivery: delivery ? deliveryStatus(delivery) : 'queued',
      deliveryAttempts: delivery?.attempts ?? 0,
      lastDeliveryError: delivery?.lastError ?? null,
      lastReply: delivery?.lastReply ?? null,
      enhancedStatus: delivery?.enhancedStatus ?? null,
      queueId: delivery?.queueId ?? null,
      timeline: timeline.map((e) => ({ type: e.type, at: iso(e.at), data: e.data })),
      attemptsRemaining,
      expiresAt: iso(v.expiresAt),
    };
  });

  app.delete('/verifications/:id', { schema: { params: VerificationParams } }, async (request, reply) => {
    await verification.cancelVerification(request.client!, request.params.id, { portalIp: request.ip, requestId: recordedRequestId(request) });
    return reply.code(204).send();
  });
  registerTotpRoutes(scope, options.totp);
  registerEventRoutes(scope, options.events);
  registerSuppressionRoutes(scope, options.suppressions);
}
