import type { Observation, Procedure, Resource, Task } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, it } from 'vitest';
import { ageOn } from '../../src/shared/age.ts';
import { buildCast, CAST_IDS, CAST_MEMBERS, castMember, castResources, type CastChart } from '../../src/shared/cast/index.ts';
import { loadFhirDefinitions } from '../../src/sandbox/fhir-api/definitions.ts';
import { validationProblem } from '../../src/sandbox/fhir-api/validate.ts';

const REF = '2026-11-23';
const cast = buildCast(REF);
const record = (id: string): CastChart => {
  const r = cast.patients.find((p) => p.member.id === id);
  if (!r) throw new Error(id);
  return r;
};
const of = <T extends Resource>(r: CastChart, type: T['resourceType']) => r.resources.filter((x): x is T => x.resourceType === type);

beforeAll(() => {
  loadFhirDefinitions();
});

describe('the cast', () => {
  it('is deterministic for a reference date', () => {
    expect(JSON.stringify(buildCast(REF))).toBe(JSON.stringify(cast));
    expect(JSON.stringify(buildCast('2027-01-01', { skipLarge: true }))).not.toBe(JSON.stringify(buildCast(REF, { skipLarge: true })));
  });

  it('gives every member the age it claims on the reference date', () => {
    for (const m of CAST_MEMBERS) expect(ageOn(record(m.id).patient.birthDate ?? '', REF), m.id).toBe(m.age);
  });

  it('has unique ids and only valid R4 resources', () => {
    const all = castResources(cast);
    const keys = all.map((r) => `${r.resourceType}/${r.id}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const r of all) expect(validationProblem(r), `${r.resourceType}/${r.id}`).toBeNull();
  });

  it('Ada, 52, had her colonoscopy 12 years ago', () => {
    const ada = record(CAST_IDS.ada);
    expect(castMember('ada').displayName).toBe('Ada Lovelace');
    const [colonoscopy] = of<Procedure>(ada, 'Procedure');
    expect(colonoscopy?.code?.coding?.map((c) => c.code)).toEqual(['45378', '73761001']);
    expect(colonoscopy?.performedDateTime?.slice(0, 10)).toBe('2014-11-23');
    expect(ada.encounter).toMatchObject({ id: 'ada-visit', status: 'in-progress' });
  });

  it('Katherine\'s HbA1c has no date and no unit; Claude\'s latest is 9.8%', () => {
    const [k] = of<Observation>(record('katherine'), 'Observation');
    expect(k?.effectiveDateTime).toBeUndefined();
    expect(k?.valueQuantity).toEqual({ value: 7.2 });
    const claude = of<Observation>(record('claude'), 'Observation').find((o) => o.id === 'claude-hba1c');
    expect(claude?.valueQuantity).toMatchObject({ value: 9.8, unit: '%' });
  });

  it('Donald has one open outreach Task', () => {
    const tasks = of<Task>(record('donald'), 'Task');
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({ status: 'requested', for: { reference: 'Patient/donald' } });
  });

  it('John\'s record holds more than 5,000 resources over 20 years', () => {
    const john = record('john');
    expect(john.resources.length).toBeGreaterThanOrEqual(5000);
    const dates = of<Observation>(john, 'Observation').map((o) => o.effectiveDateTime ?? '').sort();
    expect(dates[0]?.slice(0, 4)).toBe('2006');
  });
});
