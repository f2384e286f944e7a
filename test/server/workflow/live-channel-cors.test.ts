/**
 * The live channel from an app on another origin (`auditApiBaseUrl` pointing at a separate audit
 * server): its Server-Sent Events answer is written by hand, and must still carry the CORS headers
 * the browser needs to hand it to the sidebar; other origins get none.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateBackendClientKeys } from '../../../src/sandbox/auth/backend-services.ts';
import { CHANGES_PATH, WorkflowService } from '../../../src/server/workflow/service.ts';
import { harness, type Harness } from '../support/harness.ts';

const APP = 'https://careloop.hospital.example';
let h: Harness;
let service: WorkflowService;
let address: string;

beforeAll(async () => {
  const keys = await generateBackendClientKeys('ES384');
  service = new WorkflowService({
    fhirBase: 'http://127.0.0.1:9/fhir',
    backend: { tokenEndpoint: 'http://127.0.0.1:9/auth/token', clientId: 'careloop-workflow', privateKey: keys.privateKey, kid: keys.kid, alg: keys.alg, scope: 'system/*.rs' },
    inbox: ':memory:',
    publicUrl: 'http://127.0.0.1:8080',
  });
  h = await harness({ workflow: service, corsOrigins: [APP] });
  address = await h.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await service.close();
  await h.close();
});

const open = (origin: string) => fetch(`${address}${CHANGES_PATH}?patient=ada`, { headers: { authorization: `Bearer ${h.token}`, origin } });

describe('the live channel across origins', () => {
  it('answers the configured app origin with CORS headers on the event stream', async () => {
    const res = await open(APP);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
    await res.body?.cancel();
  });

  it('allows the preflight of the fetch that carries the token in Authorization', async () => {
    const res = await fetch(`${address}${CHANGES_PATH}?patient=ada`, { method: 'OPTIONS', headers: { origin: APP, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization,x-fhir-base' } });
    expect(res.status).toBeLessThan(300);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
    expect(res.headers.get('access-control-allow-headers')).toMatch(/authorization/);
  });

  it('gives another origin no CORS header', async () => {
    const res = await open('https://elsewhere.example');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    await res.body?.cancel();
  });
});
