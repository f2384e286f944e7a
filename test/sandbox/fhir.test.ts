import type { Bundle, Observation, Task } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ehr } from '../../src/sandbox/index.ts';
import { adminToken, bearer, ehrLaunch, FHIR, testEhr } from './support.ts';

let ehr: Ehr;
let ada: string; // the app's token for Ada (EHR launch)

const get = (url: string, token?: string) => ehr.app.inject({ method: 'GET', url, headers: token ? bearer(token) : {} });
const send = (method: 'POST' | 'PUT', url: string, token: string, body: unknown, headers: Record<string, string> = {}) =>
  ehr.app.inject({ method, url, headers: { ...bearer(token), 'content-type': 'application/fhir+json', ...headers }, payload: JSON.stringify(body) });

const task = (patient: string, extra: Partial<Task> = {}): Task => ({
  resourceType: 'Task',
  status: 'requested',
  intent: 'order',
  description: 'Arrange colorectal cancer screening',
  for: { reference: `Patient/${patient}` },
  ...extra,
});

beforeAll(async () => {
  ehr = await testEhr();
  ada = (await ehrLaunch(ehr, 'ada')).access_token;
});
afterAll(async () => {
  await ehr.app.close();
});

describe('the token is enforced', () => {
  it('answers 401 without a token and with a forged one', async () => {
    const none = await get('/fhir/Patient/ada');
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toContain('Bearer');
    expect(none.json().resourceType).toBe('OperationOutcome');
    expect((await get('/fhir/Patient/ada', `${ada.slice(0, -3)}abc`)).statusCode).toBe(401);
  });

  it('reads the launched patient', async () => {
    const res = await get('/fhir/Patient/ada', ada);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('application/fhir+json');
    expect(res.headers.etag).toBe('W/"1"');
    expect(res.json().name[0]).toMatchObject({ given: ['Ada'], family: 'Lovelace' });
  });

  it("answers another patient's existing resource exactly as a missing one under patient/ scopes", async () => {
    const same = async (existing: string, missing: string) => {
      const [a, b] = [await get(existing, ada), await get(missing, ada)];
      expect([a.statusCode, b.statusCode]).toEqual([404, 404]);
      const strip = (body: string, url: string) => body.split(url.replace(/^\/fhir\//, '').split('/_history')[0] ?? '').join('<ref>');
      expect(strip(a.body, existing)).toBe(strip(b.body, missing));
    };
    expect(ehr.ctx.store.locate('Observation', 'grace-mammogram')).toBe('grace');
    await same('/fhir/Observation/grace-mammogram', '/fhir/Observation/no-such-observation');
    await same('/fhir/Patient/grace', '/fhir/Patient/no-such-patient');
    await same('/fhir/Observation/grace-mammogram/_history', '/fhir/Observation/no-such-observation/_history');
    await same('/fhir/Observation/grace-mammogram/_history/1', '/fhir/Observation/no-such-observation/_history/1');
    const adaAll = await adminToken(ehr, 'patient/*.cruds', 'ada');
    const del = (url: string) => ehr.app.inject({ method: 'DELETE', url, headers: bearer(adaAll) });
    const [theirs, none] = [await del('/fhir/Observation/grace-mammogram'), await del('/fhir/Observation/no-such-observation')];
    expect([theirs.statusCode, none.statusCode]).toEqual([404, 404]);
    expect(ehr.ctx.store.locate('Observation', 'grace-mammogram')).toBe('grace');
    const put = await send('PUT', '/fhir/Observation/grace-mammogram', adaAll, { resourceType: 'Observation', id: 'grace-mammogram', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/ada' } });
    expect(put.statusCode).toBe(404);
  });

  it('returns 403 for a search naming another patient', async () => {
    expect((await get('/fhir/Observation?patient=grace', ada)).statusCode).toBe(403);
    expect((await get('/fhir/Observation?subject=Patient/grace', ada)).statusCode).toBe(403);
  });

  it('returns 403 for a resource type or action outside the granted scopes', async () => {
    const obsOnly = await adminToken(ehr, 'patient/Observation.rs', 'ada');
    expect((await get('/fhir/Condition?patient=ada', obsOnly)).statusCode).toBe(403);
    expect((await send('POST', '/fhir/Observation', obsOnly, { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/ada' } })).statusCode).toBe(403);
    // .rs allows search and read but Task.cu does not allow reading a Task.
    const writeOnly = await adminToken(ehr, 'patient/Task.cu', 'ada');
    expect((await get('/fhir/Task?patient=ada', writeOnly)).statusCode).toBe(403);
  });

  it('applies a scope\'s query: searches, reads, histories and writes reach only the resources it matches', async () => {
    const labsOnly = await adminToken(ehr, 'patient/Observation.cruds?category=laboratory', 'grace');
    const found = (await get('/fhir/Observation?patient=grace', labsOnly)).json() as Bundle<Observation>;
    expect(found.entry?.map((e) => e.resource?.id).sort()).toEqual(['grace-cervical-cytology', 'grace-fit', 'grace-hpv']);
    expect(found.total).toBe(3);
    expect((await get('/fhir/Observation?patient=grace&_count=1', labsOnly)).json()).toMatchObject({ total: 3, entry: [{}] });
    expect((await get('/fhir/Observation/grace-fit', labsOnly)).statusCode).toBe(200);
    const outside = await get('/fhir/Observation/grace-mammogram', labsOnly);
    expect(outside.statusCode).toBe(403);
    expect(outside.body).toMatch(/only the Observation resources matching category=laboratory/);
    expect((await get('/fhir/Observation/grace-mammogram/_history', labsOnly)).statusCode).toBe(200);
    expect(((await get('/fhir/Observation/grace-mammogram/_history', labsOnly)).json() as Bundle).entry ?? []).toEqual([]);
    const vitals = { resourceType: 'Observation', status: 'final', category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }], code: { text: 'Pulse' }, subject: { reference: 'Patient/grace' } };
    expect((await send('POST', '/fhir/Observation', labsOnly, vitals)).statusCode).toBe(403);
    const lab = { ...vitals, category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }], code: { text: 'Potassium' } };
    expect((await send('POST', '/fhir/Observation', labsOnly, lab)).statusCode).toBe(201);
    // A conditional create sees only what the scope reaches: a match outside it is not disclosed.
    const inScope = await send('POST', '/fhir/Observation', labsOnly, lab, { 'if-none-exist': '_id=grace-fit' });
    expect([inScope.statusCode, (inScope.json() as Observation).id]).toEqual([200, 'grace-fit']);
    const hidden = await send('POST', '/fhir/Observation', labsOnly, lab, { 'if-none-exist': '_id=grace-mammogram' });
    expect(hidden.statusCode).toBe(201);
    expect((hidden.json() as Observation).id).not.toBe('grace-mammogram');
    // Two scopes add up; one without a query reaches everything.
    const labsAndImaging = await adminToken(ehr, 'patient/Observation.rs?category=laboratory patient/Observation.rs?category=imaging', 'grace');
    expect(((await get('/fhir/Observation?patient=grace', labsAndImaging)).json() as Bundle).total).toBe(6);
    const all = await adminToken(ehr, 'patient/Observation.rs patient/Observation.rs?category=laboratory', 'grace');
    expect(((await get('/fhir/Observation?patient=grace', all)).json() as Bundle).total).toBe(7);
  });

  it('honours v1 scopes: patient/*.read reads but does not write', async () => {
    const v1 = await adminToken(ehr, 'patient/*.read', 'ada');
    expect((await get('/fhir/Procedure?patient=ada', v1)).statusCode).toBe(200);
    expect((await send('POST', '/fhir/Task', v1, task('ada'))).statusCode).toBe(403);
    const v1write = await adminToken(ehr, 'patient/Task.write', 'ada');
    expect((await send('POST', '/fhir/Task', v1write, task('ada'))).statusCode).toBe(201);
  });

  it('lets user/ scopes read across patients', async () => {
    const user = await adminToken(ehr, 'user/*.rs');
    expect((await get('/fhir/Observation/grace-mammogram', user)).statusCode).toBe(200);
    const all = (await get('/fhir/Patient?_count=100', user)).json() as Bundle;
    expect(all.total).toBeGreaterThanOrEqual(8);
  });

  it('refuses creating a resource in another patient\'s compartment', async () => {
    const res = await send('POST', '/fhir/Task', ada, task('grace'));
    expect(res.statusCode).toBe(403);
  });
});

describe('search', () => {
  it('finds the patient\'s data by bare patient id, code and date', async () => {
    const claude = (await ehrLaunch(ehr, 'claude')).access_token;
    const byCode = (await get('/fhir/Observation?patient=claude&code=http://loinc.org|4548-4', claude)).json() as Bundle<Observation>;
    expect(byCode.total).toBe(2);
    const recent = (await get('/fhir/Observation?patient=claude&code=http://loinc.org|4548-4&date=ge2026-06-01', claude)).json() as Bundle<Observation>;
    expect(recent.entry?.map((e) => e.resource?.valueQuantity?.value)).toEqual([9.8]);
    expect(recent.entry?.[0]?.fullUrl).toBe(`${FHIR}/Observation/claude-hba1c`);
  });

  it('limits a search without a patient parameter to the token\'s patient', async () => {
    const res = (await get('/fhir/Observation', ada)).json() as Bundle<Observation>;
    expect(res.entry?.length).toBeGreaterThan(0);
    expect(res.entry?.every((e) => e.resource?.subject?.reference === 'Patient/ada')).toBe(true);
  });

  it('pages with _count and a working next link', async () => {
    const barbara = (await ehrLaunch(ehr, 'barbara')).access_token;
    const first = (await get('/fhir/Observation?patient=barbara&_count=2', barbara)).json() as Bundle;
    expect(first.total).toBe(3);
    expect(first.entry).toHaveLength(2);
    const next = first.link?.find((l) => l.relation === 'next')?.url ?? '';
    expect(next.startsWith(`${FHIR}/Observation?`)).toBe(true);
    const second = (await get(next.replace('http://127.0.0.1:4000', ''), barbara)).json() as Bundle;
    expect(second.entry).toHaveLength(1);
    expect(second.link?.some((l) => l.relation === 'next')).toBe(false);
    const ids = [...(first.entry ?? []), ...(second.entry ?? [])].map((e) => e.resource?.id);
    expect(new Set(ids).size).toBe(3);
  });

  it('supports status and _lastUpdated', async () => {
    const donald = (await ehrLaunch(ehr, 'donald')).access_token;
    const open = (await get('/fhir/Task?patient=donald&status=requested,ready', donald)).json() as Bundle<Task>;
    expect(open.entry?.map((e) => e.resource?.id)).toEqual(['donald-outreach']);
    const since = (await get('/fhir/Task?patient=donald&_lastUpdated=gt2030-01-01', donald)).json() as Bundle;
    expect(since.total).toBe(0);
  });
});

describe('writes', () => {
  it('creates a Task with Location and ETag', async () => {
    const res = await send('POST', '/fhir/Task', ada, task('ada'));
    expect(res.statusCode).toBe(201);
    const created = res.json() as Task;
    expect(res.headers.location).toBe(`${FHIR}/Task/${created.id}/_history/${created.meta?.versionId}`);
    expect(res.headers.etag).toBe(`W/"${created.meta?.versionId}"`);
  });

  it('creates conditionally with If-None-Exist: 201 once, then 200 with the same resource', async () => {
    const body = task('ada', { identifier: [{ system: 'https://careloop.example/id', value: 'gap-1' }] });
    const headers = { 'if-none-exist': 'identifier=https://careloop.example/id|gap-1' };
    const first = await send('POST', '/fhir/Task', ada, body, headers);
    const second = await send('POST', '/fhir/Task', ada, body, headers);
    expect(first.statusCode).toBe(201);
    expect(second.statusCode).toBe(200);
    expect(second.json().id).toBe(first.json().id);
  });

  it('updates with If-Match, refuses a stale version with 412, and keeps history', async () => {
    const donald = (await ehrLaunch(ehr, 'donald')).access_token;
    const current = (await get('/fhir/Task/donald-outreach', donald)).json() as Task;
    const done = { ...current, status: 'completed' as const };
    const ok = await send('PUT', '/fhir/Task/donald-outreach', donald, done, { 'if-match': `W/"${current.meta?.versionId}"` });
    expect(ok.statusCode).toBe(200);
    const stale = await send('PUT', '/fhir/Task/donald-outreach', donald, done, { 'if-match': `W/"${current.meta?.versionId}"` });
    expect(stale.statusCode).toBe(412);
    const history = (await get('/fhir/Task/donald-outreach/_history', donald)).json() as Bundle<Task>;
    expect(history.entry).toHaveLength(2);
    const v1 = (await get(`/fhir/Task/donald-outreach/_history/${current.meta?.versionId}`, donald)).json() as Task;
    expect(v1.status).toBe('requested');
  });

  it('rejects an invalid resource with 400 and an OperationOutcome', async () => {
    const res = await send('POST', '/fhir/Task', ada, { resourceType: 'Task', intent: 'order', for: { reference: 'Patient/ada' }, status: 'not-a-status' });
    expect(res.statusCode).toBe(400);
    expect(res.json().resourceType).toBe('OperationOutcome');
    const missing = await send('POST', '/fhir/ServiceRequest', ada, { resourceType: 'ServiceRequest', subject: { reference: 'Patient/ada' } });
    expect(missing.statusCode).toBe(400);
  });

  it('files a Provenance targeting the patient\'s Task in that patient\'s compartment', async () => {
    const t = (await send('POST', '/fhir/Task', ada, task('ada'))).json() as Task;
    const res = await send('POST', '/fhir/Provenance', ada, {
      resourceType: 'Provenance',
      target: [{ reference: `Task/${t.id}` }],
      recorded: '2026-11-23T10:00:00Z',
      agent: [{ who: { reference: 'Practitioner/blackwell' } }],
    });
    expect(res.statusCode).toBe(201);
    expect(ehr.ctx.store.locate('Provenance', res.json().id)).toBe('ada');
    expect(ehr.ctx.writes.some((w) => w.reference === `Provenance/${res.json().id}` && w.patient === 'ada' && w.clientId === 'careloop')).toBe(true);
  });
});

describe('metadata', () => {
  it('serves a CapabilityStatement with the SMART OAuth endpoints, no token needed', async () => {
    const res = await get('/fhir/metadata');
    expect(res.statusCode).toBe(200);
    const cs = res.json();
    expect(cs.resourceType).toBe('CapabilityStatement');
    expect(cs.fhirVersion).toBe('4.0.1');
    expect(JSON.stringify(cs.rest[0].security)).toContain('/auth/token');
  });
});
