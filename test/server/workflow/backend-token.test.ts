import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateBackendClientKeys, type BackendClientKeys } from '../../../src/sandbox/auth/backend-services.ts';
import type { Ehr } from '../../../src/sandbox/index.ts';
import { BackendTokenError, BackendTokenSource } from '../../../src/server/workflow/backend-token.ts';
import { BASE, testEhr } from '../../sandbox/support.ts';
import { injectFetch } from './inject-fetch.ts';

let ehr: Ehr;
let now = Date.UTC(2026, 10, 23, 12);
let keys: BackendClientKeys;

beforeAll(async () => {
  keys = await generateBackendClientKeys('ES384');
  ehr = await testEhr({ now: () => now, accessTokenTtlSeconds: 300, backendClients: [{ clientId: 'workflow', name: 'w', jwks: keys.jwks, allowedScopes: ['system/*.rs'] }] });
});
afterAll(async () => {
  await ehr.app.close();
});

function source(scope = 'system/Observation.rs') {
  return new BackendTokenSource({ tokenEndpoint: `${BASE}/auth/token`, clientId: 'workflow', privateKey: keys.privateKey, kid: keys.kid, alg: keys.alg, scope, fetch: injectFetch(ehr.app), now: () => now });
}

describe('the workflow service obtains its own token', () => {
  it('caches the token and asks for a new one only near expiry', async () => {
    const tokens = source();
    const first = await tokens.token();
    expect(await tokens.token()).toBe(first);
    expect(tokens.requests).toBe(1);
    now += 200_000; // 300 s token, margin = min(60 s, 100 s): still fresh at 200 s
    expect(await tokens.token()).toBe(first);
    now += 50_000; // 250 s: inside the margin
    const second = await tokens.token();
    expect(second).not.toBe(first);
    expect(tokens.requests).toBe(2);
    const read = await ehr.app.inject({ method: 'GET', url: '/fhir/Observation?patient=ada', headers: { authorization: `Bearer ${second}` } });
    expect(read.statusCode).toBe(200);
  });

  it('shares one token request between concurrent callers', async () => {
    const tokens = source();
    const all = await Promise.all([tokens.token(), tokens.token(), tokens.token()]);
    expect(new Set(all).size).toBe(1);
    expect(tokens.requests).toBe(1);
  });

  it('reports the OAuth error when the EHR refuses', async () => {
    const tokens = source('system/Task.cud');
    await expect(tokens.token()).rejects.toBeInstanceOf(BackendTokenError);
    await expect(source('system/Task.cud').token()).rejects.toMatchObject({ status: 400, oauthError: 'invalid_scope' });
  });
});
