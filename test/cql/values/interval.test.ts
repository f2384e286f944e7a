/**
 * Interval values at the edges CQL 1.5 Appendix B §19 describes: open and closed boundaries, a null
 * boundary that is unbounded (closed) or unknown (open), date/time precision, set operations,
 * Collapse and Expand.
 */
import { describe, expect, it } from 'vitest';
import { CqlDate, CqlDateTime, PRECISION } from '../../../src/cql/values/datetime.ts';
import {
  CqlInterval,
  collapseIntervals,
  expandIntervals,
  expandPoints,
  intervalAfter,
  intervalBefore,
  intervalContains,
  intervalEnd,
  intervalEnds,
  intervalExcept,
  intervalIncludes,
  intervalIntersect,
  intervalMeets,
  intervalMeetsBefore,
  intervalOverlaps,
  intervalOverlapsAfter,
  intervalOverlapsBefore,
  intervalPointFrom,
  intervalProperlyContains,
  intervalProperlyIncludes,
  intervalSameAs,
  intervalSameOrAfter,
  intervalSameOrBefore,
  intervalSize,
  intervalStart,
  intervalStarts,
  intervalUnion,
  intervalWidth,
  intervalsEqual,
  intervalsEquivalent,
} from '../../../src/cql/values/interval.ts';
import type { PointType } from '../../../src/cql/values/interval.ts';
import { CqlQuantity } from '../../../src/cql/values/quantity.ts';
import { CqlRuntimeError } from '../../../src/cql/errors.ts';

/** Interval from text-like parts: `iv('[', 1, 5, ')')`. */
const iv = (lo: '[' | '(', low: unknown, high: unknown, hi: ']' | ')', type?: PointType): CqlInterval =>
  new CqlInterval(low, high, lo === '[', hi === ']', type);
const d = (y: number, m?: number, day?: number): CqlDate => new CqlDate([y, m, day].filter((x): x is number => x !== undefined));
const dt = (...f: number[]): CqlDateTime => new CqlDateTime(f, 0);

describe('Start and End (§19)', () => {
  it.each([
    ['closed', iv('[', 1, 5, ']'), 1, 5],
    ['open integer boundaries step by 1', iv('(', 1, 5, ')'), 2, 4],
    ['open decimal boundaries step by 10^-8', iv('(', 1, 2, ')', 'Decimal'), 1.00000001, 1.99999999],
    ['a closed null low is the minimum of the point type', iv('[', null, 10, ']', 'Integer'), -2147483648, 10],
    ['a closed null high is the maximum of the point type', iv('[', 10, null, ']', 'Integer'), 10, 2147483647],
    // As both reference engines answer, and as QICoreCommon's prevalenceInterval relies on.
    ['an interval with both boundaries null has no start or end', iv('[', null, null, ']', 'Integer'), null, null],
    ['an open null boundary is unknown', iv('(', null, null, ')', 'Integer'), null, null],
  ])('%s', (_name, i, start, end) => {
    expect(intervalStart(i)).toBe(start);
    expect(intervalEnd(i)).toBe(end);
  });

  it('takes the predecessor of an open date boundary at its own precision', () => {
    expect(intervalEnd(iv('[', d(2020, 1, 1), d(2020, 2, 1), ')'))).toEqual(d(2020, 1, 31));
    expect(intervalEnd(iv('[', d(2020, 1), d(2020, 3), ')'))).toEqual(d(2020, 2));
  });

  it('steps a Quantity boundary in its own unit', () => {
    expect(intervalEnd(iv('[', new CqlQuantity(1, 'mg'), new CqlQuantity(5, 'mg'), ')'))).toEqual(new CqlQuantity(4.99999999, 'mg'));
  });
});

