// The floor's Fastify app and answer, shared by the floor itself and the ceilings, so a
// ceiling costs exactly the floor plus the one piece of work it adds.
import Fastify, { type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ajvOptions } from '../src/http/schemas/common.js';
import { SendCodeRequest, SendCodeResponse } from '../src/http/schemas/verification.js';

export const floorRouteSchema = { body: SendCodeRequest, response: { 202: SendCodeResponse } };

export function floorApp() {
  return Fastify({ logger: false, ajv: { customOptions: ajvOptions } }).withTypeProvider<TypeBoxTypeProvider>();
}

export function floorAnswer(body: SendCodeRequest): SendCodeResponse {
  return {
    verificationId: 'vf_floor',
    email: body.email,
    purpose: body.purpose ?? 'login',
    expiresAt: '2026-01-01T00:10:00.000Z',
    resendAfter: '2026-01-01T00:00:30.000Z',
    maxAttempts: 5,
  };
}

/** Listens on loopback and tells the parent (bench/run.ts) the port. */
export async function listenForParent(app: FastifyInstance | ReturnType<typeof floorApp>) {
  await app.listen({ port: 0, host: '127.0.0.1' });
  process.send?.({ port: (app.server.address() as AddressInfo).port });
  process.on('disconnect', () => process.exit(0));
}
