/**
 * `rules measure`: measure packages (a Measure, its ELM Libraries and ValueSets in a Bundle) loaded
 * without code, one individual MeasureReport per patient and measure, and one-line failures (exit 2).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/rules.ts';
import { GAP_STATUS_EXTENSION } from '../../src/rules/measure-package.ts';
import { VS } from '../../src/rules/valuesets.ts';
import { bundle, colonoscopyMeasure, elmText, library, packageParts } from '../fixtures/measure/package.ts';

type Json = Record<string, unknown>;

const dir = mkdtempSync(join(tmpdir(), 'careloop-measure-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const URL = 'https://careloop.example/fhir/Measure/CareloopColonoscopyMeasure';
const measure = colonoscopyMeasure(URL);

function write(name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
  return path;
}

const packageResources = [measure, ...packageParts()];
const pkg = write('package.json', bundle(packageResources));

const visit = (id: string, patient: string, code = '99213', start = '2025-03-04'): Json => ({
  resourceType: 'Encounter',
  id,
  status: 'finished',
  class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
  type: [{ coding: [{ system: 'http://www.ama-assn.org/go/cpt', code }] }],
  subject: { reference: `Patient/${patient}` },
  period: { start, end: start },
});
const colonoscopy = (id: string, patient: string, date: string): Json => ({
  resourceType: 'Procedure',
  id,
  status: 'completed',
  code: { coding: [{ system: 'http://snomed.info/sct', code: '73761001' }] },
  subject: { reference: `Patient/${patient}` },
  performedDateTime: date,
});
const person = (id: string, birthDate: string): Json => ({ resourceType: 'Patient', id, birthDate, gender: 'female' });

const patients = {
  ada: write('ada.json', bundle([person('ada', '1973-03-01'), visit('ada-v', 'ada'), colonoscopy('ada-c', 'ada', '2013-05-01')])),
  grace: write('grace.json', bundle([person('grace', '1965-07-01'), visit('grace-v', 'grace'), colonoscopy('grace-c', 'grace', '2020-02-02')])),
  margaret: write('margaret.json', bundle([person('margaret', '1955-01-01'), visit('margaret-v', 'margaret'), { ...visit('margaret-h', 'margaret', '183919006'), type: [{ coding: [{ system: 'http://snomed.info/sct', code: '183919006' }] }] }])),
  alan: write('alan.json', bundle([person('alan', '1995-06-23'), visit('alan-v', 'alan')])),
};

const measureArgs = (...files: string[]): string[] => ['measure', '--package', pkg, '--period-start', '2025-01-01', '--period-end', '2025-12-31', ...files];

function reports(stdout: string): Json[] {
  return stdout.trim().split('\n').map((l) => JSON.parse(l) as Json);
}

function counts(report: Json): Record<string, number> {
  const group = (report['group'] as Json[])[0] as Json;
  return Object.fromEntries((group['population'] as Json[]).map((p) => [((p['code'] as Json)['coding'] as Json[])[0]?.['code'], p['count']]));
}

function gapStatus(report: Json): string {
  const group = (report['group'] as Json[])[0] as Json;
  const ext = (group['extension'] as Json[]).find((e) => e['url'] === GAP_STATUS_EXTENSION) as Json;
  return String((((ext['valueCodeableConcept'] as Json)['coding'] as Json[])[0] as Json)['code']);
}

describe('rules measure', () => {
  it('prints one individual MeasureReport per patient with population counts and the DEQM gap status', () => {
    const r = run(measureArgs(patients.ada, patients.grace, patients.margaret, patients.alan), '2026-01-15');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [ada, grace, margaret, alan] = reports(r.stdout) as [Json, Json, Json, Json];
    expect(ada).toMatchObject({ resourceType: 'MeasureReport', type: 'individual', status: 'complete', measure: `${URL}|0.1.0`, subject: { reference: 'Patient/ada' }, period: { start: '2025-01-01', end: '2025-12-31' } });
    expect((ada['group'] as Json[])[0]?.['id']).toBe('group-1');
    // Ada's colonoscopy is 12 years old: in the denominator, not the numerator.
    expect(counts(ada)).toEqual({ 'initial-population': 1, denominator: 1, 'denominator-exclusion': 0, numerator: 0 });
    expect(gapStatus(ada)).toBe('open-gap');
    expect(counts(grace)).toEqual({ 'initial-population': 1, denominator: 1, 'denominator-exclusion': 0, numerator: 1 });
    expect(gapStatus(grace)).toBe('closed-gap');
    expect(counts(margaret)).toEqual({ 'initial-population': 1, denominator: 1, 'denominator-exclusion': 1, numerator: 0 });
    expect(gapStatus(margaret)).toBe('not-applicable');
    // Alan is 30: outside the initial population.
    expect(counts(alan)).toEqual({ 'initial-population': 0, denominator: 0, 'denominator-exclusion': 0, numerator: 0 });
    expect(gapStatus(alan)).toBe('not-applicable');
  });

  it('reports an inverse measure (improvement notation decrease) as open when the patient is in the numerator', () => {
    const inverse = write('inverse.json', bundle([colonoscopyMeasure(URL, 'decrease'), ...packageParts()]));
    const r = run(['measure', '--package', inverse, '--period-start', '2025-01-01', '--period-end', '2025-12-31', patients.grace], '2026-01-15');
    expect(gapStatus(reports(r.stdout)[0] as Json)).toBe('open-gap');
  });

  it('exits 2 naming the value set when the package lacks one the ELM needs', () => {
    const lacking = write('lacking.json', bundle(packageResources.filter((r) => r['url'] !== VS.colonoscopy)));
    const r = run(['measure', '--package', lacking, '--period-start', '2025-01-01', '--period-end', '2025-12-31', patients.ada], '2026-01-15');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(VS.colonoscopy);
  });

  it('exits 2 naming the library, node and locator when the ELM holds a node the engine does not know', () => {
    const elm = JSON.parse(elmText('CareloopColonoscopyMeasure')) as { library: { statements: { def: Json[] } } };
    const numerator = elm.library.statements.def.find((d) => d['name'] === 'Numerator') as Json;
    numerator['expression'] = { type: 'FutureOperator', locator: '40:3-40:20', operand: [] };
    const broken = library('CareloopColonoscopyMeasure', '0.1.0', JSON.stringify(elm));
    const file = write('broken.json', bundle([measure, broken, ...packageResources.slice(2)]));
    const r = run(['measure', '--package', file, '--period-start', '2025-01-01', '--period-end', '2025-12-31', patients.ada], '2026-01-15');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/FutureOperator/);
    expect(r.stderr).toMatch(/CareloopColonoscopyMeasure/);
    expect(r.stderr).toMatch(/40:3-40:20/);
  });

  it('exits 2 with one line for an unreadable patient file or package', () => {
    const garbage = write('garbage.json', '{ not json');
    expect(run(measureArgs(garbage), '2026-01-15')).toMatchObject({ code: 2, stdout: '' });
    const r = run(['measure', '--package', garbage, '--period-start', '2025-01-01', '--period-end', '2025-12-31', patients.ada], '2026-01-15');
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(run(['measure', '--period-start', '2025-01-01', '--period-end', '2025-12-31', patients.ada], '2026-01-15').code).toBe(2);
  });
});
