import type { Task } from '@medplum/fhirtypes';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Ehr } from '../../src/sandbox/index.ts';
import { adminToken, bearer, testEhr } from './support.ts';

let ehr: Ehr;
let token: string;

const fault = (body: Record<string, unknown>) => ehr.app.inject({ method: 'POST', url: '/_admin/faults', payload: body });
const read = () => ehr.app.inject({ method: 'GET', url: '/fhir/Patient/ada', headers: bearer(token) });
const createTask = () =>
  ehr.app.inject({
    method: 'POST',
    url: '/fhir/Task',
    headers: { ...bearer(token), 'content-type': 'application/fhir+json' },
    payload: JSON.stringify({ resourceType: 'Task', status: 'requested', intent: 'order', description: 'fault test', for: { reference: 'Patient/alan' } } satisfies Task),
  });

beforeAll(async () => {
  ehr = await testEhr();
  token = await adminToken(ehr, 'user/*.cruds');
});
afterEach(async () => {
  await ehr.app.inject({ method: 'DELETE', url: '/_admin/faults' });
});
afterAll(async () => {
  await ehr.app.close();
});

describe('fault switches', () => {
  it('adds latency to a route', async () => {
    expect((await fault({ method: 'GET', path: '/fhir/Patient/*', latencyMs: 250 })).statusCode).toBe(201);
    const start = Date.now();
    expect((await read()).statusCode).toBe(200);
    expect(Date.now() - start).toBeGreaterThanOrEqual(240);
  });

  it('answers 429 with Retry-After the given number of times, then recovers', async () => {
    await fault({ path: '/fhir/Patient/ada', status: 429, retryAfterSeconds: 7, times: 2 });
    const first = await read();
    expect(first.statusCode).toBe(429);
    expect(first.headers['retry-after']).toBe('7');
    expect(first.json().resourceType).toBe('OperationOutcome');
    expect((await read()).statusCode).toBe(429);
    expect((await read()).statusCode).toBe(200);
  });

  it('answers 5xx only for the method and path it names', async () => {
    await fault({ method: 'POST', path: '/fhir/Task', status: 503 });
    expect((await createTask()).statusCode).toBe(503);
    expect((await read()).statusCode).toBe(200);
  });

  it('delivers a write twice', async () => {
    const before = (await ehr.app.inject({ method: 'GET', url: '/_admin/resources?type=Task&patient=alan' })).json().resources.length;
    await fault({ method: 'POST', path: '/fhir/Task', duplicateWrite: true, times: 1 });
    expect((await createTask()).statusCode).toBe(201);
    const after = (await ehr.app.inject({ method: 'GET', url: '/_admin/resources?type=Task&patient=alan' })).json().resources.length;
    expect(after - before).toBe(2);
  });

  it('drops the connection without an answer (real HTTP)', async () => {
    await ehr.app.listen({ port: 0, host: '127.0.0.1' });
    const address = ehr.app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    await fault({ path: '/fhir/metadata', drop: true, times: 1 });
    await expect(fetch(`http://127.0.0.1:${port}/fhir/metadata`)).rejects.toThrow();
    expect((await fetch(`http://127.0.0.1:${port}/fhir/metadata`)).status).toBe(200);
  });

  it('lists and removes switches, and refuses a malformed one', async () => {
    const { id } = (await fault({ path: '/fhir/*', latencyMs: 1 })).json();
    expect((await ehr.app.inject({ method: 'GET', url: '/_admin/faults' })).json().faults).toHaveLength(1);
    expect((await ehr.app.inject({ method: 'DELETE', url: `/_admin/faults/${id}` })).statusCode).toBe(204);
    expect((await ehr.app.inject({ method: 'GET', url: '/_admin/faults' })).json().faults).toHaveLength(0);
    expect((await fault({ path: '/fhir/*', status: 404 })).statusCode).toBe(400);
    expect((await fault({ path: '/fhir/*', bogus: true })).statusCode).toBe(400);
  });

  it('answers the admin API on loopback only', async () => {
    const res = await ehr.app.inject({ method: 'GET', url: '/_admin/faults', remoteAddress: '10.1.2.3' });
    expect(res.statusCode).toBe(403);
  });
});
