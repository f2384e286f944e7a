import { describe, expect, it } from 'vitest';
import { bpPanel, condition, encounter, evaluateBuiltIn, hba1c, mp, observation, patient, poc, procedure, resultFor } from './builders.ts';

const open = (rule: string, resources: unknown[], asOf: string) => {
  const r = resultFor(rule, resources, poc(asOf));
  if (r.status !== 'due' && r.status !== 'overdue') throw new Error(`${rule} is ${r.status}`);
  return r;
};

describe('what an open gap’s date means (point of care)', () => {
  it.each([
    // [rule, as of, status, timing, resources]
    ['colorectal-cancer-screening', '2025-06-01', 'due', { kind: 'never-done', eligibleSince: '2005-01-01', eligibleAge: 45 }, [patient('1960-01-01', 'female')]],
    ['colorectal-cancer-screening', '2025-06-01', 'overdue', { kind: 'expired', since: '2024-03-01' }, [patient('1960-01-01', 'female'), procedure('snomed', '73761001', '2014-03-01')]],
    ['cervical-cancer-screening', '2026-11-23', 'due', { kind: 'never-done', eligibleSince: '1987-05-03', eligibleAge: 21 }, [patient('1966-05-03', 'female')]],
    ['tobacco-screening-cessation', '2026-11-23', 'due', { kind: 'never-done', eligibleSince: '2008-08-18', eligibleAge: 12 }, [patient('1996-08-18', 'male')]],
    ['influenza-vaccination', '2025-10-31', 'due', { kind: 'season', dueBy: '2025-10-31' }, [patient('1980-01-01', 'female')]],
    ['influenza-vaccination', '2025-11-01', 'overdue', { kind: 'season', dueBy: '2025-10-31' }, [patient('1980-01-01', 'female')]],
    ['influenza-vaccination', '2026-02-01', 'overdue', { kind: 'season', dueBy: '2025-10-31' }, [patient('1980-01-01', 'female')]],
    ['diabetes-glycemic-status', '2025-06-01', 'overdue', { kind: 'out-of-range', resultDay: '2025-04-01' }, [patient('1960-01-01', 'male'), condition('icd10cm', 'E11.9', '2015-01-01'), hba1c('2025-04-01', 9.8)]],
  ])('%s as of %s is %s', (rule, asOf, status, timing, resources) => {
    const r = open(rule, resources, asOf);
    expect(r.status).toBe(status);
    expect(r.timing).toEqual(timing);
  });

  it('never calls a test that was never done overdue since a birthday, however long ago', () => {
    const r = open('colorectal-cancer-screening', [patient('1951-01-01', 'male')], '2026-06-01');
    expect(r.status).toBe('due');
    expect(r.reason).toBe('No colonoscopy, fecal occult blood test, stool DNA with FIT, flexible sigmoidoscopy or CT colonography on record (eligible since 45).');
  });

  it('writes blood pressure in mmHg, not UCUM’s mm[Hg]', () => {
    const r = open('controlling-blood-pressure', [patient('1960-01-01', 'female'), condition('icd10cm', 'I10', '2015-01-01'), bpPanel('2025-05-01', 150, 95)], '2025-06-01');
    expect(r.reason).toContain('150/95 mmHg');
    expect(r.reason).not.toContain('mm[Hg]');
  });

  it('reports open gaps in measure mode as due, without point-of-care timing', () => {
    const r = evaluateBuiltIn([patient('1960-01-01', 'female'), observation('loinc', '24606-6', '2019-01-01'), encounter('2025-03-01')], mp()).results.find((x) => x.rule === 'breast-cancer-screening');
    expect(r?.status).toBe('due');
    expect(r && 'timing' in r ? r.timing : undefined).toBeUndefined();
  });
});

describe('rules the record cannot decide', () => {
  const katherine = [patient('1968-08-20', 'female'), condition('icd10cm', 'E11.9', '2020-01-01'), observation('loinc', '4548-4', undefined, { valueQuantity: { value: 7.2 } })];

  it('names an undecided rule that weighs more than the next-best gap for review', () => {
    const result = evaluateBuiltIn(katherine, poc('2026-11-23'));
    expect(result.results.find((r) => r.rule === 'diabetes-glycemic-status')?.status).toBe('insufficient-data');
    expect(result.next).not.toBe('diabetes-glycemic-status');
    expect(result.review).toBe('diabetes-glycemic-status');
  });

  it('names none when the next-best gap weighs more', () => {
    const claude = [patient('1962-03-15', 'male'), condition('icd10cm', 'E11.9', '2020-01-01'), hba1c('2026-09-23', 9.8), condition('icd10cm', 'I10', '2015-01-01'), observation('loinc', '85354-9', undefined)];
    const result = evaluateBuiltIn(claude, poc('2026-11-23'));
    expect(result.next).toBe('diabetes-glycemic-status');
    expect(result.review).toBeNull();
  });
});
