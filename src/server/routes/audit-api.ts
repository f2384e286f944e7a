/**
 * The SMART-token scope of the audit API: every route registered here (events.ts,
 * audit-event.ts) runs behind the {@link authenticate} hook, as the routes of a folder with an
 * `autohooks.ts` do in fastify/demo. Registered with the `/api/audit` prefix. `GET
 * /api/audit/verify` is not in this scope: it takes the admin credential, never a SMART token
 * (verify.ts).
 */
import type { FastifyInstance } from 'fastify';
import { authenticate, type RateLimit } from './authenticate.ts';
import { auditEventRoutes } from './audit-event.ts';
import { eventsRoutes } from './events.ts';

/** Options of {@link smartApiRoutes}. */
export interface SmartApiOptions {
  rateLimit: RateLimit;
  clientRateLimit: RateLimit;
}

/** The routes that take a SMART access token, with their hook. */
export async function smartApiRoutes(app: FastifyInstance, options: SmartApiOptions): Promise<void> {
  app.decorateRequest('auditToken', null);
  app.addHook('preHandler', authenticate({ verifier: app.tokenVerifier, metrics: app.auditMetrics, rateLimit: options.rateLimit, clientRateLimit: options.clientRateLimit }));
  await app.register(eventsRoutes);
  await app.register(auditEventRoutes);
}
