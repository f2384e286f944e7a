/**
 * The SMART App Launch 2.x authorization server: discovery, authorize (EHR launch and standalone
 * with a patient picker), token (authorization_code with PKCE S256, refresh_token),
 * introspection and JWKS. Errors follow OAuth 2.0 (RFC 6749 §4.1.2.1 and §5.2).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { CAST_MEMBERS } from '../../shared/cast/index.ts';
import type { Encounter } from '@medplum/fhirtypes';
import type { AuthorizationGrant, EhrState, RefreshGrant, TokenErrorSwitch } from '../state.ts';
import { EHR_USER, randomId } from '../state.ts';
import { esc, page } from '../html.ts';
import { resourceScope, splitScopes } from '../../shared/smart-scopes.ts';
import { grantScopes, limitScopes, SUPPORTED_SCOPES_V2 } from './scopes.ts';
import { signAccessToken, signIdToken, verifyAccessToken } from './tokens.ts';
import { BACKEND_ALGORITHMS, clientCredentialsGrant } from './backend-services.ts';

const CODE_TTL_MS = 2 * 60 * 1000;
const ONLINE_REFRESH_TTL_MS = 12 * 60 * 60 * 1000;
const OFFLINE_REFRESH_TTL_MS = 90 * 24 * 60 * 60 * 1000;

/** smart-configuration, as served at `<iss>/.well-known/smart-configuration`. */
export function smartConfiguration(ctx: EhrState) {
  const auth = `${ctx.baseUrl}/auth`;
  return {
    issuer: ctx.fhirBase,
    jwks_uri: `${auth}/jwks`,
    authorization_endpoint: `${auth}/authorize`,
    token_endpoint: `${auth}/token`,
    introspection_endpoint: `${auth}/introspect`,
    token_endpoint_auth_methods_supported: ['none', 'private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: [...BACKEND_ALGORITHMS],
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
    response_types_supported: ['code'],
    scopes_supported: SUPPORTED_SCOPES_V2,
    code_challenge_methods_supported: ['S256'],
    capabilities: [
      'launch-ehr', 'launch-standalone', 'client-public', 'context-ehr-patient', 'context-ehr-encounter',
      'context-standalone-patient', 'context-standalone-encounter', 'permission-v2', 'permission-v1', 'permission-patient', 'permission-user',
      'sso-openid-connect', 'permission-offline', 'permission-online', 'context-banner', 'context-style', 'authorize-post',
      'client-confidential-asymmetric',
    ],
  };
}

export function registerAuthRoutes(app: FastifyInstance, ctx: EhrState): void {
  app.get('/fhir/.well-known/smart-configuration', async (_req, reply) => reply.header('cache-control', 'no-store').send(smartConfiguration(ctx)));
  app.get('/fhir/.well-known/openid-configuration', async () => ({
    issuer: ctx.fhirBase,
    jwks_uri: `${ctx.baseUrl}/auth/jwks`,
    authorization_endpoint: `${ctx.baseUrl}/auth/authorize`,
    token_endpoint: `${ctx.baseUrl}/auth/token`,
    response_types_supported: ['code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    claims_supported: ['iss', 'sub', 'aud', 'exp', 'iat', 'fhirUser'],
  }));
  app.get('/auth/jwks', async () => ({ keys: [ctx.publicJwk] }));
  app.get('/smart-style.json', async () => ({
    color_background: '#f4f7fa',
    color_error: '#b3261e',
    color_highlight: '#1f3a5f',
    color_modal_backdrop: 'rgba(15, 23, 42, 0.4)',
    color_success: '#2e7d32',
    color_text: '#1d2733',
    dim_border_radius: '6px',
    dim_font_size: '14px',
    dim_spacing_size: '16px',
    font_family_body: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
    font_family_heading: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  }));

  app.get('/auth/authorize', async (req, reply) => authorize(ctx, flat(req.query), reply));
  app.post('/auth/authorize', async (req, reply) => authorize(ctx, flat(req.body), reply));
  app.post('/auth/authorize/pick', async (req, reply) => {
    const body = flat(req.body);
    const pending = ctx.pending.get(body['pending'] ?? '');
    const patient = body['patient'] ?? '';
    if (!pending || !ctx.store.locate('Patient', patient)) return reply.code(400).type('text/html').send(page('Sandbox EHR', '<main><p>That sign-in request has expired. Start the app again.</p></main>'));
    ctx.pending.delete(body['pending'] ?? '');
    return authorize(ctx, { ...pending, __picked_patient: patient }, reply);
  });

  app.post('/auth/token', async (req, reply) => {
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    const body = flat(req.body);
    switch (body['grant_type']) {
      case 'authorization_code':
        return exchangeCode(ctx, body, reply);
      case 'refresh_token':
        return refresh(ctx, body, reply);
      case 'client_credentials':
        return clientCredentialsGrant(ctx, body, reply);
      default:
        return oauthError(reply, 400, 'unsupported_grant_type', `grant_type must be authorization_code, refresh_token or client_credentials`);
    }
  });

  app.post('/auth/introspect', async (req) => {
    const token = flat(req.body)['token'] ?? '';
    const claims = await verifyAccessToken(ctx, token);
    if (!claims) return { active: false };
    return {
      active: true,
      scope: claims.scope,
      client_id: claims.client_id,
      exp: claims.exp,
      iat: claims.iat,
      sub: claims.sub,
      iss: claims.iss,
      aud: claims.aud,
      token_type: 'Bearer',
      fhirUser: claims.fhirUser,
      ...(claims.patient ? { patient: claims.patient } : {}),
      ...(claims.encounter ? { encounter: claims.encounter } : {}),
    };
  });
}

/** Form or query fields as single strings (the first of repeated ones). */
export function flat(input: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (input && typeof input === 'object') {
    for (const [k, v] of Object.entries(input as Record<string, unknown>)) {
      const one = Array.isArray(v) ? v[0] : v;
      if (typeof one === 'string') out[k] = one;
    }
  }
  return out;
}

function oauthError(reply: FastifyReply, status: number, error: string, description: string) {
  return reply.code(status).send({ error, error_description: description });
}

function errorPage(reply: FastifyReply, message: string) {
  // Without a trusted redirect_uri the error must not be sent back to the client (RFC 6749 §4.1.2.1).
  return reply.code(400).type('text/html').send(page('Sandbox EHR: authorization error', `<main><h1>Authorization error</h1><p>${esc(message)}</p></main>`));
}

async function authorize(ctx: EhrState, q: Record<string, string>, reply: FastifyReply) {
  const client = ctx.clients.get(q['client_id'] ?? '');
  if (!client) return errorPage(reply, `Unknown client_id "${q['client_id'] ?? ''}".`);
  const redirectUri = q['redirect_uri'] ?? '';
  if (!client.redirectUris.includes(redirectUri)) return errorPage(reply, `redirect_uri "${redirectUri}" is not registered for ${client.clientId}.`);

  const state = q['state'];
  const back = (params: Record<string, string>) => {
    const url = new URL(redirectUri);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    if (state !== undefined) url.searchParams.set('state', state);
    return reply.redirect(url.toString(), 302);
  };
  const fail = (error: string, description: string) => back({ error, error_description: description });

  if (q['response_type'] !== 'code') return fail('unsupported_response_type', 'response_type must be "code"');
  if (!q['code_challenge']) return fail('invalid_request', 'PKCE is required: send code_challenge with code_challenge_method=S256');
  if (q['code_challenge_method'] !== 'S256') return fail('invalid_request', 'code_challenge_method must be S256');
  if (!/^[A-Za-z0-9_-]{43}$/.test(q['code_challenge'])) return fail('invalid_request', 'code_challenge must be a base64url SHA-256 digest');
  if ((q['aud'] ?? '').replace(/\/$/, '') !== ctx.fhirBase) return fail('invalid_request', `aud must be this server's FHIR base URL (${ctx.fhirBase})`);

  const requested = splitScopes(q['scope']);
  let granted = grantScopes(requested, client.allowedScopes);

  let patient: string | undefined;
  let encounter: string | undefined;
  let user = EHR_USER;
  let intent: string | undefined;
  let tokenError: TokenErrorSwitch | undefined;
  let needPatientBanner = true;
  const launchId = q['launch'];
  if (launchId !== undefined) {
    const launch = ctx.launches.get(launchId);
    if (!launch || launch.expiresAt < ctx.now()) return fail('invalid_request', 'unknown or expired launch');
    if (launch.clientId !== client.clientId) return fail('invalid_request', 'this launch was issued for another app');
    patient = launch.patient;
    encounter = launch.encounter;
    user = launch.user;
    intent = launch.intent;
    tokenError = launch.tokenError;
    needPatientBanner = false;
    // An EHR may grant less than the app asked for and the client may have (the token's `scope` says what).
    if (launch.grantLimit) granted = limitScopes(granted, launch.grantLimit);
  }
  if (granted.length === 0) return fail('invalid_scope', 'none of the requested scopes can be granted to this client');
  if (launchId === undefined) {
    if (granted.includes('launch')) return fail('invalid_request', 'the "launch" scope needs a launch parameter (EHR launch)');
    const needsPatient = granted.includes('launch/patient') || granted.some((s) => resourceScope(s)?.context === 'patient');
    if (needsPatient) {
      patient = q['__picked_patient'];
      if (!patient) return patientPicker(ctx, q, reply);
      // Standalone `launch/encounter`: the picked patient's visit in progress, when there is one.
      if (granted.includes('launch/encounter')) encounter = await encounterInProgress(ctx, patient);
    }
  }
  const code = randomId(24);
  const grant: AuthorizationGrant & { used: boolean } = {
    clientId: client.clientId,
    redirectUri,
    codeChallenge: q['code_challenge'],
    scope: granted,
    ...(patient ? { patient } : {}),
    ...(encounter ? { encounter } : {}),
    user,
    needPatientBanner,
    ...(intent ? { intent } : {}),
    ...(tokenError ? { tokenError } : {}),
    expiresAt: ctx.now() + CODE_TTL_MS,
    used: false,
  };
  ctx.codes.set(code, grant);
  return back({ code });
}

/** The id of the patient's in-progress Encounter (the latest by start), if any. */
async function encounterInProgress(ctx: EhrState, patient: string): Promise<string | undefined> {
  const encounters = (await ctx.store.all('Encounter', patient)) as Encounter[];
  const open = encounters.filter((e) => e.status === 'in-progress').sort((a, b) => (b.period?.start ?? '').localeCompare(a.period?.start ?? ''));
  return open[0]?.id;
}

function patientPicker(ctx: EhrState, q: Record<string, string>, reply: FastifyReply) {
  const pendingId = randomId(16);
  const { __picked_patient: _ignored, ...request } = q;
  ctx.pending.set(pendingId, request);
  const rows = CAST_MEMBERS.filter((m) => ctx.store.locate('Patient', m.id))
    .map(
      (m) => `<tr><td><form method="post" action="/auth/authorize/pick"><input type="hidden" name="pending" value="${esc(pendingId)}">
<input type="hidden" name="patient" value="${esc(m.id)}"><button type="submit">${esc(m.displayName)}</button></form></td>
<td>${m.age}, ${m.gender}</td><td class="muted">${esc(m.demonstrates)}</td></tr>`,
    )
    .join('\n');
  return reply
    .type('text/html')
    .send(page('Sandbox EHR: choose a patient', `<header class="ehr"><strong>Sandbox EHR</strong><span>Standalone launch</span></header>
<main><h1>Choose a patient</h1><p class="muted">${esc(ctx.clients.get(q['client_id'] ?? '')?.name ?? 'The app')} asks to open a patient's record.</p>
<table><thead><tr><th>Patient</th><th>Age, sex</th><th>Demonstrates</th></tr></thead><tbody>${rows}</tbody></table></main>`));
}

function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

async function exchangeCode(ctx: EhrState, body: Record<string, string>, reply: FastifyReply) {
  const code = body['code'] ?? '';
  const grant = ctx.codes.get(code);
  if (!grant) return oauthError(reply, 400, 'invalid_grant', 'unknown authorization code');
  if (grant.used) {
    ctx.codes.delete(code);
    return oauthError(reply, 400, 'invalid_grant', 'authorization code already used');
  }
  grant.used = true;
  if (grant.expiresAt < ctx.now()) return oauthError(reply, 400, 'invalid_grant', 'authorization code expired');
  if (!body['client_id']) return oauthError(reply, 401, 'invalid_client', 'client_id is required');
  if (body['client_id'] !== grant.clientId) return oauthError(reply, 400, 'invalid_grant', 'code was issued to another client');
  if (body['redirect_uri'] !== grant.redirectUri) return oauthError(reply, 400, 'invalid_grant', 'redirect_uri does not match the authorization request');
  const verifier = body['code_verifier'] ?? '';
  if (!/^[A-Za-z0-9\-._~]{43,128}$/.test(verifier)) return oauthError(reply, 400, 'invalid_grant', 'code_verifier is missing or malformed');
  if (!sameString(s256(verifier), grant.codeChallenge)) return oauthError(reply, 400, 'invalid_grant', 'code_verifier does not match code_challenge');
  if (grant.tokenError) return oauthError(reply, grant.tokenError.status, grant.tokenError.error, grant.tokenError.description);
  return tokenResponse(ctx, grant, reply, undefined);
}

async function refresh(ctx: EhrState, body: Record<string, string>, reply: FastifyReply) {
  const rt = ctx.refreshTokens.get(body['refresh_token'] ?? '');
  if (!rt || rt.expiresAt < ctx.now()) return oauthError(reply, 400, 'invalid_grant', 'unknown or expired refresh token');
  if (body['client_id'] !== undefined && body['client_id'] !== rt.clientId) return oauthError(reply, 400, 'invalid_grant', 'refresh token was issued to another client');
  let scope = rt.scope;
  if (body['scope'] !== undefined) {
    const asked = splitScopes(body['scope']);
    if (asked.some((s) => !rt.scope.includes(s))) return oauthError(reply, 400, 'invalid_scope', 'a refresh may only narrow the granted scopes');
    scope = asked;
  }
  return tokenResponse(ctx, { ...rt, scope }, reply, rt.refreshToken);
}

async function tokenResponse(
  ctx: EhrState,
  grant: Omit<AuthorizationGrant, 'redirectUri' | 'codeChallenge'>,
  reply: FastifyReply,
  existingRefresh: string | undefined,
) {
  const subject = {
    clientId: grant.clientId,
    scope: grant.scope,
    user: grant.user,
    ...(grant.patient ? { patient: grant.patient } : {}),
    ...(grant.encounter ? { encounter: grant.encounter } : {}),
  };
  const { token } = await signAccessToken(ctx, subject);
  const wantsRefresh = grant.scope.includes('offline_access') || grant.scope.includes('online_access');
  let refreshToken = existingRefresh;
  if (wantsRefresh && !refreshToken) {
    refreshToken = randomId(32);
    const ttl = grant.scope.includes('offline_access') ? OFFLINE_REFRESH_TTL_MS : ONLINE_REFRESH_TTL_MS;
    const rt: RefreshGrant = { ...grant, refreshToken, expiresAt: ctx.now() + ttl };
    ctx.refreshTokens.set(refreshToken, rt);
  }
  const idToken = grant.scope.includes('openid') && (grant.scope.includes('fhirUser') || grant.scope.includes('profile')) ? await signIdToken(ctx, subject) : undefined;
  return reply.send({
    access_token: token,
    token_type: 'Bearer',
    expires_in: ctx.accessTokenTtlSeconds,
    scope: grant.scope.join(' '),
    ...(idToken ? { id_token: idToken } : {}),
    ...(wantsRefresh && refreshToken ? { refresh_token: refreshToken } : {}),
    ...(grant.patient ? { patient: grant.patient } : {}),
    ...(grant.encounter ? { encounter: grant.encounter } : {}),
    need_patient_banner: grant.needPatientBanner,
    smart_style_url: `${ctx.baseUrl}/smart-style.json`,
    intent: grant.intent ?? 'reconcile-care-gaps',
    tenant: 'sandbox',
  });
}
