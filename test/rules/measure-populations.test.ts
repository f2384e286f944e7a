import { describe, expect, it } from 'vitest';
import { bpPanel, condition, encounter, hba1c, mp, observation, patient, procedure, resultFor } from './builders.ts';
import type { Populations } from '../../src/rules/index.ts';

const pops = (ip: boolean, excl: boolean, exc: boolean, num: boolean): Populations => ({
  'initial-population': ip,
  denominator: ip,
  'denominator-exclusion': excl,
  'denominator-exception': exc,
  numerator: num,
});
const visit = encounter('2025-05-05');

/** One row per population outcome, built from each eCQM's 2025 specification. */
describe.each([
  {
    measure: 'CMS130',
    rule: 'colorectal-cancer-screening',
    who: patient('1965-01-01', 'male'),
    met: [procedure('snomed', '73761001', '2020-01-01')],
    excluded: [procedure('cpt', '44150', '2012-01-01')],
  },
  {
    measure: 'CMS125',
    rule: 'breast-cancer-screening',
    who: patient('1965-01-01', 'female'),
    met: [observation('loinc', '24606-6', '2024-11-01')],
    excluded: [procedure('snomed', '52314009', '2012-01-01')],
  },
  {
    measure: 'CMS124',
    rule: 'cervical-cancer-screening',
    who: patient('1980-01-01', 'female'),
    met: [observation('loinc', '10524-7', '2023-05-01')],
    excluded: [procedure('cpt', '58150', '2012-01-01')],
  },
  {
    measure: 'CMS165',
    rule: 'controlling-blood-pressure',
    who: patient('1965-01-01', 'male'),
    base: [condition('icd10cm', 'I10', '2020-01-01')],
    met: [bpPanel('2025-10-10', 132, 84)],
    excluded: [condition('icd10cm', 'N18.6', '2025-02-01')],
  },
  {
    measure: 'CMS122',
    rule: 'diabetes-glycemic-status',
    who: patient('1965-01-01', 'male'),
    base: [condition('icd10cm', 'E11.9', '2020-01-01')],
    // Inverse measure: the numerator is poor control.
    met: [hba1c('2025-10-10', 10.1)],
    excluded: [condition('icd10cm', 'Z51.5', '2025-03-01')],
  },
])('$measure populations (2025)', ({ rule, who, base = [], met, excluded }) => {
  const run = (extra: unknown[], withVisit = true) => resultFor(rule, [who, ...(withVisit ? [visit] : []), ...base, ...extra], mp(2025));

  it('is outside the initial population without a qualifying visit', () => {
    expect(run(met, false).populations).toEqual(pops(false, false, false, false));
  });

  it('is in the numerator with the qualifying evidence', () => {
    expect(run(met).populations).toEqual(pops(true, false, false, true));
  });

  it('is in the denominator only without it', () => {
    expect(run([]).populations).toEqual(pops(true, false, false, rule === 'diabetes-glycemic-status'));
  });

  it('is in the denominator exclusion (and not the numerator) with an exclusion', () => {
    const r = run([...met, ...excluded]);
    expect(r.populations).toEqual(pops(true, true, false, false));
    expect(r.gapStatus).toBe('not-applicable');
  });
});
