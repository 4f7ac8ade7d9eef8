// Authenticator apps (TOTP) and recovery codes, beside email codes: the same API keys, the
// same per-client request limit and the same assertions.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { TotpService } from '../../totp/service.js';
import {
  TotpConfirmRequest,
  TotpConfirmation,
  TotpEnrollmentRequest,
  EnrollmentParams,
  TotpEnrollment,
  TotpRecoverRequest,
  RecoveryCodesResponse,
  SecondFactorVerified,
  TotpStatus,
  TotpVerifyRequest,
  UserRefParams,
} from '../schemas/totp.js';
import { byPortal, iso } from '../wire.js';

/** Registered inside the portal routes' scope (API key and request limit already apply). */
export function registerTotpRoutes(scope: FastifyInstance, totp: TotpService) {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();

  app.post('/totp/enrollments', { schema: { body: TotpEnrollmentRequest, response: { 201: TotpEnrollment } } }, async (request, reply) => {
    const enrollment = await totp.enroll(request.client!, request.body);
    return reply.code(201).send({ ...enrollment, expiresAt: iso(enrollment.expiresAt) });
  });

  app.post(
    '/totp/enrollments/:id/confirm',
    { schema: { params: EnrollmentParams, body: TotpConfirmRequest, response: { 200: TotpConfirmation } } },
    async (request) => totp.confirm(request.client!, request.params.id, request.body.code, byPortal(request)),
  );

  app.post('/totp/verify', { schema: { body: TotpVerifyRequest, response: { 200: SecondFactorVerified } } }, async (request) => {
    const passed = await totp.verify(request.client!, request.body, byPortal(request));
    return { ...passed, expiresAt: iso(passed.expiresAt) };
  });

  app.post('/totp/recover', { schema: { body: TotpRecoverRequest, response: { 200: SecondFactorVerified } } }, async (request) => {
    const passed = await totp.recover(request.client!, request.body, byPortal(request));
    return { ...passed, expiresAt: iso(passed.expiresAt) };
  });

  app.get('/totp/:userRef', { schema: { params: UserRefParams, response: { 200: TotpStatus } } }, async (request) => {
    const status = await totp.status(request.client!, request.params.userRef);
    return { ...status, enabledSince: status.enabledSince === null ? null : iso(status.enabledSince) };
  });

  app.delete('/totp/:userRef', { schema: { params: UserRefParams } }, async (request, reply) => {
    await totp.reset(request.client!, request.params.userRef, { reqId: request.id, ip: request.ip }, byPortal(request));
    return reply.code(204).send();
  });

  app.post('/totp/:userRef/recovery-codes', { schema: { params: UserRefParams, response: { 200: RecoveryCodesResponse } } }, async (request) =>
    totp.regenerateRecoveryCodes(request.client!, request.params.userRef, byPortal(request)),
  );
}
