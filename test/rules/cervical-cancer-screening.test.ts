import { describe, expect, it } from 'vitest';
import { condition, encounter, mp, observation, patient, poc, procedure, resultFor, summary } from './builders.ts';

const RULE = 'cervical-cancer-screening';
const pap = (date: string) => observation('loinc', '10524-7', date);
const hpv = (date: string) => observation('loinc', '59420-0', date);
const at = (resources: unknown[], asOf: string) => summary(resultFor(RULE, resources, poc(asOf)));

describe('cervical cancer screening at the point of care (USPSTF 2018)', () => {
  it.each([
    ['is not applicable the day before the 21st birthday', '2004-06-02', 'not-applicable'],
    ['is due on the 21st birthday', '2004-06-01', 'due 2025-06-01'],
    ['still applies at 65', '1960-01-01', 'due 1981-01-01'],
    ['is not applicable at 66', '1959-06-01', 'not-applicable'],
  ])('%s', (_name, birthDate, expected) => {
    expect(at([patient(birthDate, 'female')], '2025-06-01')).toBe(expected);
  });

  it.each([
    ['is satisfied by cytology within 3 years', [pap('2022-06-02')], 'satisfied 2025-06-02'],
    ['is due when cytology is exactly 3 years old', [pap('2022-06-01')], 'due 2025-06-01'],
    ['is satisfied by an HPV test within 5 years at 30+', [hpv('2020-06-02')], 'satisfied 2025-06-02'],
    ['keeps the later expiry of co-testing', [pap('2021-01-01'), hpv('2021-01-01')], 'satisfied 2026-01-01'],
  ])('%s', (_name, tests, expected) => {
    expect(at([patient('1980-01-01', 'female'), ...tests], '2025-06-01')).toBe(expected);
  });

  it('does not count an HPV test done before the 30th birthday', () => {
    expect(at([patient('1993-01-01', 'female'), hpv('2022-12-31')], '2025-06-01')).toMatch(/^due /);
    expect(at([patient('1993-01-01', 'female'), hpv('2023-01-01')], '2025-06-01')).toBe('satisfied 2028-01-01');
  });

  it.each([
    ['a total hysterectomy', procedure('cpt', '58150', '2010-01-01'), 'Hysterectomy with no residual cervix'],
    ['acquired absence of the cervix', condition('icd10cm', 'Z90.710', '2010-01-01'), 'Absence of cervix'],
  ])('excludes a woman with %s', (_name, resource, label) => {
    expect(at([patient('1980-01-01', 'female'), resource], '2025-06-01')).toBe(`excluded ${label}`);
  });
});

describe('cervical cancer screening in measure mode (CMS124v13, 2025)', () => {
  const visit = encounter('2025-04-01');
  const run = (resources: unknown[]) => resultFor(RULE, resources, mp(2025));

  it.each([
    ['23 at the end of the period', false, '2002-01-01'],
    ['24 at the end of the period', true, '2001-12-31'],
    ['64 at the end of the period', true, '1961-12-31'],
    ['65 at the end of the period', false, '1960-12-31'],
  ])('puts a woman %s in the initial population: %s', (_name, expected, birthDate) => {
    expect(run([patient(birthDate, 'female'), visit]).populations?.['initial-population']).toBe(expected);
  });

  it.each([
    ['cytology 2 years before the period', true, pap('2023-01-01')],
    ['cytology just over 2 years before', false, pap('2022-12-31')],
    ['an HPV test 4 years before the period', true, hpv('2021-01-01')],
    ['an HPV test just over 4 years before', false, hpv('2020-12-31')],
  ])('counts %s: %s', (_name, expected, test) => {
    expect(run([patient('1970-01-01', 'female'), visit, test]).populations?.numerator).toBe(expected);
  });

  it('does not apply the frailty exclusion (CMS124 has none)', () => {
    const r = run([patient('1961-06-01', 'female'), visit, condition('icd10cm', 'R54', '2025-01-01'), condition('icd10cm', 'I50.9', '2025-01-01')]);
    expect(r.populations?.['denominator-exclusion']).toBe(false);
  });
});
