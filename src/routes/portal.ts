// The portal API: every route here needs a client's API key and is rate limited per client.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { registerClientRateLimit, type SharedLimiterStore } from '../plugins/client-rate-limit.js';
import type { TotpService } from '../verification/totp.js';
import type { VerificationService } from '../verification/service.js';
import { registerTotpRoutes } from './totp.js';
import {
  SendCodeBody,
  SendCodeResponse,
  VerificationParams,
  VerificationView,
  VerifyCodeBody,
  VerifyCodeResponse,
} from './schemas.js';

export interface PortalRoutesOptions {
  service: VerificationService;
  totp: TotpService;
  requestsPerSecond: number;
  onRateLimited?: () => void;
  /** Where the per-client request counts are shared between processes (else in memory). */
  redis?: SharedLimiterStore;
}

export default async function portalRoutes(scope: FastifyInstance, options: PortalRoutesOptions) {
  const { service } = options;
  await registerClientRateLimit(scope, options.requestsPerSecond, options.onRateLimited, options.redis);
  scope.addHook('onRequest', scope.authenticate);
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();

  app.post('/send-code', { schema: { body: SendCodeBody, response: { 202: SendCodeResponse } } }, async (request, reply) => {
    const result = await service.sendCode(request.client!, request.body, { endUserIp: request.body.endUserIp, portalIp: request.ip, log: request.log });
    return reply.code(202).send(result);
  });

  app.post('/verify-code', { schema: { body: VerifyCodeBody, response: { 200: VerifyCodeResponse } } }, async (request) => {
    const body = request.body;
    const context = { endUserIp: body.endUserIp, portalIp: request.ip, log: request.log };
    const target = 'verificationId' in body ? { verificationId: body.verificationId } : { email: body.email, purpose: body.purpose ?? 'login' };
    return service.verifyCode(request.client!, target, body.code, context);
  });

  app.get('/verifications/:id', { schema: { params: VerificationParams, response: { 200: VerificationView } } }, async (request) =>
    service.getVerification(request.client!, request.params.id),
  );

  app.delete('/verifications/:id', { schema: { params: VerificationParams } }, async (request, reply) => {
    await service.cancelVerification(request.client!, request.params.id);
    return reply.code(204).send();
  });
  registerTotpRoutes(scope, options.totp);
}
