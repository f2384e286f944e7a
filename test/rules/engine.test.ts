import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { careloopPreventive, compareResults, evaluatePack, indexRecord, isOpenGap, isOpenGapStatus, VS, withValueSets, ValueSetLoadError } from '../../src/rules/index.ts';
import type { RuleResult } from '../../src/rules/index.ts';
import { canonicalJson } from '../../src/shared/canonical-json.ts';
import { bpPanel, builtInPack, condition, encounter, evaluateBuiltIn, hba1c, mp, observation, patient, poc, procedure, resultFor } from './builders.ts';

/** "Ada, 52": diabetes with HbA1c 9.4 %, colonoscopy 12 years ago, hypertension controlled, no mammogram. */
const ada = (): unknown[] => [
  patient('1973-03-10', 'female'),
  condition('icd10cm', 'E11.9', '2015-01-01'),
  hba1c('2025-03-01', 9.4),
  procedure('snomed', '73761001', '2013-05-01'),
  condition('icd10cm', 'I10', '2016-01-01'),
  bpPanel('2025-03-01', 128, 82),
  encounter('2025-03-01'),
];

describe('evaluatePack', () => {
  it('returns byte-identical JSON for the same input', () => {
    const resources = ada();
    const a = JSON.stringify(evaluateBuiltIn(resources, poc('2025-06-01')));
    const b = JSON.stringify(evaluateBuiltIn(structuredClone(resources), poc('2025-06-01')));
    const c = JSON.stringify(evaluateBuiltIn(indexRecord(resources), poc('2025-06-01')));
    expect(b).toBe(a);
    expect(c).toBe(a);
  });

  it('orders evidence and results the same whatever the resource order', () => {
    const resources = ada();
    const forward = canonicalJson(evaluateBuiltIn(resources, poc('2025-06-01')));
    const backward = canonicalJson(evaluateBuiltIn([...resources].reverse(), poc('2025-06-01')));
    expect(backward).toBe(forward);
  });

  it('puts the overdue HbA1c above 9 % first and names it as the next-best action', () => {
    const result = evaluateBuiltIn(ada(), poc('2025-06-01'));
    expect(result.next).toBe('diabetes-glycemic-status');
    const open = result.results.filter(isOpenGap);
    expect(open.map((r) => [r.rule, r.priority])).toEqual([
      ['diabetes-glycemic-status', 1],
      ['colorectal-cancer-screening', 2],
      ['breast-cancer-screening', 3],
      ['cervical-cancer-screening', 4],
      ['tobacco-screening-cessation', 5],
    ]);
  });

  it('calls a result an open gap when it is due or overdue, and nothing else (isOpenGap, the one definition)', () => {
    const statuses = ['due', 'overdue', 'satisfied', 'excluded', 'not-applicable', 'insufficient-data'] as const;
    expect(statuses.filter(isOpenGapStatus)).toEqual(['due', 'overdue']);
    const result = evaluateBuiltIn(ada(), poc('2025-06-01'));
    expect(result.results.filter(isOpenGap).map((r) => r.status)).toEqual(result.results.map((r) => r.status).filter((s) => s === 'due' || s === 'overdue'));
  });

  it('lists results that are not open gaps after the open ones, insufficient data first', () => {
    const result = evaluateBuiltIn([...ada(), observation('loinc', '29771-3', 'soon')], poc('2025-06-01'));
    const statuses = result.results.map((r) => r.status);
    const firstClosed = statuses.findIndex((s) => s !== 'due' && s !== 'overdue');
    expect(statuses.slice(firstClosed)).toEqual(['insufficient-data', 'satisfied', 'not-applicable', 'not-applicable', 'not-applicable']);
  });

  it('returns next = null when no gap is open', () => {
    const result = evaluateBuiltIn([patient('2010-01-01', 'male')], poc('2025-06-01'));
    expect(result.results.every((r) => r.status === 'not-applicable' || r.status === 'satisfied')).toBe(false);
    const child = evaluateBuiltIn([patient('2020-01-01', 'male')], poc('2025-06-01'));
    expect(child.next).toBeNull();
  });

  it('carries rule id, version, measure, pack digest and an evidence digest on every result', () => {
    const result = evaluateBuiltIn(ada(), poc('2025-06-01'));
    for (const r of result.results) {
      expect(r.packDigest).toBe(builtInPack.digest);
      expect(r.evidenceDigest).toMatch(/^[0-9a-f]{64}$/);
      expect(r.version).toMatch(/^\d+\.\d+\.\d+$/);
    }
    expect(result.results.find((r) => r.rule === 'colorectal-cancer-screening')?.measure).toBe('CMS130');
    expect(result.results.find((r) => r.rule === 'influenza-vaccination')?.measure).toBeUndefined();
  });

  it('puts the versionId into evidence references', () => {
    const colo = procedure('snomed', '73761001', '2020-01-01', { id: 'colo', meta: { versionId: '7' } });
    const r = resultFor('colorectal-cancer-screening', [patient('1970-01-01', 'male'), colo], poc('2025-06-01'));
    expect(r.evidence[0]).toMatchObject({ reference: 'Procedure/colo/_history/7', versionId: '7', date: '2020-01-01', role: 'numerator' });
  });

  it('counts the current encounter as the visit even while in progress', () => {
    const current = encounter('2025-06-01T09:00:00Z', { id: 'now', status: 'in-progress' });
    const r = resultFor('colorectal-cancer-screening', [patient('1970-01-01', 'male'), current], poc('2025-06-01', { encounterId: 'now' }));
    expect(r.evidence.find((e) => e.role === 'visit')).toMatchObject({ reference: 'Encounter/now', note: 'current encounter' });
  });

  it('does not name a cancelled current encounter as the visit', () => {
    const cancelled = encounter('2025-06-01T09:00:00Z', { id: 'now', status: 'cancelled' });
    const r = resultFor('colorectal-cancer-screening', [patient('1970-01-01', 'male'), cancelled], poc('2025-06-01', { encounterId: 'now' }));
    expect(r.evidence.some((e) => e.role === 'visit')).toBe(false);
  });

  it.each([
    ['an invalid as-of date', { mode: 'point-of-care', asOf: '2025-02-30' }],
    ['an unknown time zone', { mode: 'point-of-care', asOf: '2025-06-01', timeZone: 'Mars/Olympus' }],
    ['a period that ends before it starts', { mode: 'measure', periodStart: '2025-12-31', periodEnd: '2025-01-01' }],
  ] as const)('turns %s into insufficient-data results instead of throwing', (_name, options) => {
    const result = evaluateBuiltIn(ada(), options);
    expect(result.results.every((r) => r.status === 'insufficient-data')).toBe(true);
    expect(result.next).toBeNull();
  });

  it('never throws on garbage input', () => {
    const garbage: unknown[] = [null, 42, 'x', [], { resourceType: 7 }, { resourceType: 'Observation', code: 'nope', component: 'x' }, { resourceType: 'Patient', birthDate: 19700101 }];
    const result = evaluateBuiltIn(garbage, poc('2025-06-01'));
    expect(result.results).toHaveLength(builtInPack.rules.length);
    expect(result.results.every((r) => r.status === 'insufficient-data')).toBe(true);
  });

  it('makes a rule insufficient-data when two Patient resources disagree', () => {
    const r = resultFor('colorectal-cancer-screening', [patient('1970-01-01', 'male'), { ...patient('1980-01-01', 'male'), id: 'p2' }], poc('2025-06-01'));
    expect(r.status).toBe('insufficient-data');
  });

  it('only evaluates rules that have an eCQM in measure mode, with populations and gap status', () => {
    const result = evaluateBuiltIn(ada(), mp(2025));
    expect(result.results.map((r) => r.measure).sort()).toEqual(['CMS122', 'CMS124', 'CMS125', 'CMS130', 'CMS138', 'CMS165', 'CMS347']);
    expect(result.results.every((r) => r.populations !== undefined && r.gapStatus !== undefined)).toBe(true);
  });

  it('reads the patient id from subject references when there is no Patient resource', () => {
    expect(evaluateBuiltIn([hba1c('2025-01-01', 7)], poc('2025-06-01')).patient).toBe('p1');
  });
});

