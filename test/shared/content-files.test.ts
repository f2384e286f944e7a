import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkContentFile } from '../../src/shared/content-files.ts';
import { bundle, colonoscopyMeasure, packageParts } from '../fixtures/measure/package.ts';

const sample = JSON.parse(readFileSync(new URL('../fixtures/content/sample-value-sets.json', import.meta.url), 'utf8')) as unknown;
const vs = (extra: Record<string, unknown>) => ({ resourceType: 'ValueSet', url: 'http://example.org/ValueSet/x', ...extra });

describe('checking an admin content file', () => {
  it('accepts a value set bundle with expansions, naming its canonicals with versions', () => {
    expect(checkContentFile('value-set-bundle', sample)).toEqual({ ok: true, summary: { kind: 'value-set-bundle', canonicals: ['http://careloop.example/fhir/ValueSet/influenza-vaccine-contraindication|2026.1'] } });
    expect(checkContentFile('value-set-bundle', vs({ compose: { include: [{ system: 'http://loinc.org', concept: [{ code: '1-8' }] }] } })).ok).toBe(true);
  });

  it.each([
    ['an empty Bundle', { resourceType: 'Bundle', entry: [] }, /holds no ValueSet/],
    ['a Patient', { resourceType: 'Patient' }, /a Patient, not a ValueSet/],
    ['a ValueSet without url', { resourceType: 'ValueSet', expansion: { contains: [{ system: 's', code: 'c' }] } }, /without a url/],
    ['an empty expansion', vs({ expansion: { contains: [] } }), /empty expansion/],
    ['filters without expansion', vs({ compose: { include: [{ system: 'http://snomed.info/sct', filter: [{ property: 'concept', op: 'is-a', value: '1' }] }] } }), /filters or imports but no expansion/],
    ['no codes at all', vs({}), /no expansion and no enumerated codes/],
  ])('refuses %s as a value set bundle', (_name, value, problem) => {
    const check = checkContentFile('value-set-bundle', value);
    expect(check.ok).toBe(false);
    expect(!check.ok && check.problems.join('\n')).toMatch(problem);
  });

  it('accepts a measure package with its Measure and ELM Library, and refuses one without them', () => {
    const good = checkContentFile('measure-package', bundle([colonoscopyMeasure(), ...packageParts()]));
    expect(good.ok && good.summary.canonicals.length).toBe(1);
    const noElm = checkContentFile('measure-package', bundle([colonoscopyMeasure()]));
    expect(!noElm.ok && noElm.problems.join('\n')).toMatch(/no Library with ELM/);
    const valueSetsOnly = checkContentFile('measure-package', sample);
    expect(!valueSetsOnly.ok && valueSetsOnly.problems).toEqual(expect.arrayContaining(['holds no Measure']));
  });
});