describe('Contains / In a point (§19)', () => {
  it.each([
    ['inside', iv('[', 1, 5, ']'), 3, true],
    ['on a closed boundary', iv('[', 1, 5, ']'), 5, true],
    ['on an open boundary', iv('[', 1, 5, ')'), 5, false],
    ['just inside an open low', iv('(', 1, 5, ']'), 2, true],
    ['below a closed null high (unbounded above)', iv('[', 1, null, ']'), 0, false],
    ['above a closed null high', iv('[', 1, null, ']'), 1e9, true],
    ['above an open null high (unknown)', iv('[', 1, null, ')'), 10, null],
    ['below an open null high, under the low', iv('[', 1, null, ')'), 0, false],
    ['at the low of an open null high: the end is at least the start', iv('[', 1, null, ')'), 1, true],
    ['above the high of an unknown low', iv('(', null, 5, ']'), 6, false],
    ['below the high of an unknown low', iv('(', null, 5, ']'), 3, null],
  ])('%s', (_name, i, p, want) => {
    expect(intervalContains(i, p)).toBe(want);
  });

  it('answers at a precision, and null when the point is too imprecise', () => {
    const day = iv('[', dt(2020, 6, 15, 0, 0), dt(2020, 6, 15, 8, 0), ']');
    expect(intervalContains(day, dt(2020, 6, 15, 10, 0))).toBe(false);
    expect(intervalContains(day, dt(2020, 6, 15, 10, 0), PRECISION.day)).toBe(true);
    expect(intervalContains(iv('[', dt(2020, 1, 1, 0, 0), dt(2020, 6, 30, 0, 0), ']'), dt(2020))).toBe(null);
  });

  it('tests membership in the Measurement Period (open high) at millisecond precision', () => {
    const mp = iv('[', dt(2024, 1, 1, 0, 0, 0, 0), dt(2025, 1, 1, 0, 0, 0, 0), ')');
    expect(intervalContains(mp, dt(2024, 12, 31, 23, 59, 59, 999))).toBe(true);
    expect(intervalContains(mp, dt(2025, 1, 1, 0, 0, 0, 0))).toBe(false);
    expect(intervalContains(mp, dt(2023, 12, 31, 23, 59, 59, 999))).toBe(false);
    // A date-only point in the last day of the period is in it (the whole day is).
    expect(intervalContains(mp, dt(2024, 12, 31))).toBe(true);
  });

  it('properly contains only points strictly inside', () => {
    expect(intervalProperlyContains(iv('[', 1, 5, ']'), 1)).toBe(false);
    expect(intervalProperlyContains(iv('[', 1, 5, ']'), 2)).toBe(true);
    expect(intervalProperlyContains(iv('(', 1, 5, ']'), 2)).toBe(false);
  });
});

describe('Includes, IncludedIn and proper forms (§19)', () => {
  it.each([
    ['sub-interval', iv('[', 1, 10, ']'), iv('[', 2, 5, ']'), true],
    ['same interval', iv('[', 1, 10, ']'), iv('[', 1, 10, ']'), true],
    ['open end excludes 10', iv('[', 1, 10, ')'), iv('[', 1, 10, ']'), false],
    ['open vs closed spelling of the same points', iv('[', 1, 10, ')'), iv('[', 1, 9, ']'), true],
    ['unbounded includes anything', iv('[', null, null, ']'), iv('[', -5, 5, ']'), true],
    ['unknown high may or may not reach', iv('[', 1, null, ')'), iv('[', 2, 5, ']'), null],
    ['a point', iv('[', 1, 10, ']'), 5, true],
  ])('%s', (_name, a, b, want) => {
    expect(intervalIncludes(a, b)).toBe(want);
  });

  it('properly includes a strictly larger interval only', () => {
    expect(intervalProperlyIncludes(iv('[', 1, 10, ']'), iv('[', 1, 10, ']'))).toBe(false);
    expect(intervalProperlyIncludes(iv('[', 1, 10, ']'), iv('[', 2, 10, ']'))).toBe(true);
  });

  it('compares at day precision', () => {
    const a = iv('[', dt(2020, 1, 1, 10, 0), dt(2020, 1, 2, 10, 0), ']');
    const b = iv('[', dt(2020, 1, 1, 12, 0), dt(2020, 1, 2, 0, 0), ']');
    expect(intervalIncludes(b, a)).toBe(false);
    expect(intervalIncludes(b, a, PRECISION.day)).toBe(true);
  });
});

