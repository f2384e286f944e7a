/** `GET /api/metrics`: the counters in Prometheus text format (metrics.ts). */
import type { FastifyInstance } from 'fastify';

/** The route. */
export async function metricsRoutes(app: FastifyInstance): Promise<void> {
  const metrics = app.auditMetrics;
  app.get('/api/metrics', async (_request, reply) => reply.type('text/plain; version=0.0.4; charset=utf-8').send(metrics.render()));
}
