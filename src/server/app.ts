/**
 * The audit backend as a fastify app: verified callers, append-only storage, a FHIR view, metrics.
 * `buildAuditApp` is the factory the tests `inject` into; `startAuditServer` (server.ts) listens.
 */
import cors from '@fastify/cors';
import { hash, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AUDIT_ACTIONS, auditBatchSchema, normalizeAuditEvent, type AuditActor, type AuditBatchReceipt, type AuditBatchResponse, type AuditRecord, type AuditTimelinePage } from '../shared/audit-event.ts';
import { FHIR_ID } from '../shared/ids.ts';
import { createTokenVerifier, TokenRejectedError, type TokenRejection, type TokenVerifier, type TrustedIssuer, type VerifiedToken } from './auth/token-verifier.ts';
import { toFhirBundle } from './fhir-audit-event.ts';
import { AuditMetrics } from './metrics.ts';
import { createRateLimiter } from './rate-limit.ts';
import { redactUrl, serializeRequest } from './log-redaction.ts';
import { originOf, registerSecurityHeaders, SANDBOX_EHR_ORIGIN } from './security-headers.ts';
import { registerStaticApp } from './static-app.ts';
import { launchStateRoutes } from './launch-state.ts';
import type { AppendBatchResult, AppendOutcome, AppendReceipt, AuditStore } from './store/types.ts';
import type { WorkflowService } from './workflow/service.ts';

/** Options of {@link buildAuditApp}. */
export interface AuditAppOptions {
  store: AuditStore;
  /** The issuers whose tokens are accepted (ignored when `verifier` is given). */
  trustedIssuers?: readonly TrustedIssuer[];
  /** A ready verifier (tests, or to share one between apps). */
  verifier?: TokenVerifier;
  /** App origins allowed by CORS; none by default (same origin only). */
  corsOrigins?: readonly string[];
  /** Largest request body in bytes. Default 1 MiB. */
  bodyLimitBytes?: number;
  /** Token bucket per user and patient (verified `sub` + patient); `perSecond: 0` disables it. Default 50/s with bursts of 200. */
  rateLimit?: { perSecond: number; burst: number };
  /** Token bucket per client (issuer + `client_id`), the ceiling for all its users together; `perSecond: 0` disables it. Default 500/s with bursts of 2,000. */
  clientRateLimit?: { perSecond: number; burst: number };
  /** Log with pino at this level, optionally to `stream` (authorization headers are always redacted). Default off. */
  logger?: boolean | { level: string; stream?: NodeJS.WritableStream };
  /** Serve the built app from this folder (production: app and API share one origin). */
  staticDir?: string | null;
  metrics?: AuditMetrics;
  /** Close the store when the app closes. Default true. */
  closeStore?: boolean;
  /** Seconds of verified-token reuse (when the app builds its own verifier). Default 30. */
  tokenCacheSeconds?: number;
  /**
   * The admin credential `GET /api/audit/verify` requires (`Authorization: Bearer <it>`); a SMART
   * token is never enough. Without one, the route is closed (403 `admin-not-configured`).
   */
  adminToken?: string | null;
  /**
   * Origins allowed to frame the app (CSP `frame-ancestors`): the EHRs' (`AUDIT_FRAME_ANCESTORS`).
   * Default: the sandbox EHR's, `http://127.0.0.1:4000`.
   */
  frameAncestors?: readonly string[];
  /**
   * Origins the app may call besides this one (CSP `connect-src`), added to the origins of the
   * trusted issuers' FHIR bases (`AUDIT_CONNECT_SRC`: e.g. an authorization server elsewhere).
   */
  connectSrc?: readonly string[];
  /**
   * Trust `X-Forwarded-*` from the reverse proxy (fastify's `trustProxy`: `true`, or its addresses),
   * so an answer to an HTTPS client carries HSTS. Default false.
   */
  trustProxy?: boolean | string | readonly string[];
  /** The workflow service (its rest-hook endpoint is served here); off when absent. */
  workflow?: WorkflowService | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified access token of an `/api/audit/*` request. */
    auditToken: VerifiedToken | null;
  }
}

const DEFAULT_PAGE = 50;
const DEFAULT_USER_RATE = { perSecond: 50, burst: 200 };
const DEFAULT_CLIENT_RATE = { perSecond: 500, burst: 2_000 };
const MAX_PAGE = 200;

