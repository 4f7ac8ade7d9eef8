// GET /metrics in Prometheus text format, and the HTTP latency histogram behind it.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Metrics } from '../../shared/metrics.js';

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
    app.get('/metrics', async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));
  },
  { name: 'metrics' },
);
