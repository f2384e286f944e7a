/**
 * Official measure packages an admin loads into the pack: one with a rule's canonical Measure URL
 * replaces that rule's measure logic; any other shows as "Review: <title>" with a Task action.
 */
import { describe, expect, it } from 'vitest';
import { CqlDateTime } from '../../src/cql/index.ts';
import { careloopPreventive, evaluateMeasure, evaluatePack, loadMeasurePackages, withMeasurePackages } from '../../src/rules/index.ts';
import { bundle, colonoscopyMeasure, packageParts } from '../fixtures/measure/package.ts';
import { encounter, mp, patient, poc, procedure } from './builders.ts';

const CMS130 = 'https://madie.cms.gov/Measure/CMS130FHIRColorectalCancerScreening';
const packWith = (url?: string) => withMeasurePackages(careloopPreventive, loadMeasurePackages([bundle([colonoscopyMeasure(url), ...packageParts()])]));
const visit = encounter('2025-03-04');
// Ada, 57, a colonoscopy 9½ years ago: inside the test measure's 10 years.
const ada = [patient('1968-02-01', 'female'), visit, procedure('snomed', '73761001', '2016-06-01')];

describe('official measure packages in the pack', () => {
  it('shows a loaded measure no Careloop rule reports as "Review: <title>" with a Task action, decided by the official logic', () => {
    const pack = packWith();
    expect(pack.digest).not.toBe(careloopPreventive.digest);
    const result = evaluatePack(pack, [patient('1968-02-01', 'female'), visit, procedure('snomed', '73761001', '2010-06-01')], poc('2025-06-01'));
    const review = result.results.find((r) => r.rule === 'measure:CareloopColonoscopyMeasure');
    expect(review).toMatchObject({ title: 'Review: Colonoscopy in the last ten years', status: 'due', dueDate: '2025-12-31' });
    expect(review?.logic).toMatchObject({ library: 'CareloopColonoscopyMeasure', version: '0.1.0', source: 'measure-package' });
    expect(review?.logic.elmDigest).toMatch(/^[0-9a-f]{64}$/);
    if (review?.status === 'due') expect(review.action).toMatchObject({ resourceType: 'Task', code: { code: 'review-measure' } });
  });

  it.each([
    ['no computable name', undefined],
    ['a name that is a title, not a computable name', 'Colonoscopy in the last ten years'],
  ])('names a measure with %s by its main library, so its review rule id is a code the audit trail stores', (_case, name) => {
    const measure = { ...colonoscopyMeasure(), name };
    const [loaded] = loadMeasurePackages([bundle([measure, ...packageParts()])]);
    expect(loaded?.name).toBe('CareloopColonoscopyMeasure');
  });

  it('reports the review as met when the official logic closes the gap', () => {
    const review = evaluatePack(packWith(), ada, poc('2025-06-01')).results.find((r) => r.rule === 'measure:CareloopColonoscopyMeasure');
    expect(review?.status).toBe('satisfied');
  });

  it('replaces the colorectal rule\'s measure logic when the package carries CMS130\'s canonical URL', () => {
    // 45 at the end of 2025: below CMS130's 46 in Careloop's logic, inside the test measure's 45–75.
    const young = [patient('1980-06-01', 'male'), visit, procedure('snomed', '73761001', '2020-06-01')];
    const careloop = evaluatePack(careloopPreventive, young, mp(2025)).results.find((r) => r.rule === 'colorectal-cancer-screening');
    expect(careloop?.populations?.['initial-population']).toBe(false);
    expect(careloop?.logic.source).toBe('careloop');
    const pack = packWith(CMS130);
    const official = evaluatePack(pack, young, mp(2025)).results.find((r) => r.rule === 'colorectal-cancer-screening');
    expect(official?.populations).toMatchObject({ 'initial-population': true, denominator: true, numerator: true });
    expect(official?.gapStatus).toBe('closed-gap');
    expect(official?.logic).toMatchObject({ library: 'CareloopColonoscopyMeasure', source: 'measure-package' });
    // It replaced the rule rather than adding a review card.
    expect(evaluatePack(pack, young, mp(2025)).results.some((r) => r.rule.startsWith('measure:'))).toBe(false);
  });

  it('keeps Careloop\'s guideline logic at the point of care even when the official measure is loaded', () => {
    const r = evaluatePack(packWith(CMS130), ada, poc('2025-06-01')).results.find((x) => x.rule === 'colorectal-cancer-screening');
    expect(r?.logic.source).toBe('careloop');
  });
});

describe('resource-based proportion measures', () => {
  const basis = { url: 'http://hl7.org/fhir/us/cqfmeasures/StructureDefinition/cqfm-populationBasis', valueCode: 'Encounter' };
  const perVisit = {
    ...colonoscopyMeasure('https://careloop.example/fhir/Measure/VisitsWithColonoscopy'),
    name: 'VisitsWithColonoscopy',
    extension: [basis],
    group: [
      {
        id: 'visits',
        population: (
          [
            ['initial-population', 'Office Visits In Period'],
            ['denominator', 'Office Visits In Period'],
            ['numerator', 'Visits With A Colonoscopy The Same Day'],
          ] as const
        ).map(([code, expression]) => ({ code: { coding: [{ code }] }, criteria: { language: 'text/cql-identifier', expression } })),
      },
    ],
  };

  it('counts resources in each population, and the gap stays open while any visit lacks the numerator', () => {
    const [pkg] = loadMeasurePackages([bundle([perVisit, ...packageParts()])]);
    if (!pkg) throw new Error('no package');
    const now = new CqlDateTime([2026, 1, 15, 12, 0, 0, 0], 0);
    const firstVisit = encounter('2025-03-04');
    const visits = [firstVisit, { ...encounter('2025-05-06'), id: 'second-visit' }];
    const scope = procedure('snomed', '73761001', '2025-03-04');
    const [open] = evaluateMeasure(pkg, [patient('1968-02-01', 'female'), ...visits, scope], { periodStart: '2025-01-01', periodEnd: '2025-12-31', now });
    expect(open?.counts).toEqual({ 'initial-population': 2, denominator: 2, numerator: 1 });
    expect(open?.gapStatus).toBe('open-gap');
    const [closed] = evaluateMeasure(pkg, [patient('1968-02-01', 'female'), firstVisit, scope], { periodStart: '2025-01-01', periodEnd: '2025-12-31', now });
    expect(closed?.counts).toEqual({ 'initial-population': 1, denominator: 1, numerator: 1 });
    expect(closed?.gapStatus).toBe('closed-gap');
  });
});