describe('Overlaps and Meets (§19)', () => {
  it.each([
    ['sharing one point', iv('[', 1, 5, ']'), iv('[', 5, 10, ']'), true],
    ['an open boundary at the shared point', iv('[', 1, 5, ')'), iv('[', 5, 10, ']'), false],
    ['disjoint', iv('[', 1, 3, ']'), iv('[', 4, 6, ']'), false],
    ['closed null high reaches anything after', iv('[', 1, null, ']'), iv('[', 100, 200, ']'), true],
    ['open null high may not reach', iv('[', 1, null, ')'), iv('[', 100, 200, ']'), null],
    // The unknown low of (null, 5] is at most 5, so it surely shares [3, 5] with [3, 10].
    ['unknown low still shares the points up to its high', iv('(', null, 5, ']'), iv('[', 3, 10, ']'), true],
  ])('%s', (_name, a, b, want) => {
    expect(intervalOverlaps(a, b)).toBe(want);
  });

  it('overlaps before/after by which starts or ends first', () => {
    expect(intervalOverlapsBefore(iv('[', 1, 5, ']'), iv('[', 3, 10, ']'))).toBe(true);
    expect(intervalOverlapsBefore(iv('[', 3, 10, ']'), iv('[', 1, 5, ']'))).toBe(false);
    expect(intervalOverlapsAfter(iv('[', 3, 10, ']'), iv('[', 1, 5, ']'))).toBe(true);
  });

  it.each([
    ['adjacent integers', iv('[', 1, 5, ']'), iv('[', 6, 10, ']'), true],
    ['a shared point does not meet', iv('[', 1, 5, ']'), iv('[', 5, 10, ']'), false],
    ['open boundary adjacent', iv('[', 1, 5, ')'), iv('[', 5, 10, ']'), true],
    ['decimals meet at the successor', iv('[', 1, 2, ']', 'Decimal'), iv('[', 2.00000001, 3, ']', 'Decimal'), true],
    ['dates meet day to day', iv('[', d(2020, 1, 1), d(2020, 1, 31), ']'), iv('[', d(2020, 2, 1), d(2020, 2, 29), ']'), true],
    ['gap of a day', iv('[', d(2020, 1, 1), d(2020, 1, 30), ']'), iv('[', d(2020, 2, 1), d(2020, 2, 29), ']'), false],
  ])('meets: %s', (_name, a, b, want) => {
    expect(intervalMeets(a, b)).toBe(want);
  });

  it('meets at a precision: the day after the end starts the other', () => {
    const a = iv('[', dt(2020, 1, 1, 0, 0), dt(2020, 1, 15, 10, 0), ']');
    const b = iv('[', dt(2020, 1, 16, 22, 0), dt(2020, 1, 20, 0, 0), ']');
    expect(intervalMeetsBefore(a, b)).toBe(false);
    expect(intervalMeetsBefore(a, b, PRECISION.day)).toBe(true);
  });
});

describe('Starts, Ends, Before, After, SameAs (§19)', () => {
  it('starts and ends', () => {
    expect(intervalStarts(iv('[', 1, 5, ']'), iv('[', 1, 10, ']'))).toBe(true);
    expect(intervalStarts(iv('[', 2, 5, ']'), iv('[', 1, 10, ']'))).toBe(false);
    expect(intervalEnds(iv('[', 5, 10, ']'), iv('[', 1, 10, ']'))).toBe(true);
    expect(intervalEnds(iv('[', 5, 11, ']'), iv('[', 1, 10, ']'))).toBe(false);
  });

  it.each([
    ['interval before interval', iv('[', 1, 5, ']'), iv('[', 6, 10, ']'), true],
    ['touching is not before', iv('[', 1, 5, ']'), iv('[', 5, 10, ']'), false],
    ['open end before the same point', iv('[', 1, 5, ')'), iv('[', 5, 10, ']'), true],
    ['point before interval', 0, iv('[', 1, 5, ']'), true],
    ['interval before point', iv('[', 1, 5, ']'), 6, true],
  ])('before: %s', (_name, a, b, want) => {
    expect(intervalBefore(a, b)).toBe(want);
    expect(intervalAfter(b, a)).toBe(want);
  });

  it('before at day and month precision', () => {
    const a = iv('[', d(2020, 1, 1), d(2020, 1, 10), ']');
    expect(intervalBefore(a, iv('[', d(2020, 1, 10), d(2020, 1, 20), ']'), PRECISION.day)).toBe(false);
    expect(intervalBefore(a, iv('[', d(2020, 2, 1), d(2020, 2, 20), ']'), PRECISION.month)).toBe(true);
    expect(intervalBefore(a, iv('[', d(2020, 1, 20), d(2020, 2, 20), ']'), PRECISION.month)).toBe(false);
  });

  it('same as / on or before / on or after', () => {
    const a = iv('[', dt(2020, 1, 1, 10, 0), dt(2020, 1, 2, 10, 0), ']');
    const b = iv('[', dt(2020, 1, 1, 0, 0), dt(2020, 1, 2, 23, 0), ']');
    expect(intervalSameAs(a, b)).toBe(false);
    expect(intervalSameAs(a, b, PRECISION.day)).toBe(true);
    expect(intervalSameOrAfter(iv('[', 6, 10, ']'), iv('[', 1, 6, ']'))).toBe(true);
    expect(intervalSameOrBefore(iv('[', 1, 6, ']'), iv('[', 6, 10, ']'))).toBe(true);
    expect(intervalSameOrBefore(iv('[', 1, 7, ']'), iv('[', 6, 10, ']'))).toBe(false);
  });
});

