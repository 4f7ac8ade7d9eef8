// Authenticator apps (TOTP) and recovery codes, beside email codes: the same API keys, the
// same per-client request limit and the same assertions.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { TotpService } from '../../totp/service.js';
import { operation, routeOf } from '../operation.js';
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

const secondFactorVerified = 'The code is right; the assertion says which method was used.';

export const enrollTotp = operation({
  method: 'POST',
  url: '/totp/enrollments',
  schema: { body: TotpEnrollmentRequest, response: { 201: TotpEnrollment } },
  operationId: 'enrollTotp',
  summary: 'Start enrolling an authenticator app (QR code and secret; expires after 10 minutes)',
  description:
    "The secret is for manual entry and is shown only here; it is stored encrypted. The issuer in the app is the client's name; SHA-1, 6 digits, 30 s (what every app reads).\n",
  responses: { 201: 'A pending enrolment.' },
  problems: ['totpAlreadyEnabled'],
  examples: { example: { userRef: 'user-42', accountName: 'alice@acme.example' } },
});

export const confirmTotp = operation({
  method: 'POST',
  url: '/totp/enrollments/:id/confirm',
  schema: { params: EnrollmentParams, body: TotpConfirmRequest, response: { 200: TotpConfirmation } },
  operationId: 'confirmTotp',
  summary: 'Confirm an enrolment with a code from the app; returns 10 recovery codes, shown once',
  responses: { 200: 'The factor is active.' },
  problems: ['enrollmentNotFound', 'invalidCode', 'totpLocked'],
});

export const verifyTotp = operation({
  method: 'POST',
  url: '/totp/verify',
  schema: { body: TotpVerifyRequest, response: { 200: SecondFactorVerified } },
  operationId: 'verifyTotp',
  summary: "Check a code from the user's authenticator app and receive an assertion",
  description:
    'The current 30-second step, the one before and the one after are accepted; a step at or before the last accepted one is refused (replay). MAX_ATTEMPTS wrong codes in a row lock the factor for 15 minutes.\n',
  responses: { 200: secondFactorVerified },
  problems: ['totpNotEnabled', 'invalidCode', 'totpLocked', 'firstFactorRefused'],
});

export const recoverTotp = operation({
  method: 'POST',
  url: '/totp/recover',
  schema: { body: TotpRecoverRequest, response: { 200: SecondFactorVerified } },
  operationId: 'recoverTotp',
  summary: 'Use one recovery code instead of an app code (each works once)',
  responses: { 200: secondFactorVerified },
  problems: ['totpNotEnabled', 'invalidCode', 'totpLocked', 'firstFactorRefused'],
});

export const getTotpStatus = operation({
  method: 'GET',
  url: '/totp/:userRef',
  schema: { params: UserRefParams, response: { 200: TotpStatus } },
  operationId: 'getTotpStatus',
  summary: 'Whether the user has an authenticator app, since when, and recovery codes left',
  responses: { 200: "The user's second-factor status." },
});

export const resetTotp = operation({
  method: 'DELETE',
  url: '/totp/:userRef',
  schema: { params: UserRefParams },
  operationId: 'resetTotp',
  summary: "Support's reset (a lost phone) — the factor and its recovery codes are removed; audited",
  responses: { 204: 'Reset.' },
  problems: ['totpNotEnabled'],
});

export const regenerateRecoveryCodes = operation({
  method: 'POST',
  url: '/totp/:userRef/recovery-codes',
  schema: { params: UserRefParams, response: { 200: RecoveryCodesResponse } },
  operationId: 'regenerateRecoveryCodes',
  summary: 'New recovery codes (the old ones stop working), shown once',
  responses: { 200: 'Ten new recovery codes.' },
  problems: ['totpNotEnabled'],
});

export const totpOperations = [
  enrollTotp,
  confirmTotp,
  verifyTotp,
  recoverTotp,
  getTotpStatus,
  resetTotp,
  regenerateRecoveryCodes,
];

/** Registered inside the API-key scope (routes/client-api.ts). */
export function registerTotpRoutes(scope: FastifyInstance, totp: TotpService) {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();

  app.route({
    ...routeOf(enrollTotp),
    handler: async (request, reply) => {
      const enrollment = await totp.enroll(request.client!, request.body);
      return reply.code(201).send({ ...enrollment, expiresAt: iso(enrollment.expiresAt) });
    },
  });

  app.route({
    ...routeOf(confirmTotp),
    handler: async (request) => totp.confirm(request.client!, request.params.id, request.body.code, byPortal(request)),
  });

  app.route({
    ...routeOf(verifyTotp),
    handler: async (request) => {
      const passed = await totp.verify(request.client!, request.body, byPortal(request));
      return { ...passed, expiresAt: iso(passed.expiresAt) };
    },
  });

  app.route({
    ...routeOf(recoverTotp),
    handler: async (request) => {
      const passed = await totp.recover(request.client!, request.body, byPortal(request));
      return { ...passed, expiresAt: iso(passed.expiresAt) };
    },
  });

  app.route({
    ...routeOf(getTotpStatus),
    handler: async (request) => {
      const status = await totp.status(request.client!, request.params.userRef);
      return { ...status, enabledSince: status.enabledSince === null ? null : iso(status.enabledSince) };
    },
  });

  app.route({
    ...routeOf(resetTotp),
    handler: async (request, reply) => {
      await totp.reset(request.client!, request.params.userRef, byPortal(request));
      return reply.code(204).send();
    },
  });

  app.route({
    ...routeOf(regenerateRecoveryCodes),
    handler: async (request) =>
      totp.regenerateRecoveryCodes(request.client!, request.params.userRef, byPortal(request)),
  });
}
