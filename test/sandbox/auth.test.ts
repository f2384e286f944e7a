import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ehr } from '../../src/sandbox/index.ts';
import { APP_SCOPES, authorize, ehrLaunch, exchange, FHIR, form, pkce, REDIRECT, testEhr } from './support.ts';

let ehr: Ehr;
let now = Date.UTC(2026, 10, 23, 12);

beforeAll(async () => {
  ehr = await testEhr({ now: () => now });
});
afterAll(async () => {
  await ehr.app.close();
});

describe('discovery', () => {
  it('advertises the SMART configuration with S256 only, v1 and v2 permissions and CORS', async () => {
    const res = await ehr.app.inject({ method: 'GET', url: '/fhir/.well-known/smart-configuration', headers: { origin: 'http://localhost:5173' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    const conf = res.json();
    expect(conf.issuer).toBe(FHIR);
    expect(conf.code_challenge_methods_supported).toEqual(['S256']);
    expect(conf.token_endpoint_auth_methods_supported).toEqual(['none', 'private_key_jwt']);
    expect(conf.capabilities).toEqual(expect.arrayContaining(['launch-ehr', 'launch-standalone', 'client-public', 'context-ehr-patient', 'context-ehr-encounter', 'context-standalone-patient', 'permission-v2', 'permission-v1', 'sso-openid-connect', 'permission-offline', 'permission-online', 'context-banner', 'context-style']));
    expect(conf.scopes_supported).toEqual(expect.arrayContaining(['patient/Task.rs', 'patient/Task.cu', 'launch', 'online_access']));
    for (const key of ['authorization_endpoint', 'token_endpoint', 'introspection_endpoint', 'jwks_uri']) expect(conf[key]).toMatch(/^http:\/\/127\.0\.0\.1:4000\//);
  });

  it('answers a CORS preflight for the token endpoint', async () => {
    const res = await ehr.app.inject({ method: 'OPTIONS', url: '/auth/token', headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    expect(res.statusCode).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['access-control-allow-headers']).toContain('content-type');
  });
});

describe('EHR launch', () => {
  it('issues signed tokens bound to the launch context and echoes state', async () => {
    const launch = ehr.ctx.mintLaunch({ patient: 'ada', encounter: 'ada-visit' });
    const { verifier, challenge } = pkce();
    const a = await authorize(ehr, { launch, challenge, state: 'xyz-1' });
    expect(a.res.statusCode).toBe(302);
    expect(`${a.redirect?.origin}${a.redirect?.pathname}`).toBe(REDIRECT);
    expect(a.redirect?.searchParams.get('state')).toBe('xyz-1');
    const t = await exchange(ehr, a.code ?? '', verifier);
    expect(t.status).toBe(200);
    expect(t.body).toMatchObject({ token_type: 'Bearer', patient: 'ada', encounter: 'ada-visit', need_patient_banner: false, tenant: 'sandbox' });
    expect(t.body['smart_style_url']).toBe('http://127.0.0.1:4000/smart-style.json');
    expect(t.body['scope']).toBe(APP_SCOPES);
    expect(typeof t.body['refresh_token']).toBe('string');

    const jwks = createLocalJWKSet((await ehr.app.inject({ method: 'GET', url: '/auth/jwks' })).json());
    const at = await jwtVerify(String(t.body['access_token']), jwks, { issuer: FHIR, audience: FHIR, currentDate: new Date(now) });
    expect(at.protectedHeader.alg).toBe('RS256');
    expect(at.payload).toMatchObject({ client_id: 'careloop', patient: 'ada', fhirUser: `${FHIR}/Practitioner/blackwell`, sub: 'Practitioner/blackwell' });
    expect(at.payload.jti).toBeTruthy();
    const id = await jwtVerify(String(t.body['id_token']), jwks, { issuer: FHIR, audience: 'careloop', currentDate: new Date(now) });
    expect(id.payload['fhirUser']).toBe(`${FHIR}/Practitioner/blackwell`);
  });

  it('keeps the launch bound to its patient even when the request names another', async () => {
    const launch = ehr.ctx.mintLaunch({ patient: 'ada' });
    const { verifier, challenge } = pkce();
    const a = await authorize(ehr, { launch, challenge, extra: { patient: 'grace' } });
    const t = await exchange(ehr, a.code ?? '', verifier);
    expect(t.body['patient']).toBe('ada');
    expect(decodeJwt(String(t.body['access_token']))['patient']).toBe('ada');
  });

  it('refuses an unknown launch and a launch issued for another client', async () => {
    ehr.ctx.clients.set('other', { clientId: 'other', name: 'Other', redirectUris: [REDIRECT], launchUrl: 'http://localhost:5173/launch.html', allowedScopes: ['launch', 'patient/*.rs'] });
    const { challenge } = pkce();
    const unknown = await authorize(ehr, { launch: 'nope', challenge });
    expect(unknown.error).toBe('invalid_request');
    const launch = ehr.ctx.mintLaunch({ patient: 'ada', clientId: 'careloop' });
    const foreign = await authorize(ehr, { launch, challenge, clientId: 'other', scope: 'launch patient/Observation.rs' });
    expect(foreign.error).toBe('invalid_request');
    expect(foreign.code).toBeNull();
  });
});

describe('PKCE, redirect_uri and codes', () => {
  it('refuses a token exchange with the wrong PKCE verifier', async () => {
    const { challenge } = pkce();
    const a = await authorize(ehr, { launch: ehr.ctx.mintLaunch({ patient: 'ada' }), challenge });
    const t = await exchange(ehr, a.code ?? '', pkce().verifier);
    expect(t.status).toBe(400);
    expect(t.body['error']).toBe('invalid_grant');
  });

  it('requires PKCE with S256 and says so on the redirect, with the state', async () => {
    const missing = await authorize(ehr, { launch: ehr.ctx.mintLaunch({ patient: 'ada' }), state: 's1' });
    expect(missing.error).toBe('invalid_request');
    expect(missing.redirect?.searchParams.get('state')).toBe('s1');
    const { verifier } = pkce();
    const plain = await authorize(ehr, { launch: ehr.ctx.mintLaunch({ patient: 'ada' }), challenge: verifier, method: 'plain' });
    expect(plain.error).toBe('invalid_request');
  });

  it('does not redirect to an unregistered redirect_uri', async () => {
    const { challenge } = pkce();
    const a = await authorize(ehr, { launch: ehr.ctx.mintLaunch({ patient: 'ada' }), challenge, redirectUri: 'http://evil.example/cb' });
    expect(a.res.statusCode).toBe(400);
    expect(a.res.headers.location).toBeUndefined();
  });

  it('refuses a token exchange whose redirect_uri differs from the authorization request', async () => {
    const { verifier, challenge } = pkce();
    const a = await authorize(ehr, { launch: ehr.ctx.mintLaunch({ patient: 'ada' }), challenge });
    const t = await exchange(ehr, a.code ?? '', verifier, { redirect_uri: 'http://localhost:5173/other.html' });
    expect(t.body['error']).toBe('invalid_grant');
  });

  it('refuses a replayed authorization code', async () => {
    const { verifier, challenge } = pkce();
    const a = await authorize(ehr, { launch: ehr.ctx.mintLaunch({ patient: 'ada' }), challenge });
    expect((await exchange(ehr, a.code ?? '', verifier)).status).toBe(200);
    const again = await exchange(ehr, a.code ?? '', verifier);
    expect(again.status).toBe(400);
    expect(again.body['error']).toBe('invalid_grant');
  });

  it('refuses an aud that is not this FHIR server', async () => {
    const a = await authorize(ehr, { launch: ehr.ctx.mintLaunch({ patient: 'ada' }), challenge: pkce().challenge, aud: 'https://fhir.other.example' });
    expect(a.error).toBe('invalid_request');
  });

  it('rejects an unknown grant type per OAuth 2.0', async () => {
    const res = await ehr.app.inject({ url: '/auth/token', ...form({ grant_type: 'password', username: 'x' }) });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toBe('unsupported_grant_type');
  });
});

describe('scopes', () => {
  it('grants only requested scopes the client is allowed (v1 and v2)', async () => {
    const t = await ehrLaunch(ehr, 'ada', 'launch patient/Observation.rs patient/Task.read user/*.cruds system/*.read made/up');
    expect(t.scope.split(' ').sort()).toEqual(['launch', 'patient/Observation.rs', 'patient/Task.read']);
  });

  it('answers invalid_scope when nothing can be granted', async () => {
    const a = await authorize(ehr, { challenge: pkce().challenge, scope: 'system/*.cruds', state: 'st' });
    expect(a.error).toBe('invalid_scope');
    expect(a.redirect?.searchParams.get('state')).toBe('st');
  });
});

describe('refresh tokens', () => {
  it('issues a refresh token only with online_access or offline_access', async () => {
    const without = await ehrLaunch(ehr, 'ada', 'launch openid fhirUser patient/Patient.r');
    expect(without.refresh_token).toBeUndefined();
    const withOffline = await ehrLaunch(ehr, 'ada', 'launch offline_access patient/Patient.r');
    expect(withOffline.refresh_token).toBeTruthy();
  });

  it('refreshes an access token for the same patient, and refuses widening the scopes', async () => {
    const t = await ehrLaunch(ehr, 'grace');
    const res = await ehr.app.inject({ url: '/auth/token', ...form({ grant_type: 'refresh_token', refresh_token: t.refresh_token ?? '', client_id: 'careloop' }) });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.patient).toBe('grace');
    expect(decodeJwt(body.access_token)['patient']).toBe('grace');
    const wider = await ehr.app.inject({ url: '/auth/token', ...form({ grant_type: 'refresh_token', refresh_token: t.refresh_token ?? '', scope: 'user/*.cruds' }) });
    expect(wider.json().error).toBe('invalid_scope');
    const bogus = await ehr.app.inject({ url: '/auth/token', ...form({ grant_type: 'refresh_token', refresh_token: 'nope' }) });
    expect(bogus.json().error).toBe('invalid_grant');
  });
});

describe('introspection', () => {
  it('describes an active token and reports expired or forged ones inactive', async () => {
    const t = await ehrLaunch(ehr, 'ada');
    const res = await ehr.app.inject({ url: '/auth/introspect', ...form({ token: t.access_token }) });
    expect(res.json()).toMatchObject({ active: true, client_id: 'careloop', patient: 'ada', sub: 'Practitioner/blackwell', fhirUser: `${FHIR}/Practitioner/blackwell`, scope: APP_SCOPES });
    expect(res.json().exp).toBeGreaterThan(now / 1000);

    const forged = await ehr.app.inject({ url: '/auth/introspect', ...form({ token: `${t.access_token.slice(0, -4)}AAAA` }) });
    expect(forged.json()).toEqual({ active: false });
    const saved = now;
    now += 2 * 3600 * 1000;
    try {
      const expired = await ehr.app.inject({ url: '/auth/introspect', ...form({ token: t.access_token }) });
      expect(expired.json()).toEqual({ active: false });
    } finally {
      now = saved;
    }
  });
});

describe('expiry', () => {
  it('refuses an expired access token at the FHIR API with 401', async () => {
    const t = await ehrLaunch(ehr, 'ada');
    const read = () => ehr.app.inject({ method: 'GET', url: '/fhir/Patient/ada', headers: { authorization: `Bearer ${t.access_token}` } });
    expect((await read()).statusCode).toBe(200);
    const saved = now;
    now += 3601 * 1000;
    try {
      expect((await read()).statusCode).toBe(401);
    } finally {
      now = saved;
    }
  });
});

describe('standalone launch', () => {
  it('asks for a patient, then binds the token to the one picked and asks for a banner', async () => {
    const { verifier, challenge } = pkce();
    const a = await authorize(ehr, { challenge, scope: 'launch/patient openid fhirUser patient/Patient.r patient/Observation.rs' });
    expect(a.res.statusCode).toBe(200);
    expect(a.res.body).toContain('Choose a patient');
    expect(a.res.body).toContain('Grace Murray');
    const pending = /name="pending" value="([^"]+)"/.exec(a.res.body)?.[1] ?? '';
    const picked = await ehr.app.inject({ url: '/auth/authorize/pick', ...form({ pending, patient: 'grace' }) });
    expect(picked.statusCode).toBe(302);
    const code = new URL(String(picked.headers.location)).searchParams.get('code') ?? '';
    const t = await exchange(ehr, code, verifier);
    expect(t.body).toMatchObject({ patient: 'grace', need_patient_banner: true });
    expect(t.body['encounter']).toBeUndefined();
  });
});

describe('standalone launch with launch/encounter', () => {
  it("binds the token to the picked patient's visit in progress when launch/encounter is granted", async () => {
    const { verifier, challenge } = pkce();
    const a = await authorize(ehr, { challenge, scope: 'launch/patient launch/encounter openid fhirUser patient/Patient.r patient/Encounter.r' });
    const pending = /name="pending" value="([^"]+)"/.exec(a.res.body)?.[1] ?? '';
    const picked = await ehr.app.inject({ url: '/auth/authorize/pick', ...form({ pending, patient: 'ada' }) });
    const code = new URL(String(picked.headers.location)).searchParams.get('code') ?? '';
    const t = await exchange(ehr, code, verifier);
    expect(t.body).toMatchObject({ patient: 'ada', encounter: 'ada-visit', need_patient_banner: true });
    expect(String(t.body['scope']).split(' ')).toContain('launch/encounter');
    const conf = (await ehr.app.inject({ method: 'GET', url: '/fhir/.well-known/smart-configuration' })).json();
    expect(conf.capabilities).toContain('context-standalone-encounter');
  });
});

