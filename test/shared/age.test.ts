import { describe, expect, it } from 'vitest';
import { ageOn } from '../../src/shared/age.ts';

describe('ageOn', () => {
  it.each<[string, string, string, number | null]>([
    ['is 44 the day before the 45th birthday', '1980-06-15', '2025-06-14', 44],
    ['is 45 on the 45th birthday', '1980-06-15', '2025-06-15', 45],
    ['turns a Feb 29 baby a year older on Mar 1 in a common year', '2000-02-29', '2025-03-01', 25],
    ['keeps a Feb 29 baby younger on Feb 28 in a common year', '2000-02-29', '2025-02-28', 24],
    ['turns a Feb 29 baby a year older on Feb 29 in a leap year', '2000-02-29', '2024-02-29', 24],
    ['is 0 on the day of birth', '2025-06-15', '2025-06-15', 0],
    ['takes the day of a FHIR dateTime', '1980-06-15', '2025-06-15T08:30:00Z', 45],
    ['has none for a birthDate of only a year', '1973', '2025-06-15', null],
    ['has none for a birthDate of only a year and month', '1973-04', '2025-06-15', null],
    ['has none for a birthDate after the day', '2025-06-16', '2025-06-15', null],
    ['has none for a birthDate that is not a date', 'unknown', '2025-06-15', null],
  ])('%s', (_name, birthDate, on, age) => {
    expect(ageOn(birthDate, on)).toBe(age);
  });
});
