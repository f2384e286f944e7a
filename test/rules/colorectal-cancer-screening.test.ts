import { describe, expect, it } from 'vitest';
import { condition, encounter, mp, observation, patient, poc, procedure, resultFor, summary } from './builders.ts';

const RULE = 'colorectal-cancer-screening';
const crc = (resources: unknown[], asOf: string) => summary(resultFor(RULE, resources, poc(asOf)));
const born = patient('1980-06-15', 'male');

describe('colorectal cancer screening at the point of care (USPSTF 2021, ages 45–75)', () => {
  it.each([
    ['is not applicable the day before the 45th birthday', '2025-06-14', 'not-applicable'],
    ['is due at 45 on the day of the 45th birthday', '2025-06-15', 'due 2025-06-15'],
    ['is still due 11 months after turning 45', '2026-05-15', 'due 2025-06-15'],
    ['is due, never overdue, with no screening on record (a year after turning 45)', '2026-06-15', 'due 2025-06-15'],
  ])('%s', (_name, asOf, expected) => {
    expect(crc([born], asOf)).toBe(expected);
  });

  it.each([
    ['is satisfied by a colonoscopy 9 years and 364 days ago', 'snomed', '73761001', '2015-06-02', 'satisfied 2025-06-02'],
    ['is due again exactly 10 years after a colonoscopy', 'snomed', '73761001', '2015-06-01', 'due 2025-06-01'],
    ['is satisfied by a FIT 11 months ago', 'loinc', '29771-3', '2024-07-01', 'satisfied 2025-07-01'],
    ['is due when the only FIT is exactly 12 months old', 'loinc', '29771-3', '2024-06-01', 'due 2025-06-01'],
    ['is satisfied by a FIT-DNA within 3 years', 'loinc', '77353-1', '2022-06-02', 'satisfied 2025-06-02'],
    ['is satisfied by a flexible sigmoidoscopy (CPT) within 5 years', 'cpt', '45330', '2020-06-02', 'satisfied 2025-06-02'],
    ['is satisfied by a CT colonography (CPT) within 5 years', 'cpt', '74263', '2021-01-01', 'satisfied 2026-01-01'],
    ['is satisfied by a colonoscopy coded in HCPCS', 'hcpcs', 'G0121', '2020-01-01', 'satisfied 2030-01-01'],
  ] as const)('%s', (_name, system, code, date, expected) => {
    const test = system === 'loinc' ? observation(system, code, date) : procedure(system, code, date);
    expect(crc([patient('1970-06-15', 'female'), test], '2025-06-01')).toBe(expected);
  });

  it('dates an overdue gap from when the last test ran out, not from the 45th birthday', () => {
    expect(crc([patient('1960-01-01', 'female'), procedure('snomed', '73761001', '2014-03-01')], '2025-06-01')).toBe('overdue 2024-03-01');
  });

  it.each([
    ['entered-in-error', { status: 'entered-in-error' }],
    ['not-done', { status: 'not-done' }],
    ['in-progress', { status: 'in-progress' }],
  ])('ignores a colonoscopy whose status is %s', (_s, extra) => {
    const r = resultFor(RULE, [patient('1970-01-01', 'female'), procedure('snomed', '73761001', '2020-01-01', extra)], poc('2025-06-01'));
    expect(r.status).toBe('due');
  });

  it('names a colonoscopy recorded as not done as negation evidence', () => {
    const r = resultFor(RULE, [patient('1970-01-01', 'female'), procedure('snomed', '73761001', '2025-02-01', { status: 'not-done' })], poc('2025-06-01'));
    expect(r.evidence.map((e) => e.role)).toEqual(['negation']);
  });

  it('ignores a cancelled FIT observation', () => {
    expect(crc([patient('1970-01-01', 'female'), observation('loinc', '29771-3', '2025-01-01', { status: 'cancelled' })], '2025-06-01')).toMatch(/^due /);
  });

  it('reads a colonoscopy performed as a Period by its end', () => {
    const p = procedure('snomed', '73761001', undefined, { performedPeriod: { start: '2015-05-31T08:00:00Z', end: '2015-06-02T10:00:00Z' } });
    expect(crc([patient('1970-01-01', 'female'), p], '2025-06-01')).toBe('satisfied 2025-06-02');
  });

  it.each([
    ['colorectal cancer (ICD-10-CM)', condition('icd10cm', 'C18.9', '2019-01-01'), 'Colorectal cancer'],
    ['colorectal cancer that has resolved', condition('snomed', '363406005', '2010-01-01', { clinicalStatus: { coding: [{ code: 'resolved' }] } }), 'Colorectal cancer'],
    ['a total colectomy', procedure('cpt', '44150', '2018-01-01'), 'Total colectomy'],
    ['hospice care during the last 12 months', procedure('snomed', '385763009', '2025-03-01'), 'Hospice care during the period'],
    ['a palliative care diagnosis', condition('icd10cm', 'Z51.5', '2025-01-10'), 'Palliative care during the period'],
  ])('excludes a patient with %s', (_name, resource, label) => {
    expect(crc([patient('1970-01-01', 'female'), resource], '2025-06-01')).toBe(`excluded ${label}`);
  });

  it('does not exclude for a colorectal cancer diagnosis entered in error', () => {
    const c = condition('icd10cm', 'C18.9', '2019-01-01', { verificationStatus: { coding: [{ code: 'entered-in-error' }] } });
    expect(crc([patient('1970-01-01', 'female'), c], '2025-06-01')).toMatch(/^due /);
  });

  it('is not applicable at 76', () => {
    expect(crc([patient('1949-05-31', 'female')], '2025-06-01')).toBe('not-applicable');
  });

  it('is insufficient-data when the birth date is missing', () => {
    const r = resultFor(RULE, [patient(undefined, 'female')], poc('2025-06-01'));
    expect(r.status === 'insufficient-data' && r.missing).toEqual(['Patient.birthDate']);
  });

  it('is insufficient-data with the reason when a colonoscopy has an unreadable date', () => {
    const r = resultFor(RULE, [patient('1970-01-01', 'female'), procedure('snomed', '73761001', '2020-13-45')], poc('2025-06-01'));
    expect(r.status).toBe('insufficient-data');
    expect(r.status === 'insufficient-data' && r.missing[0]).toMatch(/Procedure\/proc-\d+: performed date: invalid date/);
    expect(r.evidence[0]?.role).toBe('invalid');
  });

  it('is satisfied despite a malformed record when a valid screening closes the gap', () => {
    const r = resultFor(RULE, [patient('1970-01-01', 'female'), procedure('snomed', '73761001', 'yesterday'), observation('loinc', '29771-3', '2025-05-01')], poc('2025-06-01'));
    expect(r.status).toBe('satisfied');
  });
});

