/**
 * FHIR routes of the sandbox's subscriptions (R4 backport): create, read, search and delete
 * Subscription, `$status` and `$events`; and the loopback admin routes of their fault switches.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Resource } from '@medplum/fhirtypes';
import type { EhrState } from '../state.ts';
import { permits, splitScopes, type Interaction } from '../../shared/smart-scopes.ts';
import { verifyAccessToken } from '../auth/tokens.ts';
import { outcome } from '../fhir-api/routes.ts';
import { subscriptionFaultSchema, SubscriptionRejected, type PayloadContent, type SubscriptionHub } from './hub.ts';

const FHIR_JSON = 'application/fhir+json; charset=utf-8';

/** Who may do what with Subscriptions: a client with system/ or user/ access, or a patient-scoped token limited to its patient. */
interface SubscriptionAccess {
  readonly clientId: string;
  readonly patientLimit: string | null;
}

export function registerSubscriptionRoutes(app: FastifyInstance, ctx: EhrState, hub: SubscriptionHub): void {
  const send = (reply: FastifyReply, status: number, body: Resource) => reply.code(status).type(FHIR_JSON).send(JSON.stringify(body));
  const fail = (reply: FastifyReply, status: number, code: string, text: string) => send(reply, status, outcome(code, text));

  const guard = async (req: FastifyRequest, reply: FastifyReply, perm: Interaction): Promise<SubscriptionAccess | null> => {
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    const claims = m?.[1] ? await verifyAccessToken(ctx, m[1]) : null;
    if (!claims) {
      reply.header('www-authenticate', `Bearer realm="${ctx.fhirBase}", error="invalid_token"`);
      await fail(reply, 401, 'login', 'An access token is required (Authorization: Bearer …).');
      return null;
    }
    const scopes = splitScopes(claims.scope);
    if (permits(scopes, { context: 'system', type: 'Subscription', interaction: perm }) || permits(scopes, { context: 'user', type: 'Subscription', interaction: perm })) return { clientId: claims.client_id, patientLimit: null };
    if (claims.patient && permits(scopes, { context: 'patient', type: 'Subscription', interaction: perm })) return { clientId: claims.client_id, patientLimit: claims.patient };
    await fail(reply, 403, 'forbidden', `The granted scopes do not allow "${perm}" on Subscription.`);
    return null;
  };
  /** A subscription another client created does not exist for this one. */
  const own = (access: SubscriptionAccess, id: string) => hub.ownerOf(id) === access.clientId;

  app.post('/fhir/Subscription', async (req, reply) => {
    const access = await guard(req, reply, 'c');
    if (!access) return reply;
    try {
      const created = await hub.create(req.body, access.clientId, access.patientLimit);
      reply.header('location', `${ctx.fhirBase}/Subscription/${created.id ?? ''}/_history/1`);
      return send(reply, 201, created);
    } catch (e) {
      if (e instanceof SubscriptionRejected) return fail(reply, 400, 'invalid', e.message);
      throw e;
    }
  });
  app.get('/fhir/Subscription', async (req, reply) => {
    const access = await guard(req, reply, 's');
    if (!access) return reply;
    const mine = hub.list().filter((s) => own(access, s.id ?? ''));
    return send(reply, 200, { resourceType: 'Bundle', type: 'searchset', total: mine.length, entry: mine.map((r) => ({ fullUrl: `${ctx.fhirBase}/Subscription/${r.id ?? ''}`, resource: r, search: { mode: 'match' } })) });
  });
  app.get<{ Params: { id: string } }>('/fhir/Subscription/:id', async (req, reply) => {
    const access = await guard(req, reply, 'r');
    if (!access) return reply;
    const sub = own(access, req.params.id) ? hub.get(req.params.id) : undefined;
    return sub ? send(reply, 200, sub) : fail(reply, 404, 'not-found', `Subscription/${req.params.id} not found`);
  });
  app.delete<{ Params: { id: string } }>('/fhir/Subscription/:id', async (req, reply) => {
    const access = await guard(req, reply, 'd');
    if (!access) return reply;
    if (!own(access, req.params.id) || !hub.delete(req.params.id)) return fail(reply, 404, 'not-found', `Subscription/${req.params.id} not found`);
    return send(reply, 200, outcome('informational', `Subscription/${req.params.id} deleted`, 'warning'));
  });

  const operation = async (req: FastifyRequest<{ Params: { id: string; op: string } }>, reply: FastifyReply) => {
    const access = await guard(req, reply, 'r');
    if (!access) return reply;
    const { id, op } = req.params;
    if (!own(access, id) || !hub.get(id)) return fail(reply, 404, 'not-found', `Subscription/${id} not found`);
    if (op === '$status') return send(reply, 200, hub.status(id) ?? outcome('not-found', 'gone'));
    if (op !== '$events') return fail(reply, 404, 'not-supported', `Unknown operation ${op}`);
    const q = { ...(req.query as Record<string, unknown>), ...(req.method === 'POST' ? parametersOf(req.body) : {}) };
    const num = (v: unknown) => (typeof v === 'string' && /^\d{1,15}$/.test(v) ? Number(v) : undefined);
    for (const k of ['eventsSinceNumber', 'eventsUntilNumber']) {
      if (q[k] !== undefined && num(q[k]) === undefined) return fail(reply, 400, 'invalid', `${k} must be a whole number`);
    }
    const content = q['content'];
    if (content !== undefined && !['empty', 'id-only', 'full-resource'].includes(String(content))) return fail(reply, 400, 'invalid', 'content must be empty, id-only or full-resource');
    return send(reply, 200, hub.eventsBundle(id, num(q['eventsSinceNumber']), num(q['eventsUntilNumber']), content as PayloadContent | undefined) ?? outcome('not-found', 'gone'));
  };
  app.get<{ Params: { id: string; op: string } }>('/fhir/Subscription/:id/:op', operation);
  app.post<{ Params: { id: string; op: string } }>('/fhir/Subscription/:id/:op', operation);
}

/** `Parameters` input of a POSTed operation, as name → string value. */
function parametersOf(body: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const params = (body as { resourceType?: string; parameter?: Array<Record<string, unknown>> } | undefined)?.parameter;
  for (const p of Array.isArray(params) ? params : []) {
    const value = p['valueString'] ?? p['valueCode'] ?? p['valueInteger'] ?? p['valueInteger64'];
    if (typeof p['name'] === 'string' && value !== undefined) out[p['name']] = String(value);
  }
  return out;
}

/** Loopback admin routes (registered under `/_admin`): notification fault switches and a manual heartbeat. */
export function registerSubscriptionAdminRoutes(admin: FastifyInstance, hub: SubscriptionHub): void {
  admin.get('/subscriptions', async () => ({ subscriptions: hub.list(), faults: hub.listFaults() }));
  admin.post('/subscriptions/faults', async (req, reply) => {
    const parsed = subscriptionFaultSchema.safeParse(req.body);
    if (!parsed.success) return reply.code(400).send({ error: 'invalid fault', issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) });
    return reply.code(201).send(hub.addFault(parsed.data));
  });
  admin.delete('/subscriptions/faults', async (_req, reply) => {
    hub.clearFaults();
    return reply.code(204).send();
  });
  admin.post<{ Params: { id: string } }>('/subscriptions/:id/heartbeat', async (req, reply) => {
    if (!hub.get(req.params.id)) return reply.code(404).send({ error: 'unknown subscription' });
    await hub.heartbeat(req.params.id);
    return reply.code(204).send();
  });
}
