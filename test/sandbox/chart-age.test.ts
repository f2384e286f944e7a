import type { Patient } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ehr } from '../../src/sandbox/index.ts';
import { adminToken, bearer, testEhr } from './support.ts';

let ehr: Ehr;

beforeAll(async () => {
  ehr = await testEhr();
});
afterAll(async () => {
  await ehr.app.close();
});

describe('the chart’s age', () => {
  it('shows the age in whole years on the sandbox’s day', async () => {
    expect((await ehr.app.inject({ method: 'GET', url: '/chart/ada' })).body).toContain('female, 52 y (DOB');
  });

  it('shows "?" for a birthDate that is only a year, in the list and the banner', async () => {
    const token = await adminToken(ehr, 'user/*.cruds');
    const ada = (await ehr.app.inject({ method: 'GET', url: '/fhir/Patient/ada', headers: bearer(token) })).json() as Patient;
    const put = await ehr.app.inject({
      method: 'PUT',
      url: '/fhir/Patient/ada',
      headers: { ...bearer(token), 'content-type': 'application/fhir+json' },
      payload: JSON.stringify({ ...ada, birthDate: '1973' }),
    });
    expect(put.statusCode).toBe(200);
    const banner = (await ehr.app.inject({ method: 'GET', url: '/chart/ada' })).body;
    expect(banner).toContain('female, ? y (DOB 1973)');
    const list = (await ehr.app.inject({ method: 'GET', url: '/' })).body;
    expect(list).not.toContain('NaN');
    expect(list).toMatch(/Ada Lovelace<\/a><\/td><td>\?<\/td>/);
  });
});
