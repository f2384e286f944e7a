/**
 * The FHIR R4 REST API at `<base>/fhir`, enforcing the bearer token: 401 without a valid token,
 * 403 outside the granted scopes (a scope's query narrows the resources it reaches: searches
 * return only those, reads and writes outside them are refused) or, under `patient/` scopes, for a search or write naming another
 * patient; another patient's existing resource is answered as a missing one (404), so its id's
 * existence is not disclosed.
 * Writes are validated against the R4 structure definitions (400 with an OperationOutcome).
 */
import { getStatus, isResourceType } from '@medplum/core';
import type { FhirRequest } from '@medplum/fhir-router';
import type { OperationOutcome, Resource } from '@medplum/fhirtypes';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { narrowedTo, permits, splitScopes, type Interaction } from '../../shared/smart-scopes.ts';
import { verifyAccessToken, type AccessClaims } from '../auth/tokens.ts';
import type { EhrState } from '../state.ts';
import { capabilityStatement } from './capability.ts';
import { patientCompartmentTypes } from './compartment.ts';
import { normalizeQuery, queryOf, SHARED, type Query } from './store.ts';
import { validationProblem } from './validate.ts';

const FHIR_JSON = 'application/fhir+json; charset=utf-8';

export function outcome(code: string, text: string, severity: 'error' | 'fatal' | 'warning' = 'error'): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: [{ severity, code: code as 'invalid', diagnostics: text, details: { text } }] };
}

/**
 * What a token may reach for one interaction on one type: a patient's compartment or every one,
 * and `only` the resources matching one of its scopes' queries (null: all of them), as SMART 2.2
 * narrows a scope with `?param=value` (`patient/Observation.rs?category=laboratory`).
 */
type Access = ({ kind: 'patient'; patient: string } | { kind: 'user' }) & { only: string[] | null };

interface Authed {
  claims: AccessClaims;
  scopes: string[];
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by a fault switch: apply this FHIR write twice. */
    duplicateWrite?: boolean;
  }
}

