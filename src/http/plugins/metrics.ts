// GET /metrics in Prometheus text format, and the HTTP latency histogram behind it.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Metrics } from '../../shared/metrics.js';
import { operation, routeOf } from '../operation.js';

export const metricsOperation = operation({
  method: 'GET',
  url: '/metrics',
  schema: {},
  operationId: 'metrics',
  summary: 'Prometheus metrics (codes sent, verified, failed, locked; mail delivery; rate limits; HTTP latency)',
  responses: {
    200: { description: 'Prometheus text exposition format.', content: { 'text/plain': { type: 'string' } } },
  },
  open: true,
});

export default fp(
  async function metricsPlugin(app: FastifyInstance, options: { metrics: Metrics }) {
    const { metrics } = options;
    app.addHook('onResponse', async (request, reply) => {
      metrics.httpDuration.observe(
        // The route pattern, not the URL, keeps the label set small (no ids in labels).
        { method: request.method, route: request.routeOptions.url ?? 'unknown', status_code: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
    });
    app.route({
      ...routeOf(metricsOperation),
      handler: async (_request, reply) =>
        reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
    });
  },
  { name: 'metrics' },
);