describe('POST /_admin/launch', () => {
  async function adminLaunch(body: Record<string, unknown>) {
    const res = await ehr.app.inject({ method: 'POST', url: '/_admin/launch', payload: body, remoteAddress: '127.0.0.1' });
    return { status: res.statusCode, body: res.json() as { launchUrl: string; launch: string; error?: string } };
  }

  it('mints a patient-portal launch whose tokens name the patient as fhirUser', async () => {
    const { body } = await adminLaunch({ patient: 'ada', user: 'Patient/ada' });
    const { verifier, challenge } = pkce();
    const a = await authorize(ehr, { launch: body.launch, challenge });
    const t = await exchange(ehr, a.code ?? '', verifier);
    const jwks = createLocalJWKSet((await ehr.app.inject({ method: 'GET', url: '/auth/jwks' })).json());
    const id = await jwtVerify(String(t.body['id_token']), jwks, { issuer: FHIR, audience: 'careloop', currentDate: new Date(now) });
    expect(id.payload['fhirUser']).toBe(`${FHIR}/Patient/ada`);
    expect(decodeJwt(String(t.body['access_token']))['sub']).toBe('Patient/ada');
  });

  it('mints an opaque launch id of the asked length, which authorizes like any other', async () => {
    const { body } = await adminLaunch({ patient: 'ada', encounter: 'ada-visit', launchIdLength: 2000 });
    expect(body.launch).toHaveLength(2000);
    expect(new URL(body.launchUrl).searchParams.get('launch')).toBe(body.launch);
    const { verifier, challenge } = pkce();
    const a = await authorize(ehr, { launch: body.launch, challenge });
    expect((await exchange(ehr, a.code ?? '', verifier)).body).toMatchObject({ patient: 'ada', encounter: 'ada-visit' });
  });

  it('grants only the subset a launch allows, and says so in the token scope', async () => {
    const { body } = await adminLaunch({ patient: 'ada', grantScopes: 'launch openid fhirUser patient/*.rs' });
    const { verifier, challenge } = pkce();
    const a = await authorize(ehr, { launch: body.launch, challenge });
    const t = await exchange(ehr, a.code ?? '', verifier);
    expect(String(t.body['scope']).split(' ').sort()).toEqual(
      ['launch', 'openid', 'fhirUser', 'patient/Patient.r', 'patient/Encounter.r', 'patient/Task.rs', 'patient/Observation.rs', 'patient/Condition.rs', 'patient/Procedure.rs', 'patient/ServiceRequest.rs'].sort(),
    );
  });

  it('refuses the code of a launch with the OAuth error it was given, description whole', async () => {
    const description = `The client may ask for: ${'patient/Observation.rs '.repeat(60)}`;
    const { body } = await adminLaunch({ patient: 'ada', tokenError: { status: 401, error: 'invalid_client', description } });
    const { verifier, challenge } = pkce();
    const a = await authorize(ehr, { launch: body.launch, challenge });
    const t = await exchange(ehr, a.code ?? '', verifier);
    expect(t.status).toBe(401);
    expect(t.body).toEqual({ error: 'invalid_client', error_description: description });
  });

  it('refuses a user that is not a FHIR user reference', async () => {
    expect((await adminLaunch({ patient: 'ada', user: 'ada' })).status).toBe(400);
    expect((await adminLaunch({ patient: 'ada', launchIdLength: 0 })).status).toBe(400);
  });
});
