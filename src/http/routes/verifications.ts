// Email codes: send, verify, look at and cancel a verification. Routes shape the service's
// answers for the wire (times as ISO 8601); refusals are DomainErrors, worded by problems.ts.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ClientEventType } from '../../events/model.js';
import type { EventsService } from '../../events/service.js';
import type { VerificationService } from '../../verification/service.js';
import { deliveryStatus } from '../../verification/model.js';
import { operation, routeOf } from '../operation.js';
import {
  SendCodeRequest,
  SendCodeResponse,
  VerificationParams,
  Verification,
  VerifyCodeRequest,
  VerifyCodeResponse,
  VerifyLinkRequest,
} from '../schemas/verification.js';
import { byPortal, iso } from '../wire.js';

export const sendCode = operation({
  method: 'POST',
  url: '/send-code',
  schema: { body: SendCodeRequest, response: { 202: SendCodeResponse } },
  operationId: 'sendCode',
  summary: 'Mail a new code (or resend within the pending verification)',
  responses: { 202: 'The code is queued for delivery.' },
  problems: ['domainNotAllowed', 'addressUndeliverable'],
  examples: { example: { email: 'alice@acme.example', purpose: 'signup', locale: 'en' } },
});

export const verifyCode = operation({
  method: 'POST',
  url: '/verify-code',
  schema: { body: VerifyCodeRequest, response: { 200: VerifyCodeResponse } },
  operationId: 'verifyCode',
  summary: 'Check a code and receive a signed verification assertion',
  responses: { 200: 'The code is right; the verification is now used.' },
  problems: [
    'verificationNotFound',
    'alreadyVerified',
    'codeExpired',
    'verificationCanceled',
    'invalidCode',
    'tooManyAttempts',
  ],
  examples: {
    byId: { verificationId: 'vf_3Jm0n0Wq8c6Qm0z5Yx1h2A', code: '123456' },
    byAddress: { email: 'alice@acme.example', purpose: 'login', code: '123456' },
  },
});

export const verifyLink = operation({
  method: 'POST',
  url: '/verify-link',
  schema: { body: VerifyLinkRequest, response: { 200: VerifyCodeResponse } },
  operationId: 'verifyLink',
  summary: 'Use a continue link (in the browser that asked) and receive the signed assertion',
  responses: { 200: 'The link is right and the browser the one that asked; the verification is now used.' },
  problems: [
    'linkNotFound',
    'differentBrowser',
    'alreadyVerified',
    'codeExpired',
    'verificationCanceled',
    'tooManyAttempts',
  ],
  examples: {
    example: {
      token: 'q9Vv3m1Zr4Hc0bX8TnY2kLw7Ae5Jd6Pf',
      browserBinding: 'pD5n6nC1u0WmRk3sZ2yVqLx8tHfGa9eJb4oIcM7wQeU',
    },
  },
});

export const getVerification = operation({
  method: 'GET',
  url: '/verifications/:id',
  schema: { params: VerificationParams, response: { 200: Verification } },
  operationId: 'getVerification',
  summary: 'The state of a verification (only for the client that created it)',
  responses: { 200: 'The verification.' },
  problems: ['verificationNotFound'],
});

export const cancelVerification = operation({
  method: 'DELETE',
  url: '/verifications/:id',
  schema: { params: VerificationParams },
  operationId: 'cancelVerification',
  summary: 'Cancel a pending verification (its codes stop working, unsent mail is dropped)',
  responses: { 204: 'Canceled (or already unusable).' },
  problems: ['verificationNotFound', 'alreadyVerified'],
});

export const verificationOperations = [sendCode, verifyCode, verifyLink, getVerification, cancelVerification];

/** Registered inside the API-key scope (routes/client-api.ts). */
export function registerVerificationRoutes(
  scope: FastifyInstance,
  verification: VerificationService,
  events: EventsService,
) {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();

  app.route({
    ...routeOf(sendCode),
    handler: async (request, reply) => {
      const { verification: v, resendAfter } = await verification.sendCode(
        request.client!,
        request.body,
        byPortal(request, request.body.endUserIp),
      );
      return reply.code(202).send({
        verificationId: v.id,
        email: v.email,
        purpose: request.body.purpose ?? 'login',
        expiresAt: iso(v.expiresAt),
        resendAfter: iso(resendAfter),
        maxAttempts: v.maxAttempts,
      });
    },
  });

  app.route({
    ...routeOf(verifyCode),
    handler: async (request) => {
      const body = request.body;
      const target =
        'verificationId' in body
          ? { verificationId: body.verificationId }
          : { email: body.email, purpose: body.purpose ?? 'login' };
      const { assertion, expiresAt } = await verification.verifyCode(
        request.client!,
        target,
        body.code,
        byPortal(request, body.endUserIp),
      );
      return { verified: true as const, assertion, expiresAt: iso(expiresAt) };
    },
  });

  app.route({
    ...routeOf(verifyLink),
    handler: async (request) => {
      const { assertion, expiresAt } = await verification.verifyLink(
        request.client!,
        request.body,
        byPortal(request, request.body.endUserIp),
      );
      return { verified: true as const, assertion, expiresAt: iso(expiresAt) };
    },
  });

  app.route({
    ...routeOf(getVerification),
    handler: async (request) => {
      const {
        verification: v,
        status,
        delivery,
        attemptsRemaining,
      } = await verification.getVerification(request.client!, request.params.id);
      const timeline = await events.timeline(request.client!.id, v.id);
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
        timeline: timeline.map((e) => ({ type: e.type as ClientEventType, at: iso(e.at), data: e.data })),
        attemptsRemaining,
        verifiedWith: v.verifiedWith ?? null,
        expiresAt: iso(v.expiresAt),
      };
    },
  });

  app.route({
    ...routeOf(cancelVerification),
    handler: async (request, reply) => {
      await verification.cancelVerification(request.client!, request.params.id, byPortal(request));
      return reply.code(204).send();
    },
  });
}
