/**
 * Retrieves through the FHIR data source: a QI-Core profile named as the Retrieve's templateId (how
 * CMS eCQM ELM against QI-Core 6 names it) or as a QI-Core type filters by content, the same on
 * tagged and untagged data; an unknown or base-FHIR templateId does not filter.
 */
import { describe, expect, test } from 'vitest';
import { createFhirDataSource } from '../../../src/cql/index.ts';
import { codeIndexBuilder, createFhirDataSourceByType } from '../../../src/cql/fhir-r4/data-source.ts';
import type { CodeIndex } from '../../../src/cql/fhir-r4/data-source.ts';
import type { FhirValue } from '../../../src/cql/index.ts';
import { createTerminology } from '../../../src/cql/terminology.ts';
import { CqlCode } from '../../../src/cql/values/code.ts';
import { qicoreClassifier } from '../../../src/cql/fhir-r4/qicore.ts';
import type { RetrieveRequest, Runtime } from '../../../src/cql/compile/types.ts';

type Json = Record<string, unknown>;

const QI = 'http://hl7.org/fhir/us/qicore/StructureDefinition/';
const FHIR = '{http://hl7.org/fhir}';
const CC = 'http://terminology.hl7.org/CodeSystem/condition-category';
const SNOMED = 'http://snomed.info/sct';
const DIABETES_VS = 'http://example.org/ValueSet/diabetes';

const rt = { terminology: createTerminology(new Map([[DIABETES_VS, [new CqlCode('44054006', SNOMED)]]])) } as unknown as Runtime;

// Ada, 58: type 2 diabetes on her problem list and as an encounter diagnosis, a colonoscopy not
// done, one ordered statin and one statin explicitly not ordered.
const ada: Json[] = [
  { resourceType: 'Patient', id: 'ada', meta: { profile: [`${QI}qicore-patient`] }, birthDate: '1968-03-02' },
  { resourceType: 'Condition', id: 'dm-problem', meta: { profile: [`${QI}qicore-condition-problems-health-concerns`] }, category: [{ coding: [{ system: CC, code: 'problem-list-item' }] }], code: { coding: [{ system: SNOMED, code: '44054006' }] } },
  // Tagged as a problem, but its category says encounter diagnosis: the content decides.
  { resourceType: 'Condition', id: 'dm-encounter', meta: { profile: [`${QI}qicore-condition-problems-health-concerns`] }, category: [{ coding: [{ system: CC, code: 'encounter-diagnosis' }] }], code: { coding: [{ system: SNOMED, code: '44054006' }] } },
  { resourceType: 'Procedure', id: 'colo-not-done', meta: { profile: [`${QI}qicore-procedurenotdone`] }, status: 'not-done', code: { coding: [{ system: SNOMED, code: '73761001' }] } },
  { resourceType: 'MedicationRequest', id: 'statin', meta: { profile: [`${QI}qicore-medicationrequest`] }, status: 'active', intent: 'order' },
  { resourceType: 'MedicationRequest', id: 'statin-declined', meta: { profile: [`${QI}qicore-medicationrequest`] }, status: 'completed', intent: 'order', doNotPerform: true },
];

const untagged = (rs: Json[]): Json[] => rs.map(({ meta: _meta, ...rest }) => rest);

function request(dataType: string, templateId?: string, codes?: RetrieveRequest['codes']): RetrieveRequest {
  return { dataType, templateId, codeProperty: undefined, codes, dateProperty: undefined, dateRange: undefined };
}

const ids = (values: readonly unknown[]): string[] => values.map((v) => String(((v as FhirValue).json as Json)['id'])).sort();