describe('colorectal cancer screening in measure mode (CMS130v13, 2025)', () => {
  const visit = encounter('2025-03-01T10:00:00Z');
  const measure = (resources: unknown[]) => resultFor(RULE, resources, mp(2025));

  it.each([
    ['45 at the end of the period', false, '1980-12-31'],
    ['46 at the end of the period', true, '1979-12-31'],
    ['75 at the end of the period', true, '1950-12-31'],
    ['76 at the end of the period', false, '1949-12-31'],
  ])('puts a patient %s in the initial population: %s', (_name, expected, birthDate) => {
    expect(measure([patient(birthDate, 'male'), visit]).populations?.['initial-population']).toBe(expected);
  });

  it('needs a qualifying visit during the period', () => {
    const r = measure([patient('1960-01-01', 'male'), encounter('2024-12-31')]);
    expect(r.populations?.['initial-population']).toBe(false);
    expect(r.gapStatus).toBe('not-applicable');
  });

  it('does not count a cancelled visit', () => {
    expect(measure([patient('1960-01-01', 'male'), encounter('2025-02-01', { status: 'cancelled' })]).populations?.['initial-population']).toBe(false);
  });

  it.each([
    ['a colonoscopy 9 years before the period (2016-01-01)', true, procedure('snomed', '73761001', '2016-01-01')],
    ['a colonoscopy on 2015-12-31', false, procedure('snomed', '73761001', '2015-12-31')],
    ['an FOBT in the period', true, observation('loinc', '2335-8', '2025-01-01')],
    ['an FOBT the day before the period', false, observation('loinc', '2335-8', '2024-12-31')],
    ['a FIT-DNA 2 years before the period', true, observation('loinc', '77354-9', '2023-01-01')],
    ['a FIT-DNA just over 2 years before', false, observation('loinc', '77354-9', '2022-12-31')],
    ['a flexible sigmoidoscopy 4 years before', true, procedure('cpt', '45330', '2021-01-01')],
    ['a CT colonography just over 4 years before', false, procedure('cpt', '74261', '2020-12-31')],
  ])('counts %s in the numerator: %s', (_name, expected, test) => {
    const r = measure([patient('1960-01-01', 'male'), visit, test]);
    expect(r.populations?.numerator).toBe(expected);
    expect(r.gapStatus).toBe(expected ? 'closed-gap' : 'open-gap');
  });

  it('reports an open gap as due at the period end with the DEQM reason NotFound', () => {
    const r = measure([patient('1960-01-01', 'male'), visit]);
    expect(summary(r)).toBe('due 2025-12-31');
    expect(r.reasonCode).toBe('NotFound');
  });

  it.each([
    ['a total colectomy before the period end', [procedure('cpt', '44150', '2010-01-01')]],
    ['a hospice encounter during the period', [encounter('2025-06-01', {}, '99213'), { ...encounter('2025-07-01'), type: [{ coding: [{ system: 'http://snomed.info/sct', code: '183919006' }] }] }]],
    ['palliative care assessment during the period', [observation('loinc', '71007-9', '2025-05-05')]],
  ])('puts %s in the denominator exclusion', (_name, extra: unknown[]) => {
    const r = measure([patient('1960-01-01', 'male'), visit, ...extra]);
    expect(r.populations).toEqual({ 'initial-population': true, denominator: true, 'denominator-exclusion': true, 'denominator-exception': false, numerator: false });
    expect(r.gapStatus).toBe('not-applicable');
  });

  it('excludes 66+ with frailty and advanced illness, but not 65', () => {
    const frail = [condition('icd10cm', 'R54', '2025-02-01'), condition('icd10cm', 'I50.9', '2024-03-01')];
    expect(measure([patient('1959-12-31', 'male'), visit, ...frail]).populations?.['denominator-exclusion']).toBe(true);
    expect(measure([patient('1960-01-01', 'male'), visit, ...frail]).populations?.['denominator-exclusion']).toBe(false);
  });

  it('takes a dementia medication ordered in the period or the year before as advanced illness (2025 AdvancedIllnessandFrailty)', () => {
    const donepezil = (authoredOn: string, intent = 'order') => ({
      resourceType: 'MedicationRequest',
      id: `donepezil-${authoredOn}-${intent}`,
      status: 'active',
      intent,
      medicationCodeableConcept: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '997223' }] },
      subject: { reference: 'Patient/p1' },
      authoredOn,
    });
    const frail = condition('icd10cm', 'R54', '2025-02-01');
    const exclusion = (extra: unknown[]) => measure([patient('1950-01-01', 'male'), visit, frail, ...extra]).populations?.['denominator-exclusion'];
    expect(exclusion([donepezil('2024-02-01')])).toBe(true);
    expect(exclusion([donepezil('2023-12-31')])).toBe(false);
    expect(exclusion([donepezil('2024-02-01', 'proposal')])).toBe(false);
  });

  it('does not exclude frailty without advanced illness', () => {
    expect(measure([patient('1950-01-01', 'male'), visit, condition('icd10cm', 'R54', '2025-02-01')]).populations?.['denominator-exclusion']).toBe(false);
  });

  // AdvancedIllnessandFrailty 2025 (CMS130v13): long-term nursing-home residence is the most recent
  // "Housing status" (LOINC 71802-3) on or before the period end answered "Lives in nursing home"
  // (SNOMED 160734000); nursing-facility encounters do not decide it.
  it('excludes 66+ whose most recent housing status says they live in a nursing home', () => {
    const housing = (date: string, answer: string) => observation('loinc', '71802-3', date, { valueCodeableConcept: { coding: [{ system: 'http://snomed.info/sct', code: answer }] } });
    expect(measure([patient('1950-01-01', 'male'), visit, housing('2025-04-01', '160734000')]).populations?.['denominator-exclusion']).toBe(true);
    // A later answer that says otherwise wins; 65 is too young.
    expect(measure([patient('1950-01-01', 'male'), visit, housing('2025-04-01', '160734000'), housing('2025-06-01', '32911000')]).populations?.['denominator-exclusion']).toBe(false);
    expect(measure([patient('1960-01-01', 'male'), visit, housing('2025-04-01', '160734000')]).populations?.['denominator-exclusion']).toBe(false);
    const stay = { ...encounter('2025-01-01'), type: [{ coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: '99310' }] }], period: { start: '2025-01-01', end: '2025-04-01' } };
    expect(measure([patient('1950-01-01', 'male'), visit, stay]).populations?.['denominator-exclusion']).toBe(false);
  });

  it('counts a colonoscopy done late on the last evening of the period in the patient’s time zone', () => {
    const late = procedure('snomed', '73761001', '2026-01-01T03:30:00Z');
    const r = resultFor(RULE, [patient('1960-01-01', 'male'), visit, late], mp(2025, 'America/New_York'));
    expect(r.populations?.numerator).toBe(true);
    const utc = resultFor(RULE, [patient('1960-01-01', 'male'), visit, late], mp(2025));
    expect(utc.populations?.numerator).toBe(false);
  });
});