describe('prioritisation (compareResults)', () => {
  const base = { version: '1', measure: undefined, title: '', citation: { text: '', url: '' }, reason: '', reasonCode: undefined, evidence: [], evidenceDigest: '', packDigest: '', logic: { library: 'L', version: '1', elmDigest: '', source: 'careloop' as const } };
  const action = { resourceType: 'Task', code: { system: 's', code: 'c' }, intent: 'plan', text: '', reason: '' } as const;
  const open = (rule: string, status: 'due' | 'overdue', dueDate: string): RuleResult => ({ ...base, rule, status, dueDate, action, priority: 0 });
  const weights = new Map([
    ['heavy', 90],
    ['light', 10],
    ['light2', 10],
  ]);
  const order = (list: RuleResult[]) => [...list].sort((a, b) => compareResults(a, b, weights)).map((r) => r.rule);

  it('puts overdue before due whatever the weight', () => {
    expect(order([open('heavy', 'due', '2025-01-01'), open('light', 'overdue', '2025-01-01')])).toEqual(['light', 'heavy']);
  });

  it('puts the higher clinical weight first within a status', () => {
    expect(order([open('light', 'due', '2020-01-01'), open('heavy', 'due', '2025-01-01')])).toEqual(['heavy', 'light']);
  });

  it('puts the earlier due date first at equal weight', () => {
    expect(order([open('light', 'due', '2025-02-01'), open('light2', 'due', '2025-01-01')])).toEqual(['light2', 'light']);
  });
});