describe('Equal and Equivalent (§12)', () => {
  it.each([
    ['same intervals', iv('[', 1, 5, ']'), iv('[', 1, 5, ']'), true, true],
    ['open vs closed spelling', iv('[', 1, 5, ')'), iv('[', 1, 4, ']'), true, true],
    ['unbounded highs', iv('[', 1, null, ']'), iv('[', 1, null, ']'), true, true],
    ['unknown highs', iv('[', 1, null, ')'), iv('[', 1, null, ')'), null, true],
    ['different', iv('[', 1, 5, ']'), iv('[', 1, 6, ']'), false, false],
  ])('%s', (_name, a, b, eq, eqv) => {
    expect(intervalsEqual(a, b)).toBe(eq);
    expect(intervalsEquivalent(a, b)).toBe(eqv);
  });
});

describe('Union, Intersect, Except (§19)', () => {
  it.each([
    ['union of overlapping', intervalUnion(iv('[', 1, 5, ']'), iv('[', 3, 10, ']')), iv('[', 1, 10, ']')],
    ['union of adjacent integers', intervalUnion(iv('[', 1, 5, ']'), iv('[', 6, 10, ']')), iv('[', 1, 10, ']')],
    ['union of disjoint is null', intervalUnion(iv('[', 1, 3, ']'), iv('[', 5, 10, ']')), null],
    ['intersect keeps the open boundaries', intervalIntersect(iv('[', 1, 5, ')'), iv('(', 2, 10, ']')), iv('(', 2, 5, ')')],
    ['intersect of disjoint is null', intervalIntersect(iv('[', 1, 3, ']'), iv('[', 5, 10, ']')), null],
    ['except cuts the end', intervalExcept(iv('[', 1, 10, ']'), iv('[', 5, 15, ']')), iv('[', 1, 5, ')')],
    ['except cuts the start', intervalExcept(iv('[', 1, 10, ']'), iv('[', -5, 3, ']')), iv('(', 3, 10, ']')],
    ['except splitting in two is null', intervalExcept(iv('[', 1, 10, ']'), iv('[', 4, 6, ']')), null],
    ['except of disjoint is the first', intervalExcept(iv('[', 1, 3, ']'), iv('[', 4, 6, ']')), iv('[', 1, 3, ']')],
  ])('%s', (_name, got, want) => {
    if (want === null) expect(got).toBeNull();
    else expect(got && { low: got.low, high: got.high, lc: got.lowClosed, hc: got.highClosed }).toEqual({ low: want.low, high: want.high, lc: want.lowClosed, hc: want.highClosed });
  });
});

describe('Width, Size, PointFrom (§19)', () => {
  it('measures numeric intervals', () => {
    expect(intervalWidth(iv('[', 3, 7, ']'))).toBe(4);
    expect(intervalWidth(iv('[', 3, 7, ')'))).toBe(3);
    expect(intervalWidth(iv('[', 1.5, 4, ']', 'Decimal'))).toBe(2.5);
    expect(intervalWidth(iv('[', 3, null, ')'))).toBeNull();
    expect(intervalSize(iv('[', 3, 7, ']'))).toBe(5);
    expect(intervalWidth(iv('[', new CqlQuantity(1, 'g'), new CqlQuantity(1500, 'mg'), ']'))).toEqual(expect.objectContaining({ value: expect.any(Number) }));
  });

  it('is an error for date intervals and for PointFrom of a wider interval', () => {
    expect(() => intervalWidth(iv('[', d(2020, 1, 1), d(2020, 2, 1), ']'))).toThrow(CqlRuntimeError);
    expect(intervalPointFrom(iv('[', 3, 3, ']'))).toBe(3);
    expect(intervalPointFrom(iv('[', 3, 4, ')'))).toBe(3);
    expect(() => intervalPointFrom(iv('[', 3, 4, ']'))).toThrow(CqlRuntimeError);
  });
});

