/**
 * What the audit app's routes share, decorated on the app once (fastify's way of handing a plugin
 * its dependencies; fastify/demo's `plugins/app`): the store, the metrics and the token verifier.
 * Route plugins read them from the instance they are registered on.
 */
import type { FastifyInstance } from 'fastify';
import type { TokenVerifier } from '../auth/token-verifier.ts';
import type { AuditMetrics } from '../metrics.ts';
import type { AuditStore } from '../store/types.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The audit store (append-only, hash-chained). */
    auditStore: AuditStore;
    /** The counters `GET /api/metrics` renders. */
    auditMetrics: AuditMetrics;
    /** Verifies the SMART access tokens of `/api/audit/*` (and the workflow's live channel). */
    tokenVerifier: TokenVerifier;
  }
}

/** The services of {@link decorateServices}. */
export interface AuditServices {
  store: AuditStore;
  metrics: AuditMetrics;
  verifier: TokenVerifier;
}

/** Decorates the root instance, so that every route plugin sees the services. */
export function decorateServices(app: FastifyInstance, services: AuditServices): void {
  app.decorate('auditStore', services.store);
  app.decorate('auditMetrics', services.metrics);
  app.decorate('tokenVerifier', services.verifier);
}
