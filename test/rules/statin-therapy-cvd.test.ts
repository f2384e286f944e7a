import { describe, expect, it } from 'vitest';
import { cc, condition, encounter, mp, patient, poc, procedure, resultFor, summary } from './builders.ts';

const RULE = 'statin-therapy-cvd';
const adult = patient('1960-01-01', 'male');
const mi = condition('icd10cm', 'I25.2', '2019-03-01');
const statin = (authoredOn: string, status = 'completed', code = '617311') => ({
  resourceType: 'MedicationRequest',
  id: `mr-${authoredOn}-${status}`,
  status,
  intent: 'order',
  medicationCodeableConcept: cc('rxnorm', code),
  subject: { reference: 'Patient/p1' },
  authoredOn,
});
const at = (resources: unknown[]) => resultFor(RULE, [adult, ...resources], poc('2025-06-01'));

describe('statin therapy for clinical ASCVD at the point of care', () => {
  it.each([
    ['is not applicable without ASCVD', [], 'not-applicable'],
    ['is due since the MI for a patient with no statin on record (never overdue)', [mi], 'due 2019-03-01'],
    ['is satisfied by an atorvastatin 40 mg order in the last 12 months', [mi, statin('2024-06-02')], 'satisfied 2025-06-02'],
    ['is due when the only statin order is exactly 12 months old', [mi, statin('2024-06-01')], 'due 2025-06-01'],
    ['is satisfied by an active statin prescribed years ago', [mi, statin('2019-01-01', 'active')], 'satisfied never'],
    ['is satisfied by a low-intensity statin (pravastatin 20 mg) in the starter value sets', [mi, statin('2024-06-02', 'completed', '904467')], 'satisfied 2025-06-02'],
    ['ignores a cancelled statin order', [mi, statin('2025-01-01', 'cancelled')], 'due 2019-03-01'],
    ['applies after a PCI procedure', [procedure('cpt', '92928', '2020-01-01')], 'due 2020-01-01'],
    ['is due, not yet overdue, within a month of a new MI', [condition('icd10cm', 'I21.9', '2025-05-15')], 'due 2025-05-15'],
  ])('%s', (_name, resources, expected) => {
    expect(summary(at(resources))).toBe(expected);
  });

  it.each([
    ['rhabdomyolysis', condition('icd10cm', 'M62.82', '2022-01-01'), 'Rhabdomyolysis'],
    ['pregnancy in the last 12 months', condition('icd10cm', 'Z33.1', '2025-02-01'), 'Pregnancy'],
    ['a statin allergy', { ...condition('rxnorm', '83367', '2020-01-01'), resourceType: 'AllergyIntolerance' }, 'Statin allergy'],
    ['liver disease', condition('icd10cm', 'K74.60', '2021-01-01'), 'Liver disease'],
  ])('excludes a patient with %s', (_name, resource, label) => {
    expect(summary(at([mi, resource]))).toBe(`excluded ${label}`);
  });
});

describe('statin therapy in measure mode (CMS347 population 1, 2025)', () => {
  const visit = encounter('2025-03-01');
  const run = (resources: unknown[]) => resultFor(RULE, [adult, visit, mi, ...resources], mp(2025));

  it('puts a statin ordered in the period in the numerator', () => {
    expect(run([statin('2025-03-01')]).gapStatus).toBe('closed-gap');
  });

  it('leaves the gap open for a statin ordered the day before the period', () => {
    expect(run([statin('2024-12-31')]).gapStatus).toBe('open-gap');
  });

  it('records a statin allergy as a denominator exception, not an exclusion', () => {
    const r = run([{ ...condition('rxnorm', '36567', '2020-01-01'), resourceType: 'AllergyIntolerance' }]);
    expect(r.populations).toEqual({ 'initial-population': true, denominator: true, 'denominator-exclusion': false, 'denominator-exception': true, numerator: false });
  });

  it('records pregnancy during the period as a denominator exclusion', () => {
    expect(run([condition('icd10cm', 'Z33.1', '2025-05-01')]).populations?.['denominator-exclusion']).toBe(true);
  });

  it('does not use an exception when the numerator is met', () => {
    const r = run([statin('2025-03-01'), condition('icd10cm', 'K74.60', '2021-01-01')]);
    expect(r.populations?.numerator).toBe(true);
    expect(r.populations?.['denominator-exception']).toBe(false);
  });

  it('records a statin not ordered for a medical reason as an exception', () => {
    const notOrdered = { ...statin('2025-04-01'), doNotPerform: true, reasonCode: [cc('snomed', '397745006')] };
    expect(run([notOrdered]).populations?.['denominator-exception']).toBe(true);
  });
});

describe('statin orders that do not count', () => {
  it.each([['proposal'], ['plan']])('does not close the gap with a statin whose intent is %s (only orders count, as CMS347 reads them)', (intent) => {
    const proposed = { ...statin('2025-03-01'), id: `mr-${intent}`, intent };
    expect(at([mi, proposed]).status).toBe(at([mi]).status);
    expect(at([mi, statin('2025-03-01')]).status).toBe('satisfied');
  });
});