describe('Collapse (§19)', () => {
  const bounds = (l: CqlInterval[]): unknown[] => l.map((i) => [i.low, i.high, i.lowClosed, i.highClosed]);

  it.each([
    ['overlapping', [iv('[', 1, 5, ']'), iv('[', 3, 7, ']'), iv('[', 10, 12, ']')], [[1, 7, true, true], [10, 12, true, true]]],
    ['adjacent integers merge', [iv('[', 1, 5, ']'), iv('[', 6, 8, ']')], [[1, 8, true, true]]],
    ['a gap of one integer does not', [iv('[', 1, 5, ']'), iv('[', 7, 8, ']')], [[1, 5, true, true], [7, 8, true, true]]],
    ['unordered input, nulls ignored', [iv('[', 10, 12, ']'), null, iv('[', 1, 3, ']'), iv('[', 2, 4, ']')], [[1, 4, true, true], [10, 12, true, true]]],
    ['a contained interval keeps the outer end', [iv('[', 1, 10, ']'), iv('[', 2, 3, ']')], [[1, 10, true, true]]],
    ['empty', [], []],
  ])('%s', (_name, list, want) => {
    expect(bounds(collapseIntervals(list, null))).toEqual(want);
  });

  it('merges dates adjacent by day, and within a per', () => {
    expect(bounds(collapseIntervals([iv('[', d(2020, 1, 1), d(2020, 1, 10), ']'), iv('[', d(2020, 1, 11), d(2020, 1, 20), ']')], null))).toEqual([[d(2020, 1, 1), d(2020, 1, 20), true, true]]);
    expect(bounds(collapseIntervals([iv('[', 1, 2, ']'), iv('[', 4, 5, ']')], { value: 2, unit: '1' }))).toEqual([[1, 5, true, true]]);
    const a = iv('[', dt(2020, 1, 1, 8, 0), dt(2020, 1, 5, 8, 0), ']');
    const b = iv('[', dt(2020, 1, 6, 20, 0), dt(2020, 1, 9, 0, 0), ']');
    expect(collapseIntervals([a, b], null)).toHaveLength(2);
    expect(collapseIntervals([a, b], { value: 1, unit: 'day' })).toHaveLength(1);
  });
});

describe('Expand (§19)', () => {
  const bounds = (l: CqlInterval[] | null): unknown => l?.map((i) => [i.low, i.high]) ?? null;

  it.each([
    ['integers', [iv('[', 1, 4, ']')], null, [[1, 1], [2, 2], [3, 3], [4, 4]]],
    ['open interval', [iv('[', 1, 4, ')')], null, [[1, 1], [2, 2], [3, 3]]],
    ['per 2 keeps whole steps only', [iv('[', 1, 6, ']')], { value: 2, unit: '1' }, [[1, 2], [3, 4], [5, 6]]],
    ['per 2 drops a partial step', [iv('[', 1, 5, ']')], { value: 2, unit: '1' }, [[1, 2], [3, 4]]],
    ['decimals per 0.5', [iv('[', 1, 2, ']', 'Decimal')], { value: 0.5, unit: '1' }, [[1, 1.49999999], [1.5, 1.99999999]]],
    ['a null boundary gives null', [iv('[', 1, null, ']')], null, null],
  ])('%s', (_name, list, per, want) => {
    expect(bounds(expandIntervals(list, per))).toEqual(want);
  });

  it('expands dates per day across a month end, per week keeping whole weeks', () => {
    expect(bounds(expandIntervals([iv('[', d(2020, 1, 30), d(2020, 2, 2), ']')], { value: 1, unit: 'day' }))).toEqual([
      [d(2020, 1, 30), d(2020, 1, 30)],
      [d(2020, 1, 31), d(2020, 1, 31)],
      [d(2020, 2, 1), d(2020, 2, 1)],
      [d(2020, 2, 2), d(2020, 2, 2)],
    ]);
    expect(bounds(expandIntervals([iv('[', d(2020, 1, 1), d(2020, 1, 10), ']')], { value: 1, unit: 'week' }))).toEqual([[d(2020, 1, 1), d(2020, 1, 7)]]);
  });

  it('expands per month into month-precision unit intervals', () => {
    expect(bounds(expandIntervals([iv('[', d(2020, 1, 15), d(2020, 3, 31), ']')], { value: 1, unit: 'month' }))).toEqual([
      [d(2020, 1), d(2020, 1)],
      [d(2020, 2), d(2020, 2)],
      [d(2020, 3), d(2020, 3)],
    ]);
    // Boundaries coarser than the unit: nothing to step over.
    expect(expandIntervals([iv('[', d(2020), d(2021), ']')], { value: 1, unit: 'month' })).toEqual([]);
    // A unit finer than a Date's day is not applicable.
    expect(expandIntervals([iv('[', d(2020, 1, 1), d(2020, 1, 2), ']')], { value: 1, unit: 'hour' })).toBeNull();
  });

  it('expands a single interval into points', () => {
    expect(expandPoints(iv('[', 1, 3, ']'), null)).toEqual([1, 2, 3]);
  });
});
