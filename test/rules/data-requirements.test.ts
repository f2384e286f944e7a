import { describe, expect, it } from 'vitest';
import { PACK_RULES, ruleDataTypes } from '../../src/rules/index.ts';
import { dataTypesOf } from '../../src/rules/data-requirements.ts';
import type { ElmLibrary } from '../../src/cql/index.ts';

const lib = (id: string, defs: unknown[], includes: { localIdentifier: string; path: string }[] = []) =>
  [id, { library: { identifier: { id }, includes: { def: includes }, statements: { def: defs } } } as unknown as ElmLibrary] as const;
const retrieve = (type: string) => ({ type: 'Retrieve', dataType: `{http://hl7.org/fhir}${type}` });

describe('the record types a rule reads', () => {
  it('follows references into included libraries, but only to the defines used', () => {
    const libraries = new Map([
      lib('Main', [{ name: 'A', expression: { type: 'Exists', operand: { type: 'ExpressionRef', name: 'Hospice', libraryName: 'C' } } }, { name: 'B', expression: retrieve('Immunization') }], [{ localIdentifier: 'C', path: 'Common' }]),
      lib('Common', [
        { name: 'Hospice', expression: { type: 'Union', operand: [retrieve('Encounter'), { type: 'FunctionRef', name: 'F' }] } },
        { name: 'F', expression: retrieve('ServiceRequest') },
        { name: 'F', expression: retrieve('Procedure') },
        { name: 'Unused', expression: retrieve('MedicationRequest') },
      ]),
    ]);
    expect(dataTypesOf('Main', libraries)).toEqual(['Encounter', 'Immunization', 'Procedure', 'ServiceRequest']);
  });

  it('knows every built-in rule, and only the vaccination rules read Immunization', () => {
    const types = ruleDataTypes();
    expect([...types.keys()].sort()).toEqual(PACK_RULES.map((r) => r.id).sort());
    expect([...types].filter(([, t]) => t.includes('Immunization')).map(([id]) => id).sort()).toEqual(['influenza-vaccination', 'pneumococcal-vaccination']);
    expect(types.get('colorectal-cancer-screening')).toEqual(expect.arrayContaining(['Procedure', 'Observation', 'DiagnosticReport']));
  });
});
