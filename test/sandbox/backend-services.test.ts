import { generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_ASSERTION_TYPE, generateBackendClientKeys, registerBackendClient, type BackendClientKeys } from '../../src/sandbox/auth/backend-services.ts';
import type { Ehr } from '../../src/sandbox/index.ts';
import { BASE, bearer, form, testEhr } from './support.ts';

const TOKEN_URL = `${BASE}/auth/token`;
let ehr: Ehr;
const now = Date.UTC(2026, 10, 23, 12);
let es: BackendClientKeys;
let rs: BackendClientKeys;

beforeAll(async () => {
  es = await generateBackendClientKeys('ES384');
  rs = await generateBackendClientKeys('RS384');
  ehr = await testEhr({
    now: () => now,
    backendClients: [
      { clientId: 'workflow', name: 'Careloop workflow', jwks: es.jwks, allowedScopes: ['system/Observation.rs', 'system/Task.rus'] },
      { clientId: 'workflow-rsa', name: 'Careloop workflow (RSA)', jwks: rs.jwks, allowedScopes: ['system/*.rs'] },
    ],
  });
});
afterAll(async () => {
  await ehr.app.close();
});

let jtiCounter = 0;
async function assertion(keys: { privateKey: CryptoKey; kid: string; alg: string }, claims: { iss?: string; sub?: string; aud?: string; exp?: number; jti?: string } = {}, clientId = 'workflow') {
  const iat = Math.floor(now / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: keys.alg, kid: keys.kid, typ: 'JWT' })
    .setIssuer(claims.iss ?? clientId)
    .setSubject(claims.sub ?? clientId)
    .setAudience(claims.aud ?? TOKEN_URL)
    .setIssuedAt(iat)
    .setExpirationTime(claims.exp ?? iat + 240)
    .setJti(claims.jti ?? `jti-${++jtiCounter}`)
    .sign(keys.privateKey);
}

async function token(clientAssertion: string, scope = 'system/Observation.rs', extra: Record<string, string> = {}) {
  const res = await ehr.app.inject({ url: '/auth/token', ...form({ grant_type: 'client_credentials', scope, client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: clientAssertion, ...extra }) });
  return { status: res.statusCode, body: res.json() as Record<string, unknown> };
}

describe('SMART Backend Services in the sandbox', () => {
  it('advertises client_credentials with private_key_jwt signed RS384 or ES384', async () => {
    const conf = (await ehr.app.inject({ method: 'GET', url: '/fhir/.well-known/smart-configuration' })).json();
    expect(conf.grant_types_supported).toContain('client_credentials');
    expect(conf.token_endpoint_auth_methods_supported).toContain('private_key_jwt');
    expect(conf.token_endpoint_auth_signing_alg_values_supported).toEqual(['RS384', 'ES384']);
    expect(conf.capabilities).toContain('client-confidential-asymmetric');
  });

  it('issues a system token for an ES384 assertion and the token reads any patient', async () => {
    const t = await token(await assertion({ ...es, alg: 'ES384' }));
    expect(t.status).toBe(200);
    expect(t.body).toMatchObject({ token_type: 'bearer', expires_in: 3600, scope: 'system/Observation.rs' });
    const obs = await ehr.app.inject({ method: 'GET', url: '/fhir/Observation?patient=ada', headers: bearer(String(t.body['access_token'])) });
    expect(obs.statusCode).toBe(200);
    const introspect = await ehr.app.inject({ url: '/auth/introspect', ...form({ token: String(t.body['access_token']) }) });
    expect(introspect.json()).toMatchObject({ active: true, client_id: 'workflow', sub: 'workflow', scope: 'system/Observation.rs' });
  });

  it('issues a token for an RS384 assertion', async () => {
    const t = await token(await assertion({ ...rs, alg: 'RS384' }, {}, 'workflow-rsa'), 'system/Condition.rs');
    expect(t.status).toBe(200);
    expect(t.body['scope']).toBe('system/Condition.rs');
  });

  it('grants only the system scopes the client may have, and the token cannot do more', async () => {
    const t = await token(await assertion({ ...es, alg: 'ES384' }), 'system/Observation.rs system/Task.cruds system/Patient.rs');
    expect(t.status).toBe(200);
    expect(t.body['scope']).toBe('system/Observation.rs');
    const write = await ehr.app.inject({
      method: 'POST',
      url: '/fhir/Observation',
      headers: { ...bearer(String(t.body['access_token'])), 'content-type': 'application/fhir+json' },
      payload: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/ada' } },
    });
    expect(write.statusCode).toBe(403);
    const none = await token(await assertion({ ...es, alg: 'ES384' }), 'system/Patient.rs');
    expect(none).toMatchObject({ status: 400, body: { error: 'invalid_scope' } });
    const patientScope = await token(await assertion({ ...es, alg: 'ES384' }), 'patient/Observation.rs');
    expect(patientScope).toMatchObject({ status: 400, body: { error: 'invalid_scope' } });
  });

  it('accepts each assertion (jti) once', async () => {
    const a = await assertion({ ...es, alg: 'ES384' }, { jti: 'once-only' });
    expect((await token(a)).status).toBe(200);
    expect(await token(a)).toMatchObject({ status: 401, body: { error: 'invalid_client', error_description: expect.stringContaining('jti') } });
  });

  it.each([
    ['a wrong audience', { aud: `${BASE}/fhir` }],
    ['iss and sub that differ', { sub: 'someone-else' }],
    ['an expired assertion', { exp: Math.floor(Date.UTC(2026, 10, 23, 11) / 1000) }],
    ['exp more than five minutes ahead', { exp: Math.floor(Date.UTC(2026, 10, 23, 12, 10) / 1000) }],
    ['an unknown client', { iss: 'nobody', sub: 'nobody' }],
  ])('refuses %s with invalid_client', async (_name, claims) => {
    expect(await token(await assertion({ ...es, alg: 'ES384' }, claims))).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
  });

  it('refuses an assertion signed with a key that is not registered, or with RS256', async () => {
    const other = await generateBackendClientKeys('ES384');
    expect((await token(await assertion({ ...other, kid: es.kid, alg: 'ES384' }))).status).toBe(401);
    const { privateKey } = await generateKeyPair('RS256');
    expect(await token(await assertion({ privateKey, kid: es.kid, alg: 'RS256' }))).toMatchObject({ status: 401, body: { error_description: expect.stringContaining('RS384 or ES384') } });
    expect(await token('not-a-jwt')).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    expect(await token(await assertion({ ...es, alg: 'ES384' }), 'system/Observation.rs', { client_assertion_type: 'secret' })).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
  });

  it('registers backend clients by JWKS with system scopes only, also through the admin API', async () => {
    expect(() => registerBackendClient(ehr.ctx, { clientId: 'x', name: 'x', jwks: es.jwks, allowedScopes: ['patient/*.rs'] })).toThrow(/system\//);
    const keys = await generateBackendClientKeys('ES384');
    const res = await ehr.app.inject({ method: 'POST', url: '/_admin/backend-clients', payload: { clientId: 'reporter', jwks: keys.jwks, scope: 'system/Encounter.rs' } });
    expect(res.statusCode).toBe(201);
    expect((await token(await assertion({ ...keys, alg: 'ES384' }, {}, 'reporter'), 'system/Encounter.rs')).status).toBe(200);
    const bad = await ehr.app.inject({ method: 'POST', url: '/_admin/backend-clients', payload: { clientId: 'r2', jwks: keys.jwks, scope: 'user/*.rs' } });
    expect(bad.statusCode).toBe(400);
  });
});
