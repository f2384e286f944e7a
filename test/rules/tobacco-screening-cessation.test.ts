import { describe, expect, it } from 'vitest';
import { cc, encounter, mp, observation, patient, poc, procedure, resultFor, summary } from './builders.ts';

const RULE = 'tobacco-screening-cessation';
const adult = patient('1980-01-01', 'male');
const screen = (date: string, answer: string) => observation('loinc', '72166-2', date, { valueCodeableConcept: cc('snomed', answer) });
const NEVER = '266919005';
const DAILY = '449868002';
const at = (resources: unknown[], asOf = '2025-06-01') => resultFor(RULE, [adult, ...resources], poc(asOf));

describe('tobacco screening and cessation at the point of care', () => {
  it.each([
    ['is satisfied by a non-user answer within 12 months', [screen('2024-06-02', NEVER)], 'satisfied 2025-06-02'],
    ['is due when the last screening is exactly 12 months old', [screen('2024-06-01', NEVER)], 'due 2025-06-01'],
    ['is due for a user without cessation support', [screen('2025-05-01', DAILY)], 'due 2025-05-01'],
    ['is satisfied for a user counselled (CPT 99406)', [screen('2025-05-01', DAILY), procedure('cpt', '99406', '2025-05-01')], 'satisfied 2026-05-01'],
    ['is satisfied for a user counselled 6 months before the screening', [screen('2025-05-01', DAILY), procedure('cpt', '99406', '2024-11-01')], 'satisfied 2026-05-01'],
  ])('%s', (_name, resources, expected) => {
    expect(summary(at(resources))).toBe(expected);
  });

  it('asks for cessation support with its own action for a user', () => {
    const r = at([screen('2025-05-01', DAILY)]);
    expect(r.status === 'due' && r.action.code.code).toBe('225323000');
  });

  it('is insufficient-data when the answer is not a recognised tobacco status', () => {
    const r = at([observation('loinc', '72166-2', '2025-05-01', { valueString: 'sometimes' })]);
    expect(r.status).toBe('insufficient-data');
  });

  it('is not applicable at 11', () => {
    expect(resultFor(RULE, [patient('2014-01-01', 'male')], poc('2025-06-01')).status).toBe('not-applicable');
  });
});

describe('tobacco screening and cessation in measure mode (CMS138v13, 2025)', () => {
  const visit = encounter('2025-02-01');
  const run = (resources: unknown[]) => resultFor(RULE, [adult, visit, ...resources], mp(2025));

  it.each([
    ['a non-user screened in the period', true, [screen('2025-03-01', NEVER)]],
    ['a user with counselling in the period', true, [screen('2025-03-01', DAILY), procedure('cpt', '99407', '2025-04-01')]],
    ['a user with counselling 6 months before the period', true, [screen('2025-03-01', DAILY), procedure('cpt', '99407', '2024-07-01')]],
    ['a user without counselling', false, [screen('2025-03-01', DAILY)]],
    ['a screening only before the period', false, [screen('2024-12-31', NEVER)]],
  ])('counts %s in the numerator: %s', (_name, expected, resources) => {
    expect(run(resources).populations?.numerator).toBe(expected);
  });

  it('records a screening not done for a medical reason as a denominator exception', () => {
    const notDone = procedure('loinc', '72166-2', '2025-03-01', { status: 'not-done', statusReason: cc('snomed', '183932001') });
    const r = run([notDone]);
    expect(r.populations?.['denominator-exception']).toBe(true);
    expect(r.gapStatus).toBe('not-applicable');
    expect(r.status).toBe('excluded');
  });

  it('does not treat a refusal without a medical reason as an exception', () => {
    const refused = procedure('loinc', '72166-2', '2025-03-01', { status: 'not-done', statusReason: cc('snomed', '105480006') });
    expect(run([refused]).populations?.['denominator-exception']).toBe(false);
  });

  it('applies the age 12 at the start of the period', () => {
    const r = resultFor(RULE, [patient('2013-01-02', 'male'), visit], mp(2025));
    expect(r.populations?.['initial-population']).toBe(false);
    const r2 = resultFor(RULE, [patient('2013-01-01', 'male'), visit], mp(2025));
    expect(r2.populations?.['initial-population']).toBe(true);
  });
});
