import { describe, expect, it } from 'vitest';
import { indexRecord } from '../../src/rules/index.ts';
import { recordGroups, referenceKey } from '../../src/rules/record.ts';

describe('indexRecord', () => {
  it('indexes by type and by system|code, unpacking Bundles', () => {
    const record = indexRecord([
      {
        resourceType: 'Bundle',
        type: 'searchset',
        entry: [
          { resource: { resourceType: 'Patient', id: 'ada' } },
          { resource: { resourceType: 'Observation', id: 'o1', code: { coding: [{ system: 'http://loinc.org', code: '4548-4' }, { system: 'http://loinc.org', code: '4548-4' }] } } },
        ],
      },
    ]);
    expect(record.patientId).toBe('ada');
    expect(record.byType.get('Observation')?.map((r) => r.id)).toEqual(['o1']);
    expect(record.byType.get('Observation')?.[0]?.codes.map((c) => c.code)).toContain('4548-4');
  });

  it('collects Observation components\' codes with the resource\'s own', () => {
    const record = indexRecord([
      {
        resourceType: 'Observation',
        id: 'bp',
        code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }] },
        component: [{ code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] } }],
      },
    ]);
    expect(record.byType.get('Observation')?.[0]?.codes.map((c) => c.code)).toEqual(['85354-9', '8480-6']);
  });

  it('lists entries that are not resources and notes malformed codings without throwing', () => {
    const record = indexRecord([null, 'text', { resourceType: 'Observation', id: 'x', code: { coding: [{ code: 5 }] } }, { resourceType: 'Condition', id: 'y', code: 'E11' }]);
    expect(record.rejected).toEqual(['entry 0 is not a FHIR resource', 'entry 1 is not a FHIR resource']);
    expect(record.byType.get('Observation')?.[0]?.problems).toEqual(['code.coding has an entry without a string system and code']);
    expect(record.byType.get('Condition')?.[0]?.problems).toEqual(['code is not a CodeableConcept']);
  });

  it('builds versioned references', () => {
    const record = indexRecord([{ resourceType: 'Procedure', id: 'p', meta: { versionId: '3' } }]);
    expect(record.byType.get('Procedure')?.[0]?.reference).toBe('Procedure/p/_history/3');
  });

  it('reads by type like a map, naming a resource without an id by its position', () => {
    const record = indexRecord([
      { resourceType: 'Patient', id: 'ada' },
      null,
      { resourceType: 'Observation', code: { text: 'no id' } },
      { resourceType: 'Condition', id: 'c1', meta: { versionId: '2' } },
      { resourceType: 'Observation', id: 'o1' },
    ]);
    expect([...record.byType.keys()]).toEqual(['Patient', 'Observation', 'Condition']);
    expect(record.byType.size).toBe(3);
    expect(record.byType.has('Condition')).toBe(true);
    expect(record.byType.get('Procedure')).toBeUndefined();
    expect([...record.byType].map(([type, entries]) => `${type}:${entries.map((e) => e.reference).join(',')}`)).toEqual([
      'Patient:Patient/ada',
      'Observation:Observation/#2,Observation/o1',
      'Condition:Condition/c1/_history/2',
    ]);
    // What evaluation orders each type's resources by: the references without the type.
    const groups = recordGroups(record);
    const keys = (type: string) => {
      const g = groups.get(type);
      return g?.resources.map((r, i) => referenceKey(r, g.positionOf(i)));
    };
    expect(keys('Observation')).toEqual(['#2', 'o1']);
    expect(keys('Condition')).toEqual(['c1/_history/2']);
    expect(record.patient?.id).toBe('ada');
  });

  it('indexes each type\'s codes at its primary code path for the engine while grouping', () => {
    const LOINC = 'http://loinc.org';
    const record = indexRecord([
      { resourceType: 'Observation', id: 'a', code: { coding: [{ system: LOINC, code: '4548-4' }] } },
      { resourceType: 'Patient', id: 'p' },
      { resourceType: 'Observation', id: 'b', code: { coding: [{ system: LOINC, code: '2345-7' }, { system: LOINC, code: '4548-4' }] } },
      { resourceType: 'Encounter', id: 'e', type: [{ coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: '99213' }] }] },
    ]);
    const groups = recordGroups(record);
    const codes = (type: string, path: string) => groups.get(type)?.codeIndex(path)?.distinct.map((d) => `${d.code.code}@${[...d.at].join(',')}`);
    expect(codes('Observation', 'code')).toEqual(['4548-4@0,1', '2345-7@1']);
    expect(codes('Encounter', 'type')).toEqual(['99213@0']);
    expect(codes('Observation', 'category')).toBeUndefined();
    expect(codes('Patient', 'code')).toBeUndefined();
  });
});