const timelineQuerySchema = z.strictObject({
  patient: z.string().regex(FHIR_ID, 'must be a FHIR id'),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  action: z
    .string()
    .transform((s) => s.split(',').filter(Boolean))
    .pipe(z.array(z.enum(AUDIT_ACTIONS)))
    .optional(),
  /** `careloop`: only records whose verified actor is a configured Careloop client (how the app reads decisions back). */
  actor: z.literal('careloop').optional(),
  cursor: z.string().regex(/^[1-9]\d{0,15}$/, 'is not a cursor this server issued').optional(),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE).optional(),
  _count: z.coerce.number().int().min(1).max(MAX_PAGE).optional(),
});

/** The status and `WWW-Authenticate` error for each refusal of a token. */
function statusOf(reason: TokenRejection): number {
  switch (reason) {
    case 'issuer-unavailable':
      return 503;
    case 'missing-token':
    case 'malformed-token':
    case 'unknown-issuer':
    case 'bad-signature':
    case 'expired':
    case 'wrong-audience':
    case 'inactive':
      return 401;
    case 'untrusted-client':
    case 'insufficient-scope':
      return 403;
  }
}

function zodIssues(error: z.ZodError): Array<{ path: string; message: string }> {
  return error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
}

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
  const userLimiter = createRateLimiter(options.rateLimit ?? DEFAULT_USER_RATE);
  const clientLimiter = createRateLimiter(options.clientRateLimit ?? DEFAULT_CLIENT_RATE);
  const logger = options.logger ?? false;
  // Logs carry ids (request, event, patient, client), never tokens or bodies: requests are logged
  // with credentials cut out of the URL and without headers; the redact paths are a second guard.
  const redact = ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers.cookie'];
  const serializers = { req: serializeRequest };

  const app = Fastify({
    bodyLimit: options.bodyLimitBytes ?? 1024 * 1024,
    logger: logger === false ? false : logger === true ? { level: 'info', redact, serializers } : { ...logger, redact, serializers },
    return503OnClosing: true,
    ...(options.trustProxy ? { trustProxy: typeof options.trustProxy === 'boolean' || typeof options.trustProxy === 'string' ? options.trustProxy : [...options.trustProxy] } : {}),
  });
  registerSecurityHeaders(app, {
    frameAncestors: options.frameAncestors ?? [SANDBOX_EHR_ORIGIN],
    connectSrc: [
      ...(options.trustedIssuers ?? []).map((issuer) => originOf(issuer.fhirBase)).filter((o): o is string => o !== null),
      ...(options.connectSrc ?? []),
    ],
  });
  app.decorateRequest('auditToken', null);
  // fastify's own 404 logs and echoes the raw URL (query string and any token in it included).
  app.setNotFoundHandler((request, reply) => {
    request.log.info({ url: redactUrl(request.url) }, 'route not found');
    return reply.code(404).send({ error: 'not-found', message: 'No such route.' });
  });

  // JSON bodies must be valid UTF-8: fastify's parser would store U+FFFD for a bad byte instead.
  const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body: Buffer, done) => {
    let text: string;
    try {
      text = utf8.decode(body);
    } catch {
      return done(Object.assign(new Error('The body is not valid UTF-8.'), { statusCode: 400, code: 'FST_ERR_CTP_INVALID_UTF8' }), undefined);
    }
    if (text.trim() === '') return done(Object.assign(new Error('The body is empty.'), { statusCode: 400, code: 'FST_ERR_CTP_EMPTY_JSON_BODY' }), undefined);
    try {
      return done(null, JSON.parse(text) as unknown);
    } catch {
      return done(Object.assign(new Error('The body is not JSON.'), { statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON' }), undefined);
    }
  });

  if (options.workflow) void app.register(options.workflow.plugin, { verifyToken: (token, hint) => verifier.verify(token, hint) });
  void app.register(cors, {
    origin: options.corsOrigins && options.corsOrigins.length > 0 ? [...options.corsOrigins] : false,
    methods: ['GET', 'POST'],
    allowedHeaders: ['authorization', 'content-type', 'x-fhir-base', 'prefer'],
    exposedHeaders: ['retry-after', 'preference-applied'],
    maxAge: 600,
  });

  app.addHook('onResponse', async (request, reply) => {
    metrics.observeRequest(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
  });

  app.setErrorHandler((error: { statusCode?: number; code?: string; message: string }, request, reply) => {
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    if (status >= 500) {
      request.log.error({ err: { code: error.code, message: error.message } }, 'audit request failed');
      return reply.code(status).send({ error: 'internal', message: 'The audit server could not complete the request.' });
    }
    const reason = error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'body-too-large' : error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'unsupported-media-type' : 'invalid-request';
    metrics.reject(reason);
    return reply.code(status).send({ error: reason, message: error.message });
  });

  async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer[ ]+(\S+)\s*$/i.exec(header) : null;
    try {
      if (!match?.[1]) throw new TokenRejectedError('missing-token');
      const hint = request.headers['x-fhir-base'];
      request.auditToken = await verifier.verify(match[1], typeof hint === 'string' ? hint : undefined);
    } catch (error) {
      const reason: TokenRejection = error instanceof TokenRejectedError ? error.reason : 'issuer-unavailable';
      metrics.reject(reason);
      const status = statusOf(reason);
      request.log.info({ reason }, 'access token rejected');
      if (status === 401) {
        void reply.header('www-authenticate', reason === 'missing-token' ? 'Bearer realm="careloop-audit"' : `Bearer realm="careloop-audit", error="invalid_token"`);
      }
      if (reason === 'insufficient-scope') void reply.header('www-authenticate', 'Bearer realm="careloop-audit", error="insufficient_scope", scope="openid fhirUser launch"');
      return reply.code(status).send({ error: reason, message: `The access token was not accepted (${reason}).` });
    }
    const token = request.auditToken;
    // One bucket per user and patient, so one clinician's flood never slows another's writes; and
    // one per client, a higher ceiling for the whole deployment. The user's is asked first, so a
    // flooding user spends only their own tokens.
    const client = `${token.fhirBase}|${token.clientId ?? ''}`;
    const user = userLimiter.take(`${client}|${token.sub ?? ''}|${token.patient ?? ''}`);
    const decision = user.allowed ? clientLimiter.take(client) : user;
    if (!decision.allowed) {
      metrics.reject(user.allowed ? 'client-rate-limited' : 'rate-limited');
      void reply.header('retry-after', String(decision.retryAfterSeconds));
      return reply.code(429).send({ error: 'rate-limited', message: user.allowed ? 'Too many requests from this app; retry later.' : 'Too many requests from this user for this patient; retry later.' });
    }
  }

  function forbidPatient(reply: FastifyReply): FastifyReply {
    metrics.reject('patient-mismatch');
    return reply.code(403).send({ error: 'patient-mismatch', message: "The token is not for this patient." });
  }

  void app.register(
    async (api) => {
      api.addHook('preHandler', authenticate);

      api.post('/events', async (request, reply) => {
        const parsed = auditBatchSchema.safeParse(request.body);
        if (!parsed.success) {
          metrics.reject('invalid-request');
          return reply.code(400).send({ error: 'invalid-request', message: 'The batch does not match the audit event schema.', issues: zodIssues(parsed.error) });
        }
        const token = request.auditToken;
        if (!token) throw new Error('unauthenticated request reached a handler');
        if (parsed.data.events.some((e) => e.patient !== token.patient)) return forbidPatient(reply);

        const events = parsed.data.events.map(normalizeAuditEvent);
        const actor: AuditActor = { sub: token.sub, fhirUser: token.fhirUser, clientId: token.clientId, issuer: token.fhirBase };
        // `Prefer: return=minimal` (RFC 7240): the receipt only (id, status, seq, hash), not the records.
        if (/\breturn=minimal\b/.test(String(request.headers['prefer'] ?? ''))) {
          const stored = settle(await store.append(events, actor, { returning: 'receipts' }), request, reply, token);
          if (!stored) return reply;
          const minimal: AuditBatchReceipt = { results: stored.results.map((r) => ({ id: r.record.id, status: r.status, seq: r.record.seq, hash: r.record.hash })) };
          return reply.code(stored.created > 0 ? 201 : 200).header('preference-applied', 'return=minimal').send(minimal);
        }
        const stored = settle(await store.append(events, actor), request, reply, token);
        if (!stored) return reply;
        const body: AuditBatchResponse = { results: stored.results.map((r) => ({ id: r.record.id, status: r.status, record: r.record })) };
        return reply.code(stored.created > 0 ? 201 : 200).send(body);
      });

      /** Counts and logs an append; answers 409 (and returns null) when it conflicted. */
      function settle<R extends AppendReceipt>(
        result: AppendBatchResult<R>,
        request: FastifyRequest,
        reply: FastifyReply,
        token: VerifiedToken,
      ): { results: Array<AppendOutcome<R>>; created: number } | null {
        if (result.kind === 'conflict') {
          metrics.reject('conflict', result.conflictingIds.length);
          request.log.info({ conflictingIds: result.conflictingIds }, 'audit events conflict with stored records');
          void reply.code(409).send({
            error: 'conflict',
            message: 'An event id was already stored with a different body; nothing in this batch was stored.',
            conflictingIds: result.conflictingIds,
          });
          return null;
        }
        let created = 0;
        for (const r of result.results) if (r.status === 'created') created += 1;
        metrics.accepted += created;
        metrics.duplicates += result.results.length - created;
        request.log.info({ eventIds: result.results.map((r) => r.record.id), created, clientId: token.clientId }, 'audit events stored');
        return { results: result.results, created };
      }

      async function page(request: FastifyRequest, reply: FastifyReply): Promise<{ records: AuditRecord[]; next: string | null; query: URLSearchParams } | null> {
        const parsed = timelineQuerySchema.safeParse(request.query);
        if (!parsed.success) {
          metrics.reject('invalid-request');
          await reply.code(400).send({ error: 'invalid-request', message: 'Bad query parameters.', issues: zodIssues(parsed.error) });
          return null;
        }
        const q = parsed.data;
        if (q.patient !== request.auditToken?.patient) {
          await forbidPatient(reply);
          return null;
        }
        const limit = q.limit ?? q._count ?? DEFAULT_PAGE;
        const rows = await store.timeline({
          patient: q.patient,
          from: q.from === undefined ? undefined : new Date(q.from).toISOString(),
          to: q.to === undefined ? undefined : new Date(q.to).toISOString(),
          actions: q.action,
          beforeSeq: q.cursor === undefined ? undefined : Number(q.cursor),
          actors: q.actor === 'careloop' ? verifier.careloopClients() : undefined,
          limit: limit + 1,
        });
        const records = rows.slice(0, limit);
        const last = records[records.length - 1];
        const next = rows.length > limit && last ? String(last.seq) : null;
        const query = new URLSearchParams();
        for (const [k, v] of Object.entries(request.query as Record<string, unknown>)) if (typeof v === 'string' && k !== 'cursor') query.set(k, v);
        return { records, next, query };
      }

      api.get('/events', async (request, reply) => {
        const result = await page(request, reply);
        if (!result) return reply;
        const body: AuditTimelinePage = { records: result.records, nextCursor: result.next };
        return reply.send(body);
      });

      api.get('/AuditEvent', async (request, reply) => {
        const result = await page(request, reply);
        if (!result) return reply;
        const base = `${request.protocol}://${request.host}/api/audit/AuditEvent`;
        const self = `${base}?${result.query.toString()}`;
        const nextQuery = new URLSearchParams(result.query);
        if (result.next) nextQuery.set('cursor', result.next);
        return reply
          .type('application/fhir+json; charset=utf-8')
          .send(toFhirBundle(result.records, self, result.next ? `${base}?${nextQuery.toString()}` : null));
      });

    },
    { prefix: '/api/audit' },
  );

  // Walking the chain reads the whole site's records: an admin's job, not a clinician's. It runs
  // off the writer (see the stores' verify), and concurrent calls share one walk.
  const adminDigest = options.adminToken ? hash('sha256', options.adminToken, 'buffer') : null;
  app.get('/api/audit/verify', async (request, reply) => {
    if (!adminDigest) {
      metrics.reject('admin-not-configured');
      return reply.code(403).send({ error: 'admin-not-configured', message: 'Chain verification needs AUDIT_ADMIN_TOKEN to be set on the server.' });
    }
    const header = request.headers.authorization;
    const given = typeof header === 'string' ? /^Bearer[ ]+(\S+)\s*$/i.exec(header)?.[1] : undefined;
    if (!given || !timingSafeEqual(hash('sha256', given, 'buffer'), adminDigest)) {
      metrics.reject('not-admin');
      void reply.header('www-authenticate', 'Bearer realm="careloop-audit-admin"');
      return reply.code(401).send({ error: 'not-admin', message: 'Chain verification needs the admin credential.' });
    }
    return reply.send(await store.verify());
  });

  app.get('/api/health', async (_request, reply) => {
    try {
      await store.ping();
      return await reply.send({ status: 'ok', store: store.dialect });
    } catch {
      return reply.code(503).send({ status: 'unavailable', store: store.dialect });
    }
  });

  void app.register(launchStateRoutes);

  app.get('/api/metrics', async (_request, reply) => reply.type('text/plain; version=0.0.4; charset=utf-8').send(metrics.render()));

  if (options.staticDir) registerStaticApp(app, options.staticDir);

  if (options.closeStore ?? true) app.addHook('onClose', async () => store.close());
  return app;
}
