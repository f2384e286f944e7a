/** `GET /api/health`: whether the store answers (no token; for load balancers and the runbook). */
import type { FastifyInstance } from 'fastify';

/** The route. */
export async function healthRoutes(app: FastifyInstance): Promise<void> {
  const store = app.auditStore;
  app.get('/api/health', async (_request, reply) => {
    try {
      await store.ping();
      return await reply.send({ status: 'ok', store: store.dialect });
    } catch {
      return reply.code(503).send({ status: 'unavailable', store: store.dialect });
    }
  });
}
