/**
 * `GET /api/audit/verify`: walks the whole hash chain. Reading the whole site's records is an
 * admin's job, not a clinician's: it takes the admin credential (`AUDIT_ADMIN_TOKEN`), never a
 * SMART token, and without one configured the route is closed. The walk runs off the writer (see
 * the stores' `verify`), and concurrent calls share one walk.
 */
import { hash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { bearerToken } from './authenticate.ts';

/** Options of {@link verifyRoutes}. */
export interface VerifyOptions {
  /** The admin credential; null closes the route (403 `admin-not-configured`). */
  adminToken: string | null;
}

/** The route (its full path: it is registered without a prefix, outside the SMART-token scope). */
export async function verifyRoutes(app: FastifyInstance, options: VerifyOptions): Promise<void> {
  const { auditStore: store, auditMetrics: metrics } = app;
  const adminDigest = options.adminToken ? hash('sha256', options.adminToken, 'buffer') : null;
  app.get('/api/audit/verify', async (request, reply) => {
    if (!adminDigest) {
      metrics.reject('admin-not-configured');
      return reply.code(403).send({ error: 'admin-not-configured', message: 'Chain verification needs AUDIT_ADMIN_TOKEN to be set on the server.' });
    }
    const given = bearerToken(request);
    if (!given || !timingSafeEqual(hash('sha256', given, 'buffer'), adminDigest)) {
      metrics.reject('not-admin');
      void reply.header('www-authenticate', 'Bearer realm="careloop-audit-admin"');
      return reply.code(401).send({ error: 'not-admin', message: 'Chain verification needs the admin credential.' });
    }
    return reply.send(await store.verify());
  });
}
