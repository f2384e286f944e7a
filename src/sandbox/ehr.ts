/**
 * The sandbox EHR as one fastify app: chart pages, SMART authorization server, FHIR API, and the
 * loopback-only admin API (fault switches, what the server holds, launch minting).
 *
 * @example
 * const ehr = await buildEhr({ baseUrl: 'http://127.0.0.1:4000', clients: [careloopClient('http://localhost:5173')] });
 * const res = await ehr.app.inject({ method: 'GET', url: '/fhir/.well-known/smart-configuration' });
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { z } from 'zod';
import { buildCast, castResources } from '../shared/cast/index.ts';
import { registerAuthRoutes } from './auth/routes.ts';
import { registerBackendClient, type BackendClientRegistration } from './auth/backend-services.ts';
import { isScope, splitScopes } from '../shared/smart-scopes.ts';
import { signAccessToken } from './auth/tokens.ts';
import { registerChartRoutes, launchUrlFor } from './chart/pages.ts';
import { EhrState, EHR_USER, type EhrOptions } from './state.ts';
import { faultRuleSchema } from './faults.ts';
import { loadFhirDefinitions } from './fhir-api/definitions.ts';
import { outcome, registerFhirRoutes } from './fhir-api/routes.ts';
import { SHARED } from './fhir-api/store.ts';
import { SubscriptionHub } from './subscriptions/hub.ts';
import { registerSubscriptionAdminRoutes, registerSubscriptionRoutes } from './subscriptions/routes.ts';

export interface BuildEhrOptions extends EhrOptions {
  /** Reference date (`YYYY-MM-DD`) the cast is dated from; default today (UTC). */
  readonly referenceDate?: string;
  /** Leave out the >5,000-resource patient (faster unit tests). Default false. */
  readonly skipLargeRecord?: boolean;
  /** Log requests (pino) to stdout. Default false. */
  readonly logger?: boolean;
  /** SMART Backend Services clients, registered by their JWKS. */
  readonly backendClients?: readonly BackendClientRegistration[];
  /** How rest-hook notifications are POSTed (tests: into an app through inject). Default fetch. */
  readonly notificationFetch?: typeof fetch;
  /** Send heartbeats on timers. Default true. */
  readonly heartbeatTimers?: boolean;
}

export interface Ehr {
  readonly app: FastifyInstance;
  readonly ctx: EhrState;
  /** FHIR Subscriptions (R4 backport): the sandbox as an event source. */
  readonly subscriptions: SubscriptionHub;
}

const CORS_EXPOSE = 'Location, ETag, Content-Location, Last-Modified, Retry-After, WWW-Authenticate';

function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