const retrieves: [string, RetrieveRequest, string[]][] = [
  ['problem-list Conditions by templateId', request(`${FHIR}Condition`, `${QI}qicore-condition-problems-health-concerns`), ['dm-problem']],
  ['encounter diagnoses by templateId', request(`${FHIR}Condition`, `${QI}qicore-condition-encounter-diagnosis`), ['dm-encounter']],
  ['encounter diagnoses by QI-Core type name', request('{http://hl7.org/fhir/us/qicore}ConditionEncounterDiagnosis'), ['dm-encounter']],
  ['problem-list Conditions in a value set', request(`${FHIR}Condition`, `${QI}qicore-condition-problems-health-concerns`, { valueSet: DIABETES_VS }), ['dm-problem']],
  ['every Condition for the base FHIR profile', request(`${FHIR}Condition`, 'http://hl7.org/fhir/StructureDefinition/Condition'), ['dm-encounter', 'dm-problem']],
  ['every Condition for an unknown profile', request(`${FHIR}Condition`, 'http://example.org/StructureDefinition/my-condition'), ['dm-encounter', 'dm-problem']],
  ['every Condition without a templateId', request(`${FHIR}Condition`), ['dm-encounter', 'dm-problem']],
  ['procedures not done', request(`${FHIR}Procedure`, `${QI}qicore-procedurenotdone`), ['colo-not-done']],
  ['procedures done', request(`${FHIR}Procedure`, `${QI}qicore-procedure`), []],
  ['medications requested', request(`${FHIR}MedicationRequest`, `${QI}qicore-medicationrequest`), ['statin']],
  ['medications not requested', request(`${FHIR}MedicationRequest`, `${QI}qicore-medicationnotrequested`), ['statin-declined']],
  ['the patient', request(`${FHIR}Patient`, `${QI}qicore-patient`), ['ada']],
];

describe('Retrieve by QI-Core profile', () => {
  test.each(retrieves)('%s', (_what, req, expected) => {
    const tagged = createFhirDataSource(ada, qicoreClassifier);
    const plain = createFhirDataSource(untagged(ada), qicoreClassifier);
    expect(ids(tagged.retrieve(req, rt))).toEqual(expected);
    expect(ids(plain.retrieve(req, rt))).toEqual(expected);
  });

  test('a QI-Core type the classifier does not know fails the retrieve with its name', () => {
    const data = createFhirDataSource(ada, qicoreClassifier);
    expect(() => data.retrieve(request('{http://hl7.org/fhir/us/qicore}NoSuchProfile'), rt)).toThrow(/NoSuchProfile/);
  });
});

describe('Retrieve by code over an indexed record', () => {
  const LOINC = 'http://loinc.org';
  const A1C_VS = 'http://example.org/ValueSet/a1c';
  const a1c = createTerminology(new Map([[A1C_VS, [new CqlCode('4548-4', LOINC), new CqlCode('17856-6', LOINC)]]]));
  const none = createTerminology(new Map([[A1C_VS, []]]));
  const at = (terminology: typeof a1c): Runtime => ({ terminology }) as unknown as Runtime;
  const obs = (id: string, ...codes: [string, string | undefined][]): Json => ({
    resourceType: 'Observation',
    id,
    code: { coding: codes.map(([code, system]) => (system === undefined ? { code } : { system, code })) },
  });
  // Bea's labs, in chart order: two A1c codings on one result, a glucose, an A1c under the LOINC OID.
  const bea: Json[] = [
    { resourceType: 'Patient', id: 'bea' },
    obs('glucose-1', ['2345-7', LOINC]),
    obs('a1c-both', ['17856-6', LOINC], ['4548-4', LOINC]),
    obs('glucose-2', ['2345-7', LOINC]),
    obs('a1c-oid', ['4548-4', 'urn:oid:2.16.840.1.113883.6.1']),
    obs('a1c-first', ['4548-4', LOINC]),
  ];
  const byValueSet = request(`${FHIR}Observation`, undefined, { valueSet: A1C_VS });

  test('keeps chart order and lists a resource with several matching codings once', () => {
    const data = createFhirDataSource(bea, qicoreClassifier);
    expect(data.retrieve(byValueSet, at(a1c)).map((v) => ((v as FhirValue).json as Json)['id'])).toEqual(['a1c-both', 'a1c-oid', 'a1c-first']);
  });

  test('answers a repeated retrieve the same, and another terminology afresh', () => {
    const data = createFhirDataSource(bea, qicoreClassifier);
    const first = data.retrieve(byValueSet, at(a1c));
    expect(data.retrieve(byValueSet, at(a1c))).toEqual(first);
    expect(data.retrieve(byValueSet, at(none))).toEqual([]);
  });

  test('matches listed codes by code and system, any alias of the system, or a code without a system', () => {
    const data = createFhirDataSource([...bea, obs('no-system', ['2345-7', undefined])], qicoreClassifier);
    const glucose = request(`${FHIR}Observation`, undefined, { list: [new CqlCode('2345-7', 'urn:oid:2.16.840.1.113883.6.1')] });
    expect(ids(data.retrieve(glucose, at(none)))).toEqual(['glucose-1', 'glucose-2', 'no-system']);
    const other = request(`${FHIR}Observation`, undefined, { list: [new CqlCode('2345-7', 'http://example.org/other')] });
    expect(ids(data.retrieve(other, at(none)))).toEqual(['no-system']);
  });
});

