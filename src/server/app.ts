/**
 * The audit backend as a fastify app: verified callers, append-only storage, a FHIR view, metrics.
 * `buildAuditApp` is the factory the tests `inject` into; `startAuditServer` (server.ts) listens.
 *
 * Laid out as fastify/demo's `src/app.ts` is: the app-wide concerns (security headers, the strict
 * JSON parser, CORS, errors and the request metric; plugins/), the services decorated once
 * (plugins/services.ts), then one plugin per route group (routes/): `/api/audit/*` behind the
 * SMART-token hook (routes/audit-api.ts: events.ts, audit-event.ts), and beside it the admin's
 * verify.ts, health.ts, metrics.ts, the launch hand-off (launch-state.ts) and the built app
 * (static-app.ts). The workflow service, when given, registers its own plugin.
 */
import cors from '@fastify/cors';
import Fastify, { type FastifyInstance } from 'fastify';
import { createTokenVerifier, type TokenVerifier } from './auth/token-verifier.ts';
import type { AuditSettings } from './config.ts';
import { launchStateRoutes } from './launch-state.ts';
import { serializeRequest } from './log-redaction.ts';
import { AuditMetrics } from './metrics.ts';
import { registerErrorHandling } from './plugins/errors.ts';
import { decorateServices } from './plugins/services.ts';
import { registerStrictJson } from './plugins/strict-json.ts';
import { smartApiRoutes } from './routes/audit-api.ts';
import { healthRoutes } from './routes/health.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { verifyRoutes } from './routes/verify.ts';
import { originOf, registerSecurityHeaders, SANDBOX_EHR_ORIGIN } from './security-headers.ts';
import { registerStaticApp } from './static-app.ts';
import type { AuditStore } from './store/types.ts';
import type { WorkflowService } from './workflow/service.ts';

/**
 * The settings of the app that come from the environment (config.ts, where each is documented
 * with its variable), all optional here:
 * - `trustedIssuers`: the issuers whose tokens are accepted (ignored when `verifier` is given);
 * - `corsOrigins`: app origins allowed by CORS; none by default (same origin only);
 * - `bodyLimitBytes`: largest request body; default 1 MiB;
 * - `rateLimit`: token bucket per user and patient (verified `sub` + patient), `perSecond: 0`
 *   disables it; default 50/s with bursts of 200;
 * - `clientRateLimit`: token bucket per client (issuer + `client_id`), the ceiling for all its users
 *   together; default 500/s with bursts of 2,000;
 * - `staticDir`: serve the built app from this folder (production: app and API share one origin);
 * - `tokenCacheSeconds`: seconds of verified-token reuse (when the app builds its verifier); default 30;
 * - `adminToken`: the credential `GET /api/audit/verify` requires (`Authorization: Bearer <it>`); a
 *   SMART token is never enough; without one the route is closed (403 `admin-not-configured`);
 * - `frameAncestors`: origins allowed to frame the app (CSP `frame-ancestors`); default the sandbox
 *   EHR's, `http://127.0.0.1:4000`;
 * - `connectSrc`: origins the app may call besides this one (CSP `connect-src`), added to the
 *   origins of the trusted issuers' FHIR bases;
 * - `trustProxy`: trust `X-Forwarded-*` from the reverse proxy (`true`, or its addresses), so an
 *   answer to an HTTPS client carries HSTS; default false.
 */
export type AuditAppSettings = Pick<
  AuditSettings,
  'trustedIssuers' | 'corsOrigins' | 'bodyLimitBytes' | 'rateLimit' | 'clientRateLimit' | 'staticDir' | 'tokenCacheSeconds' | 'adminToken' | 'frameAncestors' | 'connectSrc' | 'trustProxy'
>;

/** Options of {@link buildAuditApp}: the settings, and what only code can give. */
export interface AuditAppOptions extends Partial<AuditAppSettings> {
  store: AuditStore;
  /** A ready verifier (tests, or to share one between apps). */
  verifier?: TokenVerifier;
  /** Log with pino at this level, optionally to `stream` (authorization headers are always redacted). Default off. */
  logger?: boolean | { level: string; stream?: NodeJS.WritableStream };
  metrics?: AuditMetrics;
  /** Close the store when the app closes. Default true. */
  closeStore?: boolean;
  /** The workflow service (its rest-hook endpoint is served here); off when absent. */
  workflow?: WorkflowService | null;
}

const DEFAULT_USER_RATE = { perSecond: 50, burst: 200 };
const DEFAULT_CLIENT_RATE = { perSecond: 500, burst: 2_000 };

/**
 * Builds the audit app (not listening; use `inject` or `listen`).
 *
 * @example
 * const app = buildAuditApp({ store, trustedIssuers: [{ fhirBase: 'http://127.0.0.1:4000/fhir', mode: 'jwks' }] });
 * const res = await app.inject({ method: 'GET', url: '/api/health' });
 */
export function buildAuditApp(options: AuditAppOptions): FastifyInstance {
  const { store } = options;
  const metrics = options.metrics ?? new AuditMetrics();
  const verifier =
    options.verifier ?? createTokenVerifier({ issuers: options.trustedIssuers ?? [], cacheSeconds: options.tokenCacheSeconds ?? 30 });
  const logger = options.logger ?? false;
  // Logs carry ids (request, event, patient, client), never tokens or bodies: requests are logged
  // with credentials cut out of the URL and without headers; the redact paths are a second guard.
  const redact = ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers.cookie'];
  const serializers = { req: serializeRequest };

  const app = Fastify({
    bodyLimit: options.bodyLimitBytes ?? 1024 * 1024,
    logger: logger === false ? false : logger === true ? { level: 'info', redact, serializers } : { ...logger, redact, serializers },
    return503OnClosing: true,
    ...(options.trustProxy ? { trustProxy: typeof options.trustProxy === 'boolean' ? options.trustProxy : [...options.trustProxy] } : {}),
  });

  // App-wide: on the root instance, so they apply to every route (the workflow's included).
  registerSecurityHeaders(app, {
    frameAncestors: options.frameAncestors ?? [SANDBOX_EHR_ORIGIN],
    connectSrc: [
      ...(options.trustedIssuers ?? []).map((issuer) => originOf(issuer.fhirBase)).filter((o): o is string => o !== null),
      ...(options.connectSrc ?? []),
    ],
  });
  decorateServices(app, { store, metrics, verifier });
  registerStrictJson(app);
  registerErrorHandling(app, metrics);
  void app.register(cors, {
    origin: options.corsOrigins && options.corsOrigins.length > 0 ? [...options.corsOrigins] : false,
    methods: ['GET', 'POST'],
    allowedHeaders: ['authorization', 'content-type', 'x-fhir-base', 'prefer'],
    exposedHeaders: ['retry-after', 'preference-applied'],
    maxAge: 600,
  });
  // After CORS, so the live channel's cross-origin answers carry its headers too.
  if (options.workflow) void app.register(options.workflow.plugin, { verifyToken: (token, hint) => verifier.verify(token, hint) });

  // The routes, one plugin per group.
  void app.register(smartApiRoutes, { prefix: '/api/audit', rateLimit: options.rateLimit ?? DEFAULT_USER_RATE, clientRateLimit: options.clientRateLimit ?? DEFAULT_CLIENT_RATE });
  void app.register(verifyRoutes, { adminToken: options.adminToken ?? null });
  void app.register(healthRoutes);
  void app.register(launchStateRoutes);
  void app.register(metricsRoutes);
  if (options.staticDir) registerStaticApp(app, options.staticDir);

  if (options.closeStore ?? true) app.addHook('onClose', async () => store.close());
  return app;
}
