import { describe, expect, it } from 'vitest';
import { immunization, patient, poc, resultFor, summary } from './builders.ts';

const RULE = 'pneumococcal-vaccination';
const at = (resources: unknown[], asOf = '2025-06-01') => summary(resultFor(RULE, resources, poc(asOf)));

describe('pneumococcal vaccination at 65+', () => {
  it.each([
    ['is not applicable the day before the 65th birthday', '1960-06-02', 'not-applicable'],
    ['is due on the 65th birthday', '1960-06-01', 'due 2025-06-01'],
    ['is due, never overdue, with no vaccine on record (a year after the 65th birthday)', '1959-06-01', 'due 2024-06-01'],
  ])('%s', (_name, birthDate, expected) => {
    expect(at([patient(birthDate, 'male')])).toBe(expected);
  });

  it.each([
    ['PCV20 at 64', '216', '2023-01-01', 'satisfied never'],
    ['PPSV23 at 60', '33', '2019-01-01', 'satisfied never'],
  ])('is satisfied for life by %s', (_name, cvx, date, expected) => {
    expect(at([patient('1959-01-01', 'female'), immunization(cvx, date)])).toBe(expected);
  });

  it('does not count a vaccine given before the 60th birthday', () => {
    expect(at([patient('1959-01-01', 'female'), immunization('133', '2018-12-31')])).toBe('due 2024-01-01');
  });
});
