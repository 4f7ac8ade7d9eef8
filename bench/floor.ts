// The floor: a bare Fastify route that parses and validates a body of the same shape as
// /send-code and answers 202 — what the framework costs with no work behind it.
import { floorAnswer, floorApp, floorRouteSchema, listenForParent } from './floor-app.js';

const app = floorApp();
app.post('/send-code', { schema: floorRouteSchema }, async (request, reply) =>
  reply.code(202).send(floorAnswer(request.body)),
);
await listenForParent(app);