export async function buildEhr(options: BuildEhrOptions = {}): Promise<Ehr> {
  loadFhirDefinitions();
  const ctx = await EhrState.create(options);
  const cast = buildCast(options.referenceDate ?? new Date().toISOString().slice(0, 10), { skipLarge: options.skipLargeRecord ?? false });
  await ctx.store.seed(castResources(cast), `${cast.referenceDate}T00:00:00.000Z`);
  for (const client of options.backendClients ?? []) registerBackendClient(ctx, client);

  const app = Fastify({ logger: options.logger ?? false, bodyLimit: 10 * 1024 * 1024 });
  const json = (_req: unknown, body: string, done: (err: Error | null, value?: unknown) => void) => {
    if (body === '') return done(null, undefined);
    try {
      done(null, JSON.parse(body));
    } catch {
      const err = new Error('The body is not valid JSON.') as Error & { statusCode: number };
      err.statusCode = 400;
      done(err);
    }
  };
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(['application/json', 'application/fhir+json', 'application/json-patch+json'], { parseAs: 'string' }, json);
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    const params = new URLSearchParams(body as string);
    const out: Record<string, string | string[]> = {};
    for (const k of new Set(params.keys())) {
      const all = params.getAll(k);
      out[k] = all.length > 1 ? all : (all[0] ?? '');
    }
    done(null, out);
  });

  app.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    if (req.url.startsWith('/auth/token') || req.url.startsWith('/auth/introspect')) return reply.code(status).send({ error: 'invalid_request', error_description: err.message });
    return reply.code(status).type('application/fhir+json').send(outcome(status >= 500 ? 'exception' : 'invalid', err.message));
  });

  // CORS: the app is on another site and calls discovery, token and FHIR from the browser.
  // Bearer tokens, no cookies: any origin may call.
  app.addHook('onRequest', async (req, reply) => {
    const origin = req.headers.origin;
    if (origin && !req.url.startsWith('/_admin')) {
      reply.header('access-control-allow-origin', '*');
      reply.header('access-control-expose-headers', CORS_EXPOSE);
      if (req.method === 'OPTIONS') {
        reply
          .header('access-control-allow-methods', 'GET, POST, PUT, PATCH, DELETE, OPTIONS')
          .header('access-control-allow-headers', req.headers['access-control-request-headers'] ?? 'Authorization, Content-Type, Accept, If-Match, If-None-Exist, Prefer')
          .header('access-control-max-age', '600');
        return reply.code(204).send();
      }
    }
    return undefined;
  });
  app.options('/*', async (_req, reply) => reply.code(204).send());

  // Fault switches (never on the admin API itself).
  app.addHook('onRequest', async (req, reply) => {
    if (req.url.startsWith('/_admin')) return undefined;
    const rule = ctx.faults.take(req.method, req.url.split('?')[0] ?? req.url);
    if (!rule) return undefined;
    if (rule.latencyMs) await new Promise((r) => setTimeout(r, rule.latencyMs));
    if (rule.drop) {
      reply.hijack();
      req.raw.socket.destroy();
      return reply;
    }
    if (rule.status !== undefined) {
      if (rule.status === 429 || rule.status === 503) reply.header('retry-after', String(rule.retryAfterSeconds ?? 1));
      return reply.code(rule.status).type('application/fhir+json').send(outcome(rule.status === 429 ? 'throttled' : 'transient', `Fault switch ${rule.id}: ${rule.status}`));
    }
    if (rule.duplicateWrite) req.duplicateWrite = true;
    return undefined;
  });

  const subscriptions = new SubscriptionHub({
    fhirBase: () => ctx.fhirBase,
    now: ctx.now,
    ...(options.notificationFetch ? { fetch: options.notificationFetch } : {}),
    ...(options.heartbeatTimers !== undefined ? { heartbeatTimers: options.heartbeatTimers } : {}),
  });
  ctx.changeListeners.push((change) => subscriptions.onChange(change));
  app.addHook('onClose', async () => subscriptions.close());

  registerAuthRoutes(app, ctx);
  registerSubscriptionRoutes(app, ctx, subscriptions);
  registerFhirRoutes(app, ctx);
  registerChartRoutes(app, ctx);
  registerAdminRoutes(app, ctx, subscriptions);
  return { app, ctx, subscriptions };
}

const launchBody = z
  .object({
    patient: z.string(),
    encounter: z.string().optional(),
    clientId: z.string().default('careloop'),
    /** The launching user's fhirUser, e.g. `Patient/ada` for a patient-portal launch. */
    user: z.string().regex(/^(Practitioner|PractitionerRole|Patient|RelatedPerson|Person)\/[A-Za-z0-9\-.]{1,64}$/).optional(),
    /** Characters in the opaque launch id. */
    launchIdLength: z.number().int().min(1).max(65_536).optional(),
    /** The most this launch is granted (space-separated scopes): an EHR that grants a subset. */
    grantScopes: z.string().min(1).optional(),
    /** The token endpoint refuses this launch's code with this OAuth error. */
    tokenError: z.object({ status: z.number().int().min(400).max(599).default(400), error: z.string().regex(/^[\x20-\x21\x23-\x5b\x5d-\x7e]+$/), description: z.string().max(65_536) }).strict().optional(),
  })
  .strict();
const backendClientBody = z
  .object({
    clientId: z.string().regex(/^[A-Za-z0-9\-._~]{1,64}$/),
    name: z.string().min(1).max(200).default('Backend service'),
    /** The client's public keys (JWKS), as a registration form would take them. */
    jwks: z.object({ keys: z.array(z.looseObject({ kty: z.string() })).min(1).max(10) }),
    /** The most it may be granted: space-separated `system/` scopes. */
    scope: z.string().min(1),
  })
  .strict();
