/**
 * The differential corpus only tests what it reaches: every library of Careloop's rule pack must
 * come out in each of its outcomes for some generated patients, and the shared exclusions must fire,
 * or a disagreement on that branch could never be seen.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFhirProgram, createTerminology, CqlDateTime, evaluateFhir } from '../../src/cql/index.ts';
import { parseDateTime } from '../../src/cql/values/datetime.ts';
import { measurementPeriod } from '../../src/rules/measure-package.ts';
import { builtInValueSets, readElm } from './support/differential.ts';
import { generateCorpus } from './support/generator.ts';

const frame = { periodStart: '2025-01-01', periodEnd: '2025-12-31' };
const dir = join(import.meta.dirname, '../../src/rules/elm');
const libraries = readElm(readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => join(dir, f)));
const patients = generateCorpus(20261130, 400, frame);
const now = parseDateTime('2026-01-15T12:00:00.000Z', 0);
const terminology = createTerminology(builtInValueSets().engine);
const period = measurementPeriod(frame.periodStart, frame.periodEnd, 0);

function valuesOf(library: string, define: string, measure: boolean): unknown[] {
  if (!now) throw new Error('bad evaluation time');
  const program = createFhirProgram(libraries, { main: library });
  const asOf = measure ? null : new CqlDateTime([2025, 12, 31], 0);
  return patients.map((p) => {
    const r = evaluateFhir(program, p, { now, terminology, parameters: { 'Measurement Period': period, 'As Of': asOf }, library, defines: [define] }).get(define);
    return r !== undefined && 'value' in r ? r.value : r;
  });
}

const RULES = [
  'CareloopBreastCancerScreening',
  'CareloopCervicalCancerScreening',
  'CareloopColorectalCancerScreening',
  'CareloopControllingBloodPressure',
  'CareloopDiabetesGlycemicStatus',
  'CareloopInfluenzaVaccination',
  'CareloopPneumococcalVaccination',
  'CareloopStatinTherapy',
  'CareloopTobaccoScreening',
];
const OUTCOMES = ['not-applicable', 'insufficient', 'excluded', 'satisfied', 'open'];

describe('the generated corpus reaches every branch of the rule pack', () => {
  it.each(RULES)('%s comes out in every outcome at the point of care', (library) => {
    const seen = new Set(valuesOf(library, 'Outcome', false));
    expect([...seen].sort()).toEqual([...OUTCOMES].sort());
  });

  it.each(RULES.filter((r) => !/Influenza|Pneumococcal/.test(r)))('%s has patients in and out of the measure numerator and exclusions', (library) => {
    for (const define of ['Numerator', 'Denominator Exclusions']) expect(new Set(valuesOf(library, define, true))).toEqual(new Set([true, false]));
  });

  it.each(['Hospice Exclusion', 'Palliative Care Exclusion', 'Frailty And Advanced Illness Exclusion', 'Frailty 81 Exclusion', 'Nursing Home Exclusion'])(
    'fires the shared %s for some patients and not for most',
    (define) => {
      const fired = valuesOf('CareloopCommon', define, true).filter((v) => v !== null).length;
      expect(fired).toBeGreaterThan(0);
      expect(fired).toBeLessThan(patients.length / 4);
    },
  );
});