const ELM_DIR = join(import.meta.dirname, '../../src/rules/elm');
const loadInto = (input: unknown) => withValueSets(careloopPreventive, input);
const runPack = (p: ReturnType<typeof loadInto>, resources: unknown[]) => evaluatePack(p, resources, poc('2025-06-01')).results.find((r) => r.rule === 'colorectal-cancer-screening')?.status;

describe('value sets', () => {
  it('changes the pack digest when a value set expansion changes', () => {
    const vs = { resourceType: 'ValueSet', url: VS.colonoscopy, version: '20250508', expansion: { contains: [{ system: 'http://www.ama-assn.org/go/cpt', code: '45378' }] } };
    const loaded = loadInto(vs);
    expect(loaded.digest).not.toBe(builtInPack.digest);
    expect(loaded.valueSets[VS.colonoscopy]?.source).toBe('loaded');
  });

  it('replaces a built-in expansion by URL from a Bundle of ValueSets, so old codes stop matching', () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [{ resource: { resourceType: 'ValueSet', url: `${VS.colonoscopy}|20250508`, expansion: { contains: [{ system: 'http://example.org/local', code: 'COLO', contains: [] }] } } }],
    };
    const pack = loadInto(bundle);
    const local = { ...procedure('snomed', '73761001', '2020-01-01'), code: { coding: [{ system: 'http://example.org/local', code: 'COLO' }] } };
    expect(runPack(pack, [patient('1970-01-01', 'male'), local])).toBe('satisfied');
    expect(runPack(pack, [patient('1970-01-01', 'male'), procedure('snomed', '73761001', '2020-01-01')])).toBe('due');
    expect(runPack(builtInPack, [patient('1970-01-01', 'male'), local])).toBe('due');
  });

  it('ignores value sets the pack does not use', () => {
    const pack = loadInto({ resourceType: 'ValueSet', url: 'http://example.org/other', expansion: { contains: [{ system: 'x', code: 'y' }] } });
    expect(pack.digest).toBe(builtInPack.digest);
  });

  it.each([
    ['a Patient', { resourceType: 'Patient' }],
    ['a ValueSet without url', { resourceType: 'ValueSet', expansion: { contains: [{ system: 'x', code: 'y' }] } }],
    ['a ValueSet with an empty expansion', { resourceType: 'ValueSet', url: VS.colonoscopy, expansion: {} }],
  ])('refuses %s', (_name, input) => {
    expect(() => withValueSets(careloopPreventive, input)).toThrow(ValueSetLoadError);
  });

  it('holds every value set its CQL libraries name, and only those', () => {
    const named = new Set<string>();
    for (const f of readdirSync(ELM_DIR).filter((n) => n.endsWith('.json'))) {
      const elm = JSON.parse(readFileSync(join(ELM_DIR, f), 'utf8')) as { library: { valueSets?: { def?: { id: string }[] } } };
      for (const d of elm.library.valueSets?.def ?? []) named.add(d.id);
    }
    expect(Object.keys(careloopPreventive.valueSets).sort()).toEqual([...named].sort());
  });

  it('says in each built-in VSAC expansion that it is a starter subset', () => {
    for (const vs of Object.values(builtInPack.valueSets)) {
      expect(vs.source === 'starter-subset' || vs.source === 'careloop').toBe(true);
      if (vs.url.startsWith('http://cts.nlm.nih.gov/fhir/ValueSet/')) expect(vs.source).toBe('starter-subset');
    }
  });
});
