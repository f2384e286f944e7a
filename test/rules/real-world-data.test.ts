import { describe, expect, it } from 'vitest';
import { condition, encounter, hba1c, mp, observation, patient, poc, procedure, resultFor, summary } from './builders.ts';

const CRC = 'colorectal-cancer-screening';
const adult = patient('1970-01-01', 'male');
const crc = (resources: unknown[]) => summary(resultFor(CRC, [adult, ...resources], poc('2025-06-01')));

describe('real-world data', () => {
  it('is insufficient-data when a colonoscopy has no performed date at all', () => {
    const r = resultFor(CRC, [adult, procedure('snomed', '73761001', undefined)], poc('2025-06-01'));
    expect(r.status === 'insufficient-data' && r.missing[0]).toMatch(/performed date: no date/);
  });

  it('is insufficient-data when a colonoscopy date is free text (performedString)', () => {
    const r = resultFor(CRC, [adult, procedure('snomed', '73761001', undefined, { performedString: 'in her fifties' })], poc('2025-06-01'));
    expect(r.status === 'insufficient-data' && r.missing[0]).toMatch(/performedString is not a date/);
  });

  it('does not count a preliminary FIT result', () => {
    expect(crc([observation('loinc', '29771-3', '2025-05-01', { status: 'preliminary' })])).toMatch(/^due /);
  });

  it('reads a year-only colonoscopy date as January 1 of that year', () => {
    expect(crc([procedure('snomed', '73761001', '2016')])).toBe('satisfied 2026-01-01');
    expect(crc([procedure('snomed', '73761001', '2015')])).toBe('due 2025-01-01');
  });

  it('reads an effectiveInstant', () => {
    expect(crc([observation('loinc', '29771-3', undefined, { effectiveInstant: '2025-05-01T10:00:00.000Z' })])).toBe('satisfied 2026-05-01');
  });

  it('reads a Period with only a start', () => {
    expect(crc([procedure('snomed', '73761001', undefined, { performedPeriod: { start: '2020-02-02' } })])).toBe('satisfied 2030-02-02');
  });

  it('ignores a future-dated colonoscopy (scheduled, not done)', () => {
    expect(crc([procedure('snomed', '73761001', '2025-07-01')])).toMatch(/^due /);
  });

  it('credits the HbA1c drawn on New Year’s Eve evening in New York to the right year', () => {
    const dm = condition('icd10cm', 'E11.9', '2015-01-01');
    const lateA1c = hba1c('2026-01-01T02:00:00Z', 7.1);
    const visit = encounter('2025-03-01');
    const ny = resultFor('diabetes-glycemic-status', [adult, dm, visit, lateA1c], mp(2025, 'America/New_York'));
    const utc = resultFor('diabetes-glycemic-status', [adult, dm, visit, lateA1c], mp(2025));
    expect(ny.gapStatus).toBe('closed-gap');
    expect(utc.gapStatus).toBe('open-gap');
  });

  // Hospice library 2025 (CMS130v13 and the other eCQMs): the discharge to hospice is read from an
  // inpatient encounter ("Encounter Inpatient", here SNOMED 183452005) ending in the period.
  it('excludes a patient discharged to hospice during the period', () => {
    const discharge = encounter('2025-04-01', {
      type: [{ coding: [{ system: 'http://snomed.info/sct', code: '183452005' }] }],
      hospitalization: { dischargeDisposition: { coding: [{ system: 'http://snomed.info/sct', code: '428361000124107' }] } },
    });
    const r = resultFor(CRC, [adult, encounter('2025-02-01'), discharge], mp(2025));
    expect(r.populations?.['denominator-exclusion']).toBe(true);
  });

  it('treats a diagnosis without any date as lifetime history (colorectal cancer, no onset)', () => {
    expect(crc([condition('icd10cm', 'C18.9', undefined)])).toBe('excluded Colorectal cancer');
  });
});