export function registerFhirRoutes(app: FastifyInstance, ctx: EhrState): void {
  const types = patientCompartmentTypes();

  const send = (reply: FastifyReply, status: number, body: Resource | undefined) => {
    reply.code(status).type(FHIR_JSON);
    if (body && body.resourceType !== 'OperationOutcome' && body.resourceType !== 'Bundle' && body.meta?.versionId) {
      reply.header('etag', `W/"${body.meta.versionId}"`);
      if (body.meta.lastUpdated) reply.header('last-modified', new Date(body.meta.lastUpdated).toUTCString());
    }
    return reply.send(body === undefined ? '' : JSON.stringify(body));
  };
  const fail = (reply: FastifyReply, status: number, code: string, text: string) => send(reply, status, outcome(code, text));

  const authenticate = async (req: FastifyRequest, reply: FastifyReply): Promise<Authed | null> => {
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    const claims = m?.[1] ? await verifyAccessToken(ctx, m[1]) : null;
    if (!claims) {
      reply.header('www-authenticate', `Bearer realm="${ctx.fhirBase}", error="invalid_token"`);
      await fail(reply, 401, 'login', m ? 'The access token is invalid or expired.' : 'An access token is required (Authorization: Bearer …).');
      return null;
    }
    return { claims, scopes: splitScopes(claims.scope) };
  };

  /** system/ and user/ scopes win (they are broader); patient/ scopes need the token's patient. */
  const accessFor = (a: Authed, type: string, perm: Interaction): Access | null => {
    if (permits(a.scopes, { context: 'user', type, interaction: perm }) || permits(a.scopes, { context: 'system', type, interaction: perm })) {
      return { kind: 'user', only: narrowedTo(a.scopes, { context: ['user', 'system'], type, interaction: perm }) };
    }
    if (a.claims.patient && permits(a.scopes, { context: 'patient', type, interaction: perm })) {
      return { kind: 'patient', patient: a.claims.patient, only: narrowedTo(a.scopes, { context: 'patient', type, interaction: perm }) };
    }
    return null;
  };

  /** 403 for a resource outside the queries of the scopes that let the token reach its type. */
  const outsideScope = (reply: FastifyReply, access: Access, type: string) =>
    fail(reply, 403, 'forbidden', `The granted scopes reach only the ${type} resources matching ${(access.only ?? []).join(' or ')}.`);
  const inScope = (access: Access, type: string, resource: Resource | undefined): boolean =>
    access.only === null || resource === undefined || resource.resourceType !== type || ctx.store.matchesAny(type, resource, access.only);

  const guard = async (req: FastifyRequest, reply: FastifyReply, type: string, perm: Interaction): Promise<Access | null> => {
    if (!isResourceType(type)) {
      await fail(reply, 404, 'not-supported', `Unknown resource type ${type}`);
      return null;
    }
    const a = await authenticate(req, reply);
    if (!a) return null;
    const access = accessFor(a, type, perm);
    if (!access) {
      await fail(reply, 403, 'forbidden', `The granted scopes do not allow "${perm}" on ${type}.`);
      return null;
    }
    return access;
  };

  const clientOf = async (req: FastifyRequest) => {
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    return (m?.[1] ? (await verifyAccessToken(ctx, m[1]))?.client_id : undefined) ?? 'unknown';
  };

  app.get('/fhir/metadata', async (_req, reply) => send(reply, 200, capabilityStatement(ctx)));
  app.get('/fhir', async (_req, reply) => send(reply, 200, capabilityStatement(ctx)));

  // ---- search ----
  const search = async (req: FastifyRequest, reply: FastifyReply, type: string, query: Query) => {
    const access = await guard(req, reply, type, 's');
    if (!access) return reply;
    const q = normalizeQuery(query);
    const named = new Set<string>();
    for (const [k, v] of Object.entries(q)) {
      const base = k.split(':')[0] ?? k;
      if (['patient', 'subject', 'for', 'beneficiary'].includes(base)) {
        for (const one of [v].flat()) for (const ref of (one ?? '').split(',')) named.add(ref.replace(/^Patient\//, ''));
      }
      if (type === 'Patient' && base === '_id') for (const one of [v].flat()) for (const id of (one ?? '').split(',')) named.add(id);
    }
    let compartments: string[];
    if (!types.has(type) && type !== 'Patient') {
      compartments = [SHARED];
    } else if (access.kind === 'patient') {
      if ([...named].some((p) => p !== access.patient)) return fail(reply, 403, 'forbidden', `The token is limited to Patient/${access.patient}.`);
      compartments = [access.patient];
    } else {
      compartments = named.size > 0 ? [...named].filter((p) => ctx.store.locate('Patient', p)) : ctx.store.patientIds();
      if (compartments.length === 0) compartments = [SHARED];
    }
    // The server's time when the search ran (the wall clock, as resources' meta.lastUpdated is):
    // clients poll with `_lastUpdated` from this watermark rather than their own clock.
    const searchedAt = new Date().toISOString();
    const bundle = await ctx.store.search(type, q, compartments, ctx.fhirBase, access.only);
    return send(reply, 200, { ...bundle, meta: { lastUpdated: searchedAt } });
  };
  app.get<{ Params: { type: string } }>('/fhir/:type', async (req, reply) => search(req, reply, req.params.type, req.query as Query));
  app.post<{ Params: { type: string } }>('/fhir/:type/_search', async (req, reply) => search(req, reply, req.params.type, { ...(req.query as Query), ...((req.body ?? {}) as Query) }));

  // ---- read, vread, history ----
  /**
   * The compartment of a resource as the token may see it: undefined when it does not exist, and
   * also when it is another patient's and the token is limited to one patient. Both are answered
   * with the same 404 (as real servers do), so a caller cannot learn which ids exist elsewhere.
   */
  const visible = (access: Access, key: string | undefined): string | undefined =>
    key === undefined || (access.kind === 'patient' && key !== access.patient && key !== SHARED) ? undefined : key;
  const notFound = (reply: FastifyReply, type: string, id: string) => fail(reply, 404, 'not-found', `${type}/${id} not found`);

  const read = async (req: FastifyRequest, reply: FastifyReply, type: string, id: string, suffix: string) => {
    const access = await guard(req, reply, type, 'r');
    if (!access) return reply;
    const key = visible(access, ctx.store.locate(type, id));
    if (key === undefined) return notFound(reply, type, id);
    const [oo, resource] = await ctx.store.handle(key, 'GET', `${type}/${id}${suffix}`, undefined, {});
    if (access.only !== null) {
      if (resource?.resourceType === 'Bundle') {
        // A history: only the versions the scopes reach.
        const entry = (resource.entry ?? []).filter((e) => inScope(access, type, e.resource));
        return send(reply, getStatus(oo), { ...resource, entry, ...(resource.total !== undefined ? { total: entry.length } : {}) });
      }
      if (!inScope(access, type, resource)) return outsideScope(reply, access, type);
    }
    return send(reply, getStatus(oo), resource ?? oo);
  };
  app.get<{ Params: { type: string; id: string } }>('/fhir/:type/:id', async (req, reply) => read(req, reply, req.params.type, req.params.id, ''));
  app.get<{ Params: { type: string; id: string } }>('/fhir/:type/:id/_history', async (req, reply) => read(req, reply, req.params.type, req.params.id, '/_history'));
  app.get<{ Params: { type: string; id: string; vid: string } }>('/fhir/:type/:id/_history/:vid', async (req, reply) =>
    read(req, reply, req.params.type, req.params.id, `/_history/${encodeURIComponent(req.params.vid)}`),
  );

  // ---- writes ----
  const write = async (req: FastifyRequest, reply: FastifyReply, method: FhirRequest['method'], type: string, id: string | undefined) => {
    const perm: Interaction = method === 'POST' ? 'c' : method === 'PUT' ? 'u' : 'd';
    const access = await guard(req, reply, type, perm);
    if (!access) return reply;
    const body = req.body as Resource | undefined;
    let key: string;
    if (method === 'DELETE') {
      const found = visible(access, ctx.store.locate(type, id ?? ''));
      if (found === undefined) return notFound(reply, type, id ?? '');
      key = found;
    } else {
      if (!body || typeof body !== 'object' || body.resourceType !== type) return fail(reply, 400, 'invalid', `The body must be a ${type} resource.`);
      if (method === 'PUT' && body.id !== id) return fail(reply, 400, 'invalid', 'The resource id must match the URL.');
      if (method === 'POST' && body.id !== undefined) delete (body as { id?: string }).id;
      const problem = validationProblem(body);
      if (problem) return send(reply, 400, problem);
      const target = types.has(type) || type === 'Patient' ? ctx.store.compartmentOf(body) : SHARED;
      if (target === null) return fail(reply, 400, 'invalid', `A ${type} must reference its patient (subject, patient or for).`);
      const located = id === undefined ? undefined : ctx.store.locate(type, id);
      // Another patient's resource is, to a patient-scoped token, a resource that does not exist.
      if (located !== undefined && visible(access, located) === undefined) return notFound(reply, type, id ?? '');
      const existing = located;
      if (existing !== undefined && existing !== target) return fail(reply, 400, 'invalid', `${type}/${id ?? ''} cannot move to another patient.`);
      key = target;
    }
    if (access.kind === 'patient' && key !== access.patient) return fail(reply, 403, 'forbidden', `The token is limited to Patient/${access.patient}.`);
    if (access.only !== null) {
      // What is written, and what an update or delete replaces, must both be within the scopes' queries.
      if (!inScope(access, type, body)) return outsideScope(reply, access, type);
      if (id !== undefined && method !== 'POST') {
        const [, current] = await ctx.store.handle(key, 'GET', `${type}/${id}`, undefined, {});
        if (!inScope(access, type, current)) return outsideScope(reply, access, type);
      }
    }

    const url = id === undefined ? type : `${type}/${id}`;
    let headers = req.headers;
    const condition = headers['if-none-exist'];
    if (method === 'POST' && access.only !== null && typeof condition === 'string') {
      // A conditional create is searched as the token sees the type: only the resources its scopes'
      // queries reach, so its answer never tells of one outside them.
      const found = await ctx.store.search(type, { ...queryOf(condition), _count: '2' }, [key], ctx.fhirBase, access.only);
      if ((found.total ?? 0) > 1) return fail(reply, 412, 'duplicate', `If-None-Exist matches more than one ${type}.`);
      const existing = found.entry?.[0]?.resource;
      if (existing) return send(reply, 200, existing);
      headers = { ...headers, 'if-none-exist': undefined };
    }
    const result = await ctx.store.handle(key, method, url, body, headers);
    if (req.duplicateWrite && method !== 'DELETE') {
      // A fault switch: the write is delivered twice, as a retrying proxy would.
      const again = body ? { ...body } : body;
      if (again && method === 'PUT' && again.meta) delete again.meta;
      await ctx.store.handle(key, method, url, again, method === 'PUT' ? { ...headers, 'if-match': undefined } : headers);
    }
    const [oo, resource] = result;
    const status = getStatus(oo);
    if (status < 300 && (status === 201 || method !== 'POST')) {
      const interaction = method === 'POST' ? 'create' : method === 'PUT' ? 'update' : 'delete';
      const ref = resource ? `${resource.resourceType}/${resource.id ?? ''}` : url;
      ctx.writes.push({
        at: new Date(ctx.now()).toISOString(),
        interaction,
        resourceType: type,
        reference: ref,
        ...(resource?.meta?.versionId ? { versionId: resource.meta.versionId } : {}),
        patient: key === SHARED ? null : key,
        clientId: await clientOf(req),
        summary: summarize(resource ?? body),
      });
      if (resource && interaction !== 'delete') for (const listener of ctx.changeListeners) listener({ resource, patient: key === SHARED ? null : key, interaction });
    }
    if (resource && status === 201) reply.header('location', `${ctx.fhirBase}/${resource.resourceType}/${resource.id ?? ''}/_history/${resource.meta?.versionId ?? ''}`);
    const prefer = String(req.headers.prefer ?? '');
    if (status < 300 && prefer.includes('return=minimal')) return send(reply, status, undefined);
    if (status < 300 && prefer.includes('return=OperationOutcome')) return send(reply, status, oo);
    return send(reply, status, method === 'DELETE' ? oo : (resource ?? oo));
  };
  app.post<{ Params: { type: string } }>('/fhir/:type', async (req, reply) => write(req, reply, 'POST', req.params.type, undefined));
  app.put<{ Params: { type: string; id: string } }>('/fhir/:type/:id', async (req, reply) => write(req, reply, 'PUT', req.params.type, req.params.id));
  app.delete<{ Params: { type: string; id: string } }>('/fhir/:type/:id', async (req, reply) => write(req, reply, 'DELETE', req.params.type, req.params.id));
}

/** One line for the chart's write-back panel. */
export function summarize(resource: Resource | undefined): string {
  if (!resource) return '';
  const r = resource as unknown as Record<string, unknown>;
  const text = (v: unknown): string | undefined => {
    const c = v as { text?: string; coding?: { display?: string; code?: string }[] } | undefined;
    return c?.text ?? c?.coding?.[0]?.display ?? c?.coding?.[0]?.code;
  };
  const parts = [
    typeof r['status'] === 'string' ? r['status'] : undefined,
    typeof r['description'] === 'string' ? r['description'] : text(r['code']),
    resource.resourceType === 'Provenance' ? `targets ${(resource.target ?? []).map((t) => t.reference).join(', ')}` : undefined,
  ].filter((p): p is string => typeof p === 'string' && p.length > 0);
  return parts.join(' · ');
}
