import { describe, expect, it } from 'vitest';
import { bpPanel, condition, encounter, mp, observation, patient, poc, procedure, resultFor, summary } from './builders.ts';

const RULE = 'controlling-blood-pressure';
const htn = condition('icd10cm', 'I10', '2018-01-01');
const adult = patient('1960-01-01', 'male');
const at = (resources: unknown[]) => resultFor(RULE, [adult, htn, ...resources], poc('2025-06-01'));
const sys = (date: string, v: number, unit = 'mm[Hg]') => observation('loinc', '8480-6', date, { valueQuantity: { value: v, unit, code: unit } });
const dia = (date: string, v: number, unit = 'mm[Hg]') => observation('loinc', '8462-4', date, { valueQuantity: { value: v, unit, code: unit } });

describe('controlling high blood pressure at the point of care (< 140/90)', () => {
  it.each([
    ['is satisfied at 139/89', [bpPanel('2025-05-01', 139, 89)], 'satisfied 2026-05-01'],
    ['is overdue at 140/80 (systolic at the threshold)', [bpPanel('2025-05-01', 140, 80)], 'overdue 2025-05-01'],
    ['is overdue at 130/90 (diastolic at the threshold)', [bpPanel('2025-05-01', 130, 90)], 'overdue 2025-05-01'],
    ['reads separate systolic and diastolic observations', [sys('2025-05-01', 128), dia('2025-05-01', 78)], 'satisfied 2026-05-01'],
    ['accepts mmHg as a unit', [bpPanel('2025-05-01', 128, 78, 'mmHg')], 'satisfied 2026-05-01'],
    ['takes the lowest systolic and diastolic of the most recent day', [bpPanel('2025-05-01', 150, 95), bpPanel('2025-05-01T16:00:00Z', 135, 85)], 'satisfied 2026-05-01'],
    ['uses the most recent day over an earlier controlled one', [bpPanel('2025-01-01', 120, 70), bpPanel('2025-05-01', 150, 95)], 'overdue 2025-05-01'],
    ['is due when there is no reading in 12 months', [bpPanel('2024-06-01', 120, 70)], 'due 2025-06-01'],
  ])('%s', (_name, readings, expected) => {
    expect(summary(at(readings))).toBe(expected);
  });

  it('is insufficient-data for a reading in kPa', () => {
    const r = at([bpPanel('2025-05-01', 18, 11, 'kPa')]);
    expect(r.status === 'insufficient-data' && r.missing[0]).toMatch(/unit mm\[Hg\] \(found kPa\)/);
  });

  it('names a reading whose date cannot be read when no reading day decides, as missing data and as invalid evidence', () => {
    const undated = sys('2025-13-45', 128);
    const r = at([undated]);
    expect(r.status === 'insufficient-data' && r.missing).toContainEqual(expect.stringMatching(new RegExp(`Observation/${String(undated['id'])}: effective date: invalid date`)));
    expect(r.evidence.filter((e) => e.role === 'invalid').map((e) => e.note)).toEqual(['effective date: invalid date']);
  });

  it('reports ValueOutOfRange with the follow-up action', () => {
    const r = at([bpPanel('2025-05-01', 162, 100)]);
    expect(r.reasonCode).toBe('ValueOutOfRange');
    expect(r.status === 'overdue' && r.action.code.code).toBe('390906007');
    expect(r.evidence.find((e) => e.role === 'most-recent')?.value).toBe('162/100 mm[Hg]');
  });

  it.each([
    ['end-stage renal disease', condition('icd10cm', 'N18.6', '2025-01-01'), 'End-stage renal disease'],
    ['pregnancy', condition('snomed', '77386006', '2025-02-01'), 'Pregnancy'],
  ])('excludes a patient with %s during the period', (_name, c, label) => {
    expect(summary(at([c]))).toBe(`excluded ${label}`);
  });

  it('does not exclude a pregnancy that ended before the period', () => {
    expect(summary(at([condition('snomed', '77386006', '2023-01-01', { abatementDateTime: '2023-09-01' })]))).toMatch(/^due/);
  });
});

describe('controlling high blood pressure in measure mode (CMS165v13, 2025)', () => {
  const visit = encounter('2025-02-01');
  const run = (resources: unknown[], dx = htn) => resultFor(RULE, [adult, visit, dx, ...resources], mp(2025));

  it.each([
    ['hypertension starting June 30 of the period', true, '2025-06-30'],
    ['hypertension starting July 1 of the period', false, '2025-07-01'],
  ])('puts a patient with %s in the initial population: %s', (_name, expected, onset) => {
    expect(run([], condition('icd10cm', 'I10', onset)).populations?.['initial-population']).toBe(expected);
  });

  it.each([
    ['a controlled most recent reading', true, [bpPanel('2025-12-31', 120, 80)]],
    ['an uncontrolled most recent reading', false, [bpPanel('2025-03-01', 120, 80), bpPanel('2025-11-01', 145, 80)]],
    ['no reading in the period', false, [bpPanel('2024-12-31', 120, 80)]],
  ])('counts %s in the numerator: %s', (_name, expected, readings) => {
    const r = run(readings);
    expect(r.populations?.numerator).toBe(expected);
    expect(r.gapStatus).toBe(expected ? 'closed-gap' : 'open-gap');
  });

  it('is not in the initial population at 86', () => {
    const r = resultFor(RULE, [patient('1939-12-31', 'male'), visit, htn], mp(2025));
    expect(r.populations?.['initial-population']).toBe(false);
  });
});

describe('controlling high blood pressure: frailty exclusions by age (CMS165v13)', () => {
  const visit = encounter('2025-02-01');
  const frail = condition('icd10cm', 'R54', '2025-03-01');
  const run = (birthDate: string, extra: unknown[]) => resultFor(RULE, [patient(birthDate, 'female'), visit, htn, frail, ...extra], mp(2025));

  it.each([
    ['excludes 81 with frailty alone', '1944-12-31', [], true],
    ['does not exclude 80 with frailty alone', '1945-01-01', [], false],
    ['excludes 66 with frailty and advanced illness', '1959-12-31', [condition('icd10cm', 'G30.9', '2024-05-01')], true],
  ])('%s', (_name, birthDate, extra, expected) => {
    expect(run(birthDate, extra).populations?.['denominator-exclusion']).toBe(expected);
  });
});

// CMS165v13 (2025) reads the most recent day with both a systolic and a diastolic reading, and
// excludes kidney failure or replacement recorded before or during the period; the hand-written
// evaluators read each half's own latest day and only the four kidney/pregnancy criteria overlapping the period.
describe('controlling high blood pressure: CMS165v13 details', () => {
  it('uses the most recent day that has both halves, not a later lone systolic', () => {
    expect(summary(at([sys('2025-05-01', 128), dia('2025-05-01', 78), sys('2025-05-20', 150)]))).toBe('satisfied 2026-05-01');
  });

  it.each([
    ['chronic kidney disease stage 5', condition('icd10cm', 'N18.5', '2019-01-01'), 'Chronic kidney disease stage 5'],
    ['a kidney transplant years ago', procedure('cpt', '50360', '2015-03-01'), 'Kidney transplant'],
    ['end-stage renal disease recorded as resolved before the period', condition('icd10cm', 'N18.6', '2020-01-01', { abatementDateTime: '2021-01-01' }), 'End-stage renal disease'],
  ])('excludes %s', (_name, resource, label) => {
    expect(summary(at([resource]))).toBe(`excluded ${label}`);
  });
});
