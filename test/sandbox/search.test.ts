import { parseSearchRequest } from '@medplum/core';
import type { Bundle } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeQuery, type Query } from '../../src/sandbox/fhir-api/store.ts';
import type { Ehr } from '../../src/sandbox/index.ts';
import { adminToken, bearer, FHIR, testEhr } from './support.ts';

let ehr: Ehr;

beforeAll(async () => {
  ehr = await testEhr({ skipLargeRecord: false });
}, 60_000);
afterAll(async () => {
  await ehr.app.close();
});

/** Ids medplum's own in-memory search finds for the same query (the reference semantics). */
async function medplumIds(type: string, patient: string, query: Query): Promise<string[]> {
  const { count: _c, offset: _o, ...request } = parseSearchRequest(type as 'Patient', normalizeQuery(query));
  const b = await ehr.ctx.store.repo(patient).search({ ...request, count: 100_000 });
  return (b.entry ?? []).map((e) => e.resource?.id ?? '');
}

async function sandboxIds(type: string, patient: string, query: Query): Promise<string[]> {
  const b = await ehr.ctx.store.search(type, { ...query, _count: '1000' }, [patient], FHIR);
  return (b.entry ?? []).map((e) => e.resource?.id ?? '');
}

describe('search fast paths agree with medplum', () => {
  const cases: [string, string, Query][] = [
    ['Observation', 'claude', { patient: 'claude', code: 'http://loinc.org|4548-4' }],
    ['Observation', 'claude', { code: '4548-4' }],
    ['Observation', 'barbara', { code: 'http://loinc.org|85354-9,http://loinc.org|24606-6' }],
    ['Observation', 'barbara', { category: 'http://terminology.hl7.org/CodeSystem/observation-category|vital-signs' }],
    ['Observation', 'claude', { date: 'ge2026-01-01' }],
    ['Observation', 'claude', { date: 'lt2026-09-23' }],
    ['Observation', 'claude', { date: '2026-09-23' }],
    ['Observation', 'barbara', { date: ['ge2026-01-01', 'le2026-06-30'] }],
    ['Procedure', 'ada', { date: 'le2015' }],
    ['Task', 'donald', { status: 'requested,ready' }],
    ['Task', 'donald', { 'status:not': 'completed' }],
    ['Condition', 'katherine', { code: 'http://hl7.org/fhir/sid/icd-10-cm|E11.9' }],
    ['Observation', 'john', { code: 'http://loinc.org|4548-4', date: 'ge2024-06-01' }],
  ];
  it.each(cases)('%s in %s with %j', async (type, patient, query) => {
    const expected = await medplumIds(type, patient, query);
    expect(expected.length, 'the case should match something').toBeGreaterThan(0);
    expect((await sandboxIds(type, patient, query)).sort()).toEqual(expected.sort());
  }, 30_000); // medplum's reference search over the large record takes seconds

  it('sorts by date like medplum', async () => {
    const q = { code: 'http://loinc.org|4548-4', _sort: '-date' };
    const fast = await sandboxIds('Observation', 'claude', q);
    const { count: _c, offset: _o, ...request } = parseSearchRequest('Observation', q);
    const ref = ((await ehr.ctx.store.repo('claude').search(request)).entry ?? []).map((e) => e.resource?.id);
    expect(fast).toEqual(ref);
    expect(fast[0]).toBe('claude-hba1c');
  });
});

describe('the large record', () => {
  it('answers a code search over 5,000 resources in well under a second, newest first', async () => {
    const token = await adminToken(ehr, 'patient/*.rs', 'john');
    const start = performance.now();
    const res = await ehr.app.inject({ method: 'GET', url: '/fhir/Observation?patient=john&code=http://loinc.org|4548-4&_sort=-date&_count=100', headers: bearer(token) });
    const elapsed = performance.now() - start;
    const bundle = res.json() as Bundle;
    expect(bundle.total).toBe(240);
    expect(bundle.entry).toHaveLength(100);
    expect(bundle.link?.find((l) => l.relation === 'next')).toBeDefined();
    expect(elapsed).toBeLessThan(1000);
    const all = (await ehr.app.inject({ method: 'GET', url: '/fhir/Observation?patient=john&_summary=count', headers: bearer(token) })).json() as Bundle;
    expect(all.total).toBeGreaterThan(4500);
  });
});
