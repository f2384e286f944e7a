import { describe, expect, it } from 'vitest';
import { condition, immunization, patient, poc, resultFor, summary } from './builders.ts';

const RULE = 'influenza-vaccination';
const adult = patient('1980-01-01', 'female');
const at = (resources: unknown[], asOf: string) => summary(resultFor(RULE, resources, poc(asOf)));

describe('annual influenza vaccination (CDC/ACIP, season August 1 – March 31)', () => {
  it.each([
    ['is not applicable on July 31 (between seasons)', '2025-07-31', 'not-applicable'],
    ['is due on August 1', '2025-08-01', 'due 2025-08-01'],
    ['is still due on October 31', '2025-10-31', 'due 2025-08-01'],
    ['is overdue on November 1', '2025-11-01', 'overdue 2025-08-01'],
    ['is overdue on March 31 of the next year', '2026-03-31', 'overdue 2025-08-01'],
    ['is not applicable on April 1', '2026-04-01', 'not-applicable'],
  ])('%s', (_name, asOf, expected) => {
    expect(at([adult], asOf)).toBe(expected);
  });

  it.each([
    ['is satisfied by a vaccine given on August 1', '2025-08-01', 'satisfied 2026-08-01'],
    ['is not satisfied by last season’s vaccine (July 31)', '2025-07-31', 'overdue 2025-08-01'],
  ])('%s', (_name, date, expected) => {
    expect(at([adult, immunization('158', date)], '2025-11-15')).toBe(expected);
  });

  it('does not count a vaccine recorded as not done, and shows it as negation', () => {
    const r = resultFor(RULE, [adult, immunization('158', '2025-09-01', { status: 'not-done' })], poc('2025-09-15'));
    expect(r.status).toBe('due');
    expect(r.evidence.map((e) => e.role)).toEqual(['negation']);
  });

  it('is not applicable before 6 months of age', () => {
    expect(at([patient('2025-05-02', 'male')], '2025-11-01')).toBe('not-applicable');
    expect(at([patient('2025-05-01', 'male')], '2025-11-01')).toBe('overdue 2025-08-01');
  });

  it('excludes a documented influenza vaccine allergy', () => {
    expect(at([adult, { ...condition('snomed', '294647003', '2020-01-01'), resourceType: 'AllergyIntolerance' }], '2025-10-01')).toBe(
      'excluded Influenza vaccine contraindication',
    );
  });

  it('is insufficient-data when the only vaccine has a date as free text', () => {
    const r = resultFor(RULE, [adult, immunization('158', undefined, { occurrenceString: 'early autumn' })], poc('2025-10-01'));
    expect(r.status).toBe('insufficient-data');
  });
});