const tokenBody = z
  .object({ scope: z.string().min(1), patient: z.string().optional(), encounter: z.string().optional(), clientId: z.string().default('careloop'), user: z.string().default(EHR_USER) })
  .strict();

function registerAdminRoutes(app: FastifyInstance, ctx: EhrState, subscriptions: SubscriptionHub): void {
  app.register(
    async (admin) => {
      admin.addHook('onRequest', async (req, reply) => {
        if (!isLoopback(req.socket.remoteAddress)) return reply.code(403).send({ error: 'the admin API answers on loopback only' });
        return undefined;
      });
      admin.post('/faults', async (req, reply) => {
        const parsed = faultRuleSchema.safeParse(req.body);
        if (!parsed.success) return reply.code(400).send({ error: 'invalid fault', issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) });
        return reply.code(201).send(ctx.faults.add(parsed.data));
      });
      admin.get('/faults', async () => ({ faults: ctx.faults.list() }));
      admin.delete('/faults', async (_req, reply) => {
        ctx.faults.clear();
        return reply.code(204).send();
      });
      admin.delete<{ Params: { id: string } }>('/faults/:id', async (req, reply) => reply.code(ctx.faults.remove(req.params.id) ? 204 : 404).send());

      admin.get<{ Querystring: { type?: string; patient?: string } }>('/resources', async (req, reply) => {
        const type = req.query.type;
        if (!type) return reply.code(400).send({ error: 'type is required' });
        const keys = req.query.patient !== undefined ? [req.query.patient] : [SHARED, ...ctx.store.patientIds()];
        const resources = [];
        for (const k of keys) resources.push(...(await ctx.store.all(type, k)));
        return { resources };
      });
      admin.get('/writes', async () => ({ writes: ctx.writes }));
      registerSubscriptionAdminRoutes(admin, subscriptions);
      admin.post('/backend-clients', async (req, reply) => {
        const parsed = backendClientBody.safeParse(req.body);
        if (!parsed.success) return reply.code(400).send({ error: parsed.error.message });
        try {
          registerBackendClient(ctx, { clientId: parsed.data.clientId, name: parsed.data.name, jwks: parsed.data.jwks, allowedScopes: splitScopes(parsed.data.scope) });
        } catch (e) {
          return reply.code(400).send({ error: e instanceof Error ? e.message : 'invalid backend client' });
        }
        return reply.code(201).send({ clientId: parsed.data.clientId });
      });
      admin.post('/launch', async (req, reply) => {
        const parsed = launchBody.safeParse(req.body);
        if (!parsed.success) return reply.code(400).send({ error: parsed.error.message });
        const { user, launchIdLength, grantScopes, tokenError } = parsed.data;
        const url = launchUrlFor(ctx, parsed.data.clientId, parsed.data.patient, parsed.data.encounter, {
          ...(user ? { user } : {}),
          ...(launchIdLength !== undefined ? { idLength: launchIdLength } : {}),
          ...(grantScopes ? { grantLimit: splitScopes(grantScopes) } : {}),
          ...(tokenError ? { tokenError } : {}),
        });
        if (!url) return reply.code(400).send({ error: `unknown client ${parsed.data.clientId}` });
        return { launchUrl: url, launch: new URL(url).searchParams.get('launch') };
      });
      // A token without the browser dance, for tests of the FHIR API.
      admin.post('/tokens', async (req, reply) => {
        const parsed = tokenBody.safeParse(req.body);
        if (!parsed.success) return reply.code(400).send({ error: parsed.error.message });
        const scope = splitScopes(parsed.data.scope);
        if (!scope.every(isScope)) {
          return reply.code(400).send({ error: 'invalid_scope' });
        }
        const { token, exp } = await signAccessToken(ctx, {
          clientId: parsed.data.clientId,
          scope,
          user: parsed.data.user,
          ...(parsed.data.patient ? { patient: parsed.data.patient } : {}),
          ...(parsed.data.encounter ? { encounter: parsed.data.encounter } : {}),
        });
        return { access_token: token, exp };
      });
    },
    { prefix: '/_admin' },
  );
}
