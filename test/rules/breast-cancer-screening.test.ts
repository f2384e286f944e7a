import { describe, expect, it } from 'vitest';
import { condition, encounter, mp, observation, patient, poc, procedure, resultFor, summary } from './builders.ts';

const RULE = 'breast-cancer-screening';
const mammo = (date: string) => observation('loinc', '24606-6', date);
const at = (resources: unknown[], asOf: string) => summary(resultFor(RULE, resources, poc(asOf)));

describe('breast cancer screening at the point of care (USPSTF 2024, women 40–74, every 2 years)', () => {
  it.each([
    ['is not applicable the day before the 40th birthday', '2025-03-09', 'not-applicable'],
    ['is due on the 40th birthday', '2025-03-10', 'due 2025-03-10'],
    ['is due, never overdue, with no mammogram on record (6 months after the 40th birthday)', '2025-09-10', 'due 2025-03-10'],
    ['still applies on the day before the 75th birthday', '2060-03-09', 'due 2025-03-10'],
    ['is not applicable at 75', '2060-03-10', 'not-applicable'],
  ])('%s', (_name, asOf, expected) => {
    expect(at([patient('1985-03-10', 'female')], asOf)).toBe(expected);
  });

  it.each([
    ['is satisfied by a mammogram 23 months ago', '2023-07-01', 'satisfied 2025-07-01'],
    ['is due the day the mammogram turns 2 years old', '2023-06-01', 'due 2025-06-01'],
  ])('%s', (_name, date, expected) => {
    expect(at([patient('1970-01-01', 'female'), mammo(date)], '2025-06-01')).toBe(expected);
  });

  it('is not applicable to a male patient', () => {
    expect(at([patient('1970-01-01', 'male')], '2025-06-01')).toBe('not-applicable');
  });

  it('uses US Core birth sex over administrative gender', () => {
    const p = patient('1970-01-01', 'male', { extension: [{ url: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex', valueCode: 'F' }] });
    expect(at([p], '2025-06-01')).toMatch(/^due /);
  });

  it('is insufficient-data without a recorded sex', () => {
    const r = resultFor(RULE, [patient('1970-01-01')], poc('2025-06-01'));
    expect(r.status === 'insufficient-data' && r.missing).toEqual(['Patient.gender']);
  });

  it.each([
    ['a bilateral mastectomy', [procedure('snomed', '52314009', '2015-01-01')], 'Bilateral mastectomy'],
    ['a history of bilateral mastectomy', [condition('icd10cm', 'Z90.13', '2015-01-01')], 'History of bilateral mastectomy'],
    ['left and right status-post mastectomy', [condition('icd10cm', 'Z90.12', '2015-01-01'), condition('icd10cm', 'Z90.11', '2018-01-01')], 'Status post left mastectomy and status post right mastectomy'],
  ])('excludes a woman with %s', (_name, extra, label) => {
    expect(at([patient('1970-01-01', 'female'), ...extra], '2025-06-01')).toBe(`excluded ${label}`);
  });

  it('does not exclude a woman with a left mastectomy only', () => {
    expect(at([patient('1970-01-01', 'female'), condition('icd10cm', 'Z90.12', '2015-01-01')], '2025-06-01')).toMatch(/^due /);
  });
});

describe('breast cancer screening in measure mode (CMS125v13, 2025)', () => {
  const visit = encounter('2025-04-01');
  const run = (resources: unknown[]) => resultFor(RULE, resources, mp(2025));

  it.each([
    ['51 at the end of the period', false, '1974-01-01'],
    ['52 at the end of the period', true, '1973-12-31'],
    ['74 at the end of the period', true, '1951-12-31'],
    ['75 at the end of the period', false, '1950-12-31'],
  ])('puts a woman %s in the initial population: %s', (_name, expected, birthDate) => {
    expect(run([patient(birthDate, 'female'), visit]).populations?.['initial-population']).toBe(expected);
  });

  it.each([
    ['on October 1 two years before the period', true, '2023-10-01'],
    ['on September 30 two years before the period', false, '2023-09-30'],
    ['on the last day of the period', true, '2025-12-31'],
  ])('counts a mammogram %s: %s', (_name, expected, date) => {
    expect(run([patient('1960-01-01', 'female'), visit, mammo(date)]).populations?.numerator).toBe(expected);
  });

  // AdvancedIllnessandFrailty 2025 (CMS125v13): nursing-home residence is the most recent housing
  // status (LOINC 71802-3) answered "Lives in nursing home" (SNOMED 160734000), not a facility stay.
  it('puts 66+ living in a nursing home (housing status) in the denominator exclusion', () => {
    const housing = observation('loinc', '71802-3', '2025-02-01', { valueCodeableConcept: { coding: [{ system: 'http://snomed.info/sct', code: '160734000' }] } });
    expect(run([patient('1955-01-01', 'female'), visit, housing]).populations?.['denominator-exclusion']).toBe(true);
    const stay = { ...encounter('2025-01-01', {}, '99304'), period: { start: '2024-06-01', end: '2025-12-31' } };
    expect(run([patient('1955-01-01', 'female'), visit, stay]).populations?.['denominator-exclusion']).toBe(false);
  });

});
