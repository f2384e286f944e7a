import { describe, expect, it } from 'vitest';
import { addMonths, birthdayAt, isDay, parseFhirDay } from '../../src/rules/index.ts';

describe('birthdayAt and addMonths', () => {
  it('puts a Feb 29 birthday on Mar 1 in common years', () => {
    expect(birthdayAt('2000-02-29', 45)).toBe('2045-03-01');
    expect(birthdayAt('2000-02-29', 48)).toBe('2048-02-29');
  });

  it('clamps to the end of shorter months', () => {
    expect(addMonths('2024-02-29', 12)).toBe('2025-02-28');
    expect(addMonths('2025-08-31', 1)).toBe('2025-09-30');
    expect(addMonths('2025-01-01', -108)).toBe('2016-01-01');
  });
});

describe('parseFhirDay', () => {
  it.each([
    ['a full date', '2025-03-01', undefined, '2025-03-01'],
    ['a year (first day)', '2015', undefined, '2015-01-01'],
    ['a year-month (first day)', '2015-06', undefined, '2015-06-01'],
    ['a dateTime as written without a zone', '2025-12-31T23:30:00-05:00', undefined, '2025-12-31'],
    ['an instant in UTC seen from New York', '2026-01-01T03:30:00Z', 'America/New_York', '2025-12-31'],
    ['an instant seen from Auckland', '2025-12-31T12:00:00Z', 'Pacific/Auckland', '2026-01-01'],
    ['a local dateTime without offset (no conversion)', '2025-12-31T23:30:00', 'Asia/Tokyo', '2025-12-31'],
  ])('reads %s', (_name, value, tz, day) => {
    const p = parseFhirDay(value, tz);
    expect(p.ok && p.day).toBe(day);
  });

  it.each([['2025-02-30'], ['2025-13-01'], ['yesterday'], ['2025-03-01T25:00:00Z'], [20250301]])('rejects %s', (value) => {
    expect(parseFhirDay(value).ok).toBe(false);
  });

  it('accepts only real days as YYYY-MM-DD options', () => {
    expect(isDay('2024-02-29')).toBe(true);
    expect(isDay('2025-02-29')).toBe(false);
    expect(isDay('2025-2-1')).toBe(false);
  });
});
