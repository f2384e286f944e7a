/**
 * Test helpers for the sandbox EHR: build it in the test (fastify inject), walk the SMART flow,
 * and get tokens.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { InjectOptions } from 'fastify';
import { buildEhr, careloopClient, type BuildEhrOptions, type Ehr } from '../../src/sandbox/index.ts';

/** The fixed date the cast is built from in tests. */
export const REFERENCE_DATE = '2026-11-23';
export const BASE = 'http://127.0.0.1:4000';
export const FHIR = `${BASE}/fhir`;
export const APP = 'http://localhost:5173';
export const REDIRECT = `${APP}/index.html`;

export const APP_SCOPES =
  'launch openid fhirUser online_access patient/Patient.r patient/Encounter.r patient/Task.rs patient/Task.cu patient/Observation.rs patient/Condition.rs patient/Procedure.rs patient/ServiceRequest.rs patient/ServiceRequest.c patient/Provenance.c';

export async function testEhr(options: Partial<BuildEhrOptions> = {}): Promise<Ehr> {
  return buildEhr({ baseUrl: BASE, clients: [careloopClient(APP)], referenceDate: REFERENCE_DATE, skipLargeRecord: true, ...options });
}

export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export function form(fields: Record<string, string>): InjectOptions {
  return { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(fields).toString() };
}

export interface AuthorizeParams {
  scope?: string;
  launch?: string;
  state?: string;
  challenge?: string;
  method?: string;
  redirectUri?: string;
  clientId?: string;
  aud?: string;
  extra?: Record<string, string>;
}

/** GET /auth/authorize; returns the status and the parsed redirect (if any). */
export async function authorize(ehr: Ehr, p: AuthorizeParams) {
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: p.clientId ?? 'careloop',
    redirect_uri: p.redirectUri ?? REDIRECT,
    scope: p.scope ?? APP_SCOPES,
    state: p.state ?? 'state-123',
    aud: p.aud ?? FHIR,
    ...(p.challenge !== undefined ? { code_challenge: p.challenge } : {}),
    code_challenge_method: p.method ?? 'S256',
    ...(p.launch !== undefined ? { launch: p.launch } : {}),
    ...p.extra,
  });
  const res = await ehr.app.inject({ method: 'GET', url: `/auth/authorize?${q.toString()}` });
  const location = res.headers.location;
  const redirect = typeof location === 'string' ? new URL(location) : null;
  return { res, redirect, code: redirect?.searchParams.get('code') ?? null, error: redirect?.searchParams.get('error') ?? null };
}

export async function exchange(ehr: Ehr, code: string, verifier: string, extra: Record<string, string> = {}) {
  const res = await ehr.app.inject({
    url: '/auth/token',
    ...form({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT, client_id: 'careloop', ...extra }),
  });
  return { status: res.statusCode, body: res.json() as Record<string, unknown> };
}

/** The full EHR launch for a patient: mint launch, authorize with PKCE, exchange the code. */
export async function ehrLaunch(ehr: Ehr, patient: string, scope = APP_SCOPES) {
  const launch = ehr.ctx.mintLaunch({ patient, encounter: `${patient}-visit` });
  const { verifier, challenge } = pkce();
  const a = await authorize(ehr, { launch, challenge, scope });
  if (!a.code) throw new Error(`authorize failed: ${a.res.statusCode} ${a.error ?? ''} ${a.res.body.slice(0, 200)}`);
  const t = await exchange(ehr, a.code, verifier);
  if (t.status !== 200) throw new Error(`token failed: ${JSON.stringify(t.body)}`);
  return t.body as { access_token: string; refresh_token?: string; id_token?: string; patient?: string; scope: string } & Record<string, unknown>;
}

/** A token minted directly by the admin API (no browser dance). */
export async function adminToken(ehr: Ehr, scope: string, patient?: string): Promise<string> {
  const res = await ehr.app.inject({ method: 'POST', url: '/_admin/tokens', payload: { scope, ...(patient ? { patient } : {}) } });
  return (res.json() as { access_token: string }).access_token;
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}
