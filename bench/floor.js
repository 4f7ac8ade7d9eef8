// The floor: a bare Fastify route that parses and validates a body of the same shape as
// /send-code and answers 202 — what the framework costs with no work behind it.
import Fastify from 'fastify';
import { SendCodeBody, SendCodeResponse } from '../dist/src/routes/schemas.js';

const app = Fastify({ logger: false, ajv: { customOptions: { coerceTypes: false, removeAdditional: false } } });
app.post('/send-code', { schema: { body: SendCodeBody, response: { 202: SendCodeResponse } } }, async (request, reply) =>
  reply.code(202).send({
    verificationId: 'vf_floor',
    email: request.body.email,
    purpose: request.body.purpose ?? 'login',
    expiresAt: '2026-01-01T00:10:00.000Z',
    resendAfter: '2026-01-01T00:00:30.000Z',
    maxAttempts: 5,
  }),
);
await app.listen({ port: 0, host: '127.0.0.1' });
process.send?.({ port: app.server.address().port });
process.on('disconnect', () => process.exit(0));
