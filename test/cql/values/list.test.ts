/** List helpers at the edges of CQL 1.5 Appendix B §20: equality semantics, nulls, set operations, sort order. */
import { describe, expect, it } from 'vitest';
import { CqlDate } from '../../../src/cql/values/datetime.ts';
import { CqlInterval } from '../../../src/cql/values/interval.ts';
import {
  distinctList,
  flattenList,
  listContains,
  listExcept,
  listIncludes,
  listIntersect,
  listProperlyIncludes,
  listUnion,
  sortList,
} from '../../../src/cql/values/list.ts';
import { CqlQuantity } from '../../../src/cql/values/quantity.ts';
import { CqlTuple } from '../../../src/cql/values/tuple.ts';

describe('membership and distinct', () => {
  it.each([
    ['a number', [1, 2, 3], 2, true],
    ['a null in a list with a null', [1, null], null, true],
    ['a null in a list without one', [1, 2], null, false],
    ['a tuple by value', [new CqlTuple({ a: 1 })], new CqlTuple({ a: 1 }), true],
    ['a date by value', [new CqlDate([2020, 1, 1])], new CqlDate([2020, 1, 1]), true],
    ['a quantity in another unit', [new CqlQuantity(1, 'g')], new CqlQuantity(1000, 'mg'), true],
    ['an interval by value', [new CqlInterval(1, 5, true, true)], new CqlInterval(1, 4, true, true), false],
  ])('contains %s', (_name, list, x, want) => {
    expect(listContains(list, x)).toBe(want);
  });

  it('keeps first occurrences, one null, and treats 1 and 1.0 as equal', () => {
    expect(distinctList([1, 2, 2, 3, 1])).toEqual([1, 2, 3]);
    expect(distinctList([null, 1, null])).toEqual([null, 1]);
    expect(distinctList([new CqlTuple({ a: 1 }), new CqlTuple({ a: 1 }), new CqlTuple({ a: 2 })])).toHaveLength(2);
  });
});

describe('set operations', () => {
  it('union, intersect, except are distinct and keep one null', () => {
    expect(listUnion([1, 2, 2], [2, 3])).toEqual([1, 2, 3]);
    expect(listUnion([1, null], [null, 2])).toEqual([1, null, 2]);
    expect(listUnion([1], null)).toEqual([1]);
    expect(listIntersect([1, 2, 3, 3], [3, 2, 5])).toEqual([2, 3]);
    expect(listIntersect([1, null], [null])).toEqual([null]);
    expect(listExcept([1, 2, 3, 2], [2])).toEqual([1, 3]);
    expect(listExcept([1, null], [null])).toEqual([1]);
  });

  it('includes by membership; properly when the first has something more', () => {
    expect(listIncludes([1, 2, 3], [1, 3])).toBe(true);
    expect(listIncludes([1, 2], [1, 1])).toBe(true);
    expect(listIncludes([1, 2], [3])).toBe(false);
    expect(listProperlyIncludes([1, 2, 3], [1, 2])).toBe(true);
    expect(listProperlyIncludes([1, 2], [1, 2])).toBe(false);
    expect(listProperlyIncludes([1, 1], [1])).toBe(false);
  });

  it('flattens, dropping null inner lists', () => {
    expect(flattenList([[1, 2], [3], []])).toEqual([1, 2, 3]);
    expect(flattenList([[1], null, [2]])).toEqual([1, 2]);
  });
});

describe('sort', () => {
  it('puts nulls first ascending and last descending', () => {
    expect(sortList([3, null, 1])).toEqual([null, 1, 3]);
    expect(sortList([3, null, 1], [{ key: (x) => x, descending: true }])).toEqual([3, 1, null]);
  });

  it('orders strings by code point and dates by time, stably on ties', () => {
    expect(sortList(['b', 'a', 'C'])).toEqual(['C', 'a', 'b']);
    const dates = [new CqlDate([2020, 3, 1]), new CqlDate([2019, 1, 1]), new CqlDate([2020, 1, 1])];
    expect(sortList(dates, [{ key: (x) => x, descending: true }])).toEqual([dates[0], dates[2], dates[1]]);
    const rows = [new CqlTuple({ k: 1, n: 'x' }), new CqlTuple({ k: 0, n: 'y' }), new CqlTuple({ k: 1, n: 'z' })];
    const byK = sortList(rows, [{ key: (t) => (t as CqlTuple).elements['k'], descending: false }]);
    expect(byK.map((t) => (t as CqlTuple).elements['n'])).toEqual(['y', 'x', 'z']);
  });
});