describe('A source over groups, in key order', () => {
  const LOINC = 'http://loinc.org';
  const A1C_VS = 'http://example.org/ValueSet/a1c';
  const rtA1c = { terminology: createTerminology(new Map([[A1C_VS, [new CqlCode('4548-4', LOINC), new CqlCode('17856-6', LOINC)]]])) } as unknown as Runtime;
  const obs = (id: string | undefined, code: string, extra: Json = {}): Json => ({ resourceType: 'Observation', ...(id === undefined ? {} : { id }), code: { coding: [{ system: LOINC, code }] }, ...extra });
  // Out of key order: several matching codes, a repeated resource, two versions of one id, a twin
  // id with other content (same key: input order decides), resources without an id.
  const chart: Json[] = [
    obs('r9', '4548-4'),
    obs('r10', '17856-6'),
    obs(undefined, '4548-4', { status: 'final' }),
    obs('r1', '2345-7'),
    obs('r2', '4548-4', { meta: { versionId: '2' } }),
    obs('r2', '4548-4', { meta: { versionId: '1' } }),
    obs('r10', '17856-6'),
    obs('r3', '4548-4', { status: 'final' }),
    obs('r3', '4548-4', { status: 'amended' }),
    obs(undefined, '17856-6'),
    { resourceType: 'Patient', id: 'p' },
    obs('', '4548-4', { status: 'final' }),
    obs('r1-a', '4548-4'),
    obs('', '4548-4', { status: 'final' }),
  ];
  const keyOf = (r: Json, index: number): string => {
    const id = typeof r['id'] === 'string' && r['id'] !== '' ? r['id'] : `#${index}`;
    const meta = r['meta'] as { versionId?: string } | undefined;
    return meta?.versionId === undefined ? id : `${id}/_history/${meta.versionId}`;
  };
  // The reference: the input sorted (stably) by type then key, indexed as it comes.
  const positions = chart.map((r, i) => ({ r, i }));
  const sorted = [...positions].sort((a, b) => {
    const ta = String(a.r['resourceType']);
    const tb = String(b.r['resourceType']);
    if (ta !== tb) return ta < tb ? -1 : 1;
    const ka = keyOf(a.r, a.i);
    const kb = keyOf(b.r, b.i);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  const reference = createFhirDataSource(sorted.map((p) => p.r), qicoreClassifier);
  const groups = new Map<string, { r: Json; i: number }[]>();
  for (const p of positions) groups.set(String(p.r['resourceType']), [...(groups.get(String(p.r['resourceType'])) ?? []), p]);
  const grouped = createFhirDataSourceByType(
    [...groups].map(([type, list]) => [type, list.map((p) => p.r)] as const),
    qicoreClassifier,
    { orderKey: (type) => (r, index) => keyOf(r, (groups.get(type) ?? [])[index]?.i ?? -1) },
  );
  const rows = (values: readonly unknown[]): unknown[] => values.map((v) => (v as FhirValue).json);
  const cases: [string, RetrieveRequest, (string | null)[]][] = [
    ['every Observation', request(`${FHIR}Observation`), ['', null, null, 'r1', 'r1-a', 'r10', 'r2', 'r2', 'r3', 'r3', 'r9']],
    ['a value set of several codes', request(`${FHIR}Observation`, undefined, { valueSet: A1C_VS }), ['', null, null, 'r1-a', 'r10', 'r2', 'r2', 'r3', 'r3', 'r9']],
    ['one listed code', request(`${FHIR}Observation`, undefined, { list: [new CqlCode('17856-6', LOINC)] }), [null, 'r10']],
    ['no match', request(`${FHIR}Observation`, undefined, { list: [new CqlCode('0000-0', LOINC)] }), []],
    ['the patient', request(`${FHIR}Patient`), ['p']],
    ['a type the chart lacks', request(`${FHIR}Condition`), []],
  ];
  test.each(cases)('%s: the same rows as a source over the sorted chart', (_what, req, expected) => {
    const got = rows(grouped.retrieve(req, rtA1c));
    expect(got).toEqual(rows(reference.retrieve(req, rtA1c)));
    expect(got.map((r) => (r as Json)['id'] ?? null)).toEqual(expected);
  });

  test('orders versions by key and twins with one key in input order', () => {
    const got = rows(grouped.retrieve(request(`${FHIR}Observation`, undefined, { valueSet: A1C_VS }), rtA1c)) as Json[];
    expect(got.filter((r) => r['id'] === 'r2').map((r) => (r['meta'] as Json)['versionId'])).toEqual(['1', '2']);
    expect(got.filter((r) => r['id'] === 'r3').map((r) => r['status'])).toEqual(['final', 'amended']);
    expect(got.filter((r) => r['id'] === undefined).map((r) => r['status'] ?? null)).toEqual(['final', null]);
  });

  test('takes code indexes built while walking the groups, with the same rows as its own', () => {
    const built = new Map<string, CodeIndex>();
    for (const [type, list] of groups) {
      const builder = codeIndexBuilder(type);
      if (!builder) continue;
      list.forEach((p, i) => builder.add(p.r, i));
      built.set(type, builder.done());
    }
    const options = { orderKey: (type: string) => (r: Json, index: number) => keyOf(r, (groups.get(type) ?? [])[index]?.i ?? -1) };
    const groupList = [...groups].map(([type, list]) => [type, list.map((p) => p.r)] as const);
    const withIndex = createFhirDataSourceByType(groupList, qicoreClassifier, { ...options, codeIndexes: (type, path) => (path === 'code' ? built.get(type) : undefined) });
    for (const [, req] of cases) expect(rows(withIndex.retrieve(req, rtA1c))).toEqual(rows(grouped.retrieve(req, rtA1c)));
    // The index given is the one used: an empty one finds nothing.
    const empty = createFhirDataSourceByType(groupList, qicoreClassifier, { ...options, codeIndexes: () => ({ distinct: [] }) });
    expect(empty.retrieve(request(`${FHIR}Observation`, undefined, { valueSet: A1C_VS }), rtA1c)).toEqual([]);
  });

  test('skips entries of a group that are not resources of its type', () => {
    const odd = createFhirDataSourceByType(
      [
        ['Patient', [null, { resourceType: 'Observation', id: 'not-a-patient' }, { resourceType: 'Patient', id: 'p2' }]],
        ['Observation', ['text', obs('o1', '4548-4'), { resourceType: 'Condition', id: 'c', code: { coding: [{ system: LOINC, code: '4548-4' }] } }, [obs('o2', '4548-4')]]],
      ],
      qicoreClassifier,
      { orderKey: () => (r) => String(r['id']) },
    );
    expect((odd.patient?.json as Json)['id']).toBe('p2');
    expect(ids(odd.retrieve(request(`${FHIR}Observation`), rtA1c))).toEqual(['o1']);
    expect(ids(odd.retrieve(request(`${FHIR}Observation`, undefined, { valueSet: A1C_VS }), rtA1c))).toEqual(['o1']);
    expect(ids(odd.retrieve(request(`${FHIR}Patient`, `${QI}qicore-patient`), rtA1c))).toEqual(['p2']);
  });

  test('keeps the first Patient and counts a repeated resource once (with an id, or an empty one)', () => {
    expect((grouped.patient?.json as Json)['id']).toBe('p');
    expect(grouped.retrieve(request(`${FHIR}Observation`), rtA1c)).toHaveLength(chart.length - 3);
  });
});
