/**
 * Distinct and the list set operations compare only values that share an `equalityKey`, so the key
 * must never separate two values CQL calls equal. Checked over every pair of a varied sample.
 */
import { describe, expect, it } from 'vitest';
import { FhirValue } from '../../../src/cql/fhir-r4/model.ts';
import { CqlCode, CqlConcept } from '../../../src/cql/values/code.ts';
import { CqlDate, CqlDateTime, CqlTime, CqlUncertainty } from '../../../src/cql/values/datetime.ts';
import { equal } from '../../../src/cql/values/equality.ts';
import { CqlInterval } from '../../../src/cql/values/interval.ts';
import { distinctList, equalityKey, listExcept, listIntersect } from '../../../src/cql/values/list.ts';
import { CqlQuantity } from '../../../src/cql/values/quantity.ts';
import { CqlTuple } from '../../../src/cql/values/tuple.ts';

const dt = (f: number[], offset: number) => new CqlDateTime(f, offset);
const SAMPLE: unknown[] = [
  0, 1, 1.5, 3, -2, 'a', 'A', '', true, false,
  dt([2025, 3, 4], 0), dt([2025, 3, 4], -5), dt([2025, 3], 0),
  dt([2025, 3, 4, 10, 0, 0, 0], 0), dt([2025, 3, 4, 5, 0, 0, 0], -5), dt([2025, 3, 4, 15, 0, 0, 0], 5), dt([2025, 3, 4, 10, 0, 0], 0), dt([2025, 3, 4, 10, 0], 0), dt([2025, 3, 4, 10, 0, 0, 500], 0),
  new CqlDate([2025, 3, 4]), new CqlDate([2025, 3]), new CqlTime([10, 0, 0]), new CqlTime([10, 0, 0, 0]), new CqlTime([10, 0]),
  new CqlUncertainty(3, 3), new CqlUncertainty(2, 4),
  new CqlQuantity(1, 'g'), new CqlQuantity(1000, 'mg'), new CqlQuantity(1, 'cm'), new CqlQuantity(12, 'months'), new CqlQuantity(1, 'year'),
  new CqlCode('123', 'http://loinc.org'), new CqlCode('123', 'http://snomed.info/sct'), new CqlCode('123', 'http://loinc.org', null, 'x'),
  new CqlConcept([new CqlCode('1', 's')]), new CqlConcept([new CqlCode('1', 's')]),
  new CqlInterval(1, 5, true, true), new CqlInterval(1, 6, true, false), new CqlInterval(1, 5, true, true),
  new CqlTuple({ a: 1, b: null }), new CqlTuple({ b: null, a: 1 }), new CqlTuple({ a: 1, b: 2 }), new CqlTuple({ when: dt([2025, 3, 4, 10, 0, 0, 0], 0) }), new CqlTuple({ when: dt([2025, 3, 4, 5, 0, 0, 0], -5) }),
  [1, 2], [1, 2], [2, 1], [new CqlQuantity(1, 'g')], [new CqlQuantity(1000, 'mg')],
  new FhirValue('Observation', { resourceType: 'Observation', id: 'o1', status: 'final' }), new FhirValue('Observation', { resourceType: 'Observation', id: 'o1', status: 'final' }),
  new FhirValue('Observation', { resourceType: 'Observation', id: 'o2' }), new FhirValue('string', 'abc'), new FhirValue('code', 'abc'), new FhirValue('Period', { start: '2025' }), new FhirValue('Period', { start: '2025' }),
];

describe('equalityKey', () => {
  it('never separates two values CQL calls equal', () => {
    const broken: string[] = [];
    for (const a of SAMPLE) for (const b of SAMPLE) if (equal(a, b) === true && equalityKey(a) !== equalityKey(b)) broken.push(`${equalityKey(a)} vs ${equalityKey(b)}`);
    expect(broken).toEqual([]);
  });

  it('gives distinct, intersect and except the answers of pairwise comparison', () => {
    // The same object counts as itself even where CQL equality is unknown (an uncertainty range).
    const naiveContains = (list: readonly unknown[], x: unknown) => list.some((e) => e === x || (e === null && x === null) || equal(e, x) === true);
    const naiveDistinct = (list: readonly unknown[]) => list.reduce<unknown[]>((out, x) => (naiveContains(out, x) ? out : [...out, x]), []);
    const half = SAMPLE.filter((_, i) => i % 2 === 0);
    expect(distinctList([...SAMPLE, null, ...SAMPLE, null])).toEqual(naiveDistinct([...SAMPLE, null, ...SAMPLE, null]));
    expect(listIntersect(SAMPLE, half)).toEqual(naiveDistinct(SAMPLE).filter((x) => naiveContains(half, x)));
    expect(listExcept(SAMPLE, half)).toEqual(naiveDistinct(SAMPLE).filter((x) => !naiveContains(half, x)));
    // Short lists take the pairwise path: the same answers.
    for (let i = 0; i + 6 <= SAMPLE.length; i += 3) {
      const slice = [...SAMPLE.slice(i, i + 6), ...SAMPLE.slice(i, i + 3), null, null];
      expect(distinctList(slice)).toEqual(naiveDistinct(slice));
    }
  });
});
