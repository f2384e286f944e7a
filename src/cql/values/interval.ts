/**
 * CQL Interval values (CQL 1.5 §1.4.7) and the interval operators' value-level logic (CQL 1.5
 * Appendix B §19, Interval Operators).
 *
 * Boundaries. A null boundary means one of two things (§19 Start/End): a *closed* null boundary is
 * unbounded (the minimum or maximum value of the point type); an *open* null boundary is unknown.
 * Every operator below reasons about the closed form of an interval: an open non-null boundary is
 * replaced by its successor (low) or predecessor (high), cached on the interval so that a parameter
 * such as `Interval[@2024-01-01T00:00:00.000, @2025-01-01T00:00:00.000)` computes its predecessor
 * once per value. An unknown low boundary is the range [minimum, closed high] (it cannot exceed the high
 * boundary); an unknown high boundary is [closed low, maximum]. Comparisons of boundaries are
 * three-valued over those ranges, and over the uncertainty of date/time values compared at a
 * precision (`compareTemporal` returns null when uncertain).
 */
// The class lives in a module without imports and is re-exported first: values/datetime.ts extends
// it (CqlUncertainty) while this module imports datetime.ts, and the cycle is only safe when the
// class is defined before datetime.ts evaluates, whichever module is loaded first.
export { CqlInterval } from './interval-value.ts';
export type { PointType } from './interval-value.ts';
import { CqlInterval } from './interval-value.ts';
import type { PointType } from './interval-value.ts';
import {
  CqlDate,
  CqlDateTime,
  CqlTime,
  MAX_DATE,
  MAX_TIME,
  MIN_DATE,
  MIN_TIME,
  PRECISION,
  addQuantity,
  compareTemporal,
  isTemporal,
  maxDateTime,
  minDateTime,
  predecessorOf,
  successorOf,
} from './datetime.ts';
import type { Precision, Temporal } from './datetime.ts';
import { MAX_DECIMAL, MAX_INTEGER, MAX_LONG, MIN_DECIMAL, MIN_INTEGER, MIN_LONG } from './decimal.ts';
import { CqlQuantity, compareQuantities, convertQuantity, stepQuantity, subtractQuantities } from './quantity.ts';
import { CqlRuntimeError } from '../errors.ts';

/** Below every point (a closed null low boundary, or the lowest an unknown low boundary may be). */
const MIN: unique symbol = Symbol('min');
/** Above every point. */
const MAX: unique symbol = Symbol('max');

/** A boundary point, or one of the MIN/MAX sentinels. */
type Pt = unknown;

// ---------------------------------------------------------------------------------------------
// Points: kinds, ordering, successor and predecessor, minimum and maximum.

/** The point type of a value, or undefined for a value that cannot be an interval point. */
export function pointTypeOf(v: unknown): PointType | undefined {
  if (typeof v === 'number') return Number.isInteger(v) ? 'Integer' : 'Decimal';
  if (v instanceof CqlDateTime) return 'DateTime';
  if (v instanceof CqlDate) return 'Date';
  if (v instanceof CqlTime) return 'Time';
  if (v instanceof CqlQuantity) return 'Quantity';
  if (typeof v === 'bigint') return 'Long';
  return undefined;
}

/** The interval's point type: declared, or inferred from its boundaries (a non-whole number makes it Decimal). */
export function intervalPointType(iv: CqlInterval): PointType | undefined {
  if (iv.pointType !== undefined) return iv.pointType;
  const a = pointTypeOf(iv.low);
  const b = pointTypeOf(iv.high);
  if (a === 'Decimal' || b === 'Decimal') return 'Decimal';
  return a ?? b;
}

/** Decimal arithmetic at the 8 places CQL 1.5 guarantees (§1.4.3 Decimal): avoids 0.1 + 0.2 noise. */
export function round8(x: number): number {
  if (Number.isInteger(x) || Math.abs(x) >= 1e12) return x;
  const r = Math.round(x * 1e8) / 1e8;
  return Object.is(r, -0) ? 0 : r;
}

/** The smallest step of a point type: 1 for Integer, 10^-8 for Decimal and Quantity values. */
function numericStep(kind: PointType | undefined): number {
  return kind === 'Integer' || kind === 'Long' ? 1 : 1e-8;
}

const UNIT_AT: readonly string[] = ['year', 'month', 'day', 'hour', 'minute', 'second', 'millisecond'];

/**
 * Adds `n` units of a date/time value's own precision (its last field): the stepping of Expand,
 * Collapse `per` and Meets at a precision. Throws a CqlRuntimeError outside the type's range.
 */
export function stepTemporal<T extends Temporal>(t: T, n: number): T {
  return addQuantity(t, n, UNIT_AT[t.precision] ?? 'millisecond');
}

/** A date/time value cut to `precision` (a DateTime precision index); unchanged when already coarser. */
export function truncateTemporal<T extends Temporal>(t: T, precision: Precision): T {
  if (t.precision <= precision) return t;
  if (t instanceof CqlTime) return new CqlTime(t.f.slice(0, precision - 2)) as T;
  if (t instanceof CqlDateTime) return new CqlDateTime(t.f.slice(0, precision + 1), t.offset) as T;
  return new CqlDate(t.f.slice(0, precision + 1)) as T;
}

/**
 * CQL successor of a point (CQL 1.5 §16 Successor): Integer + 1, Decimal + 10^-8, a Quantity's
 * (Decimal) value + 10^-8 in its unit, date/time + one unit of its own precision.
 */
export function successor(p: unknown, kind: PointType | undefined = pointTypeOf(p)): unknown {
  if (typeof p === 'number') return round8(p + numericStep(kind));
  if (p instanceof CqlQuantity) return stepQuantity(p, 1, false);
  if (isTemporal(p)) return successorOf(p);
  return null;
}

/** CQL predecessor of a point (CQL 1.5 §16 Predecessor). */
export function predecessor(p: unknown, kind: PointType | undefined = pointTypeOf(p)): unknown {
  if (typeof p === 'number') return round8(p - numericStep(kind));
  if (p instanceof CqlQuantity) return stepQuantity(p, -1, false);
  if (isTemporal(p)) return predecessorOf(p);
  return null;
}


/**
 * The minimum value of a point type (CQL 1.5 §16 Minimum). `sample` supplies what the type alone
 * does not: a Quantity's unit, a DateTime's offset. Null when the type is unknown.
 */
export function minValue(kind: PointType | undefined, sample: unknown): unknown {
  switch (kind) {
    case 'Integer': return MIN_INTEGER;
    case 'Long': return MIN_LONG;
    case 'Decimal': return MIN_DECIMAL;
    case 'Quantity': return new CqlQuantity(MIN_DECIMAL, sample instanceof CqlQuantity ? sample.unit : '1');
    case 'Date': return MIN_DATE;
    // The specification's minimum and maximum DateTime are written without an offset; both reference
    // engines give them UTC's, whatever the bound they stand in for.
    case 'DateTime': return minDateTime(0);
    case 'Time': return MIN_TIME;
    default: return null;
  }
}

/** The maximum value of a point type (CQL 1.5 §16 Maximum). */
export function maxValue(kind: PointType | undefined, sample: unknown): unknown {
  switch (kind) {
    case 'Integer': return MAX_INTEGER;
    case 'Long': return MAX_LONG;
    case 'Decimal': return MAX_DECIMAL;
    case 'Quantity': return new CqlQuantity(MAX_DECIMAL, sample instanceof CqlQuantity ? sample.unit : '1');
    case 'Date': return MAX_DATE;
    case 'DateTime': return maxDateTime(0);
    case 'Time': return MAX_TIME;
    default: return null;
  }
}

/** A precision name (`day`, `Month`) as a precision index, or undefined (also for `week`). */
export function precisionIndex(name: string | undefined): Precision | undefined {
  if (name === undefined) return undefined;
  return (PRECISION as Record<string, Precision>)[name.toLowerCase()];
}

/**
 * Orders two points (or sentinels) at an optional date/time precision: negative, zero, positive,
 * or null when uncertain or incomparable.
 */
function cmpPt(a: Pt, b: Pt, p: Precision | undefined): number | null {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (a === MIN) return b === MIN ? 0 : -1;
  if (a === MAX) return b === MAX ? 0 : 1;
  if (b === MIN) return 1;
  if (b === MAX) return -1;
  if (a === null || b === null || a === undefined || b === undefined) return null;
  if (isTemporal(a) && isTemporal(b)) return compareTemporal(a, b, p);
  if (a instanceof CqlQuantity && b instanceof CqlQuantity) return compareQuantities(a, b);
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  return null;
}

/** Compares two points at an optional precision name (exported for list sorting and aggregates). */
export function comparePoints(a: unknown, b: unknown, precision?: Precision): number | null {
  return cmpPt(a, b, precision);
}

// ---------------------------------------------------------------------------------------------
// Closed boundaries as ranges [lo, hi] (equal for a known boundary).

// Closed forms of open boundaries, computed once per interval value (kept outside the value so that
// intervals stay plain data for equality and serialisation).
const closedLows = new WeakMap<CqlInterval, unknown>();
const closedHighs = new WeakMap<CqlInterval, unknown>();

function closedLow(iv: CqlInterval): Pt {
  if (iv.lowClosed) return iv.low;
  let c = closedLows.get(iv);
  if (c === undefined) {
    c = successor(iv.low, intervalPointType(iv));
    closedLows.set(iv, c);
  }
  return c;
}

function closedHigh(iv: CqlInterval): Pt {
  if (iv.highClosed) return iv.high;
  let c = closedHighs.get(iv);
  if (c === undefined) {
    c = predecessor(iv.high, intervalPointType(iv));
    closedHighs.set(iv, c);
  }
  return c;
}

const isNull = (v: unknown): boolean => v === null || v === undefined;

/** Least possible closed start. */
function sLo(iv: CqlInterval): Pt {
  return isNull(iv.low) ? MIN : closedLow(iv);
}
/** Greatest possible closed start: an unknown start is at most the end. */
function sHi(iv: CqlInterval): Pt {
  if (!isNull(iv.low)) return closedLow(iv);
  return iv.lowClosed ? MIN : eHi(iv);
}
/** Least possible closed end: an unknown end is at least the start. */
function eLo(iv: CqlInterval): Pt {
  if (!isNull(iv.high)) return closedHigh(iv);
  return iv.highClosed ? MAX : sLo(iv);
}
/** Greatest possible closed end. */
function eHi(iv: CqlInterval): Pt {
  return isNull(iv.high) ? MAX : closedHigh(iv);
}

/** A side of an operand: a point is its own start and end. */
const startLo = (x: unknown): Pt => (x instanceof CqlInterval ? sLo(x) : x);
const startHi = (x: unknown): Pt => (x instanceof CqlInterval ? sHi(x) : x);
const endLo = (x: unknown): Pt => (x instanceof CqlInterval ? eLo(x) : x);
const endHi = (x: unknown): Pt => (x instanceof CqlInterval ? eHi(x) : x);

/** [aLo, aHi] <= [bLo, bHi], three-valued. */
function le(aLo: Pt, aHi: Pt, bLo: Pt, bHi: Pt, p: Precision | undefined): boolean | null {
  const t = cmpPt(aHi, bLo, p);
  if (t !== null && t <= 0) return true;
  if (aLo === aHi && bLo === bHi) return t === null ? null : false;
  const f = cmpPt(aLo, bHi, p);
  return f !== null && f > 0 ? false : null;
}

/** [aLo, aHi] < [bLo, bHi], three-valued. */
function lt(aLo: Pt, aHi: Pt, bLo: Pt, bHi: Pt, p: Precision | undefined): boolean | null {
  const t = cmpPt(aHi, bLo, p);
  if (t !== null && t < 0) return true;
  if (aLo === aHi && bLo === bHi) return t === null ? null : false;
  const f = cmpPt(aLo, bHi, p);
  return f !== null && f >= 0 ? false : null;
}

/** [aLo, aHi] = [bLo, bHi], three-valued. */
function eq(aLo: Pt, aHi: Pt, bLo: Pt, bHi: Pt, p: Precision | undefined): boolean | null {
  if (aLo === aHi && bLo === bHi) {
    const c = cmpPt(aLo, bLo, p);
    return c === null ? null : c === 0;
  }
  if (lt(aLo, aHi, bLo, bHi, p) === true || lt(bLo, bHi, aLo, aHi, p) === true) return false;
  return null;
}

function and3(x: boolean | null, y: boolean | null): boolean | null {
  if (x === false || y === false) return false;
  return x === null || y === null ? null : true;
}
function or3(x: boolean | null, y: boolean | null): boolean | null {
  if (x === true || y === true) return true;
  return x === null || y === null ? null : false;
}
function not3(x: boolean | null): boolean | null {
  return x === null ? null : !x;
}

// ---------------------------------------------------------------------------------------------
// Start, End, equality.

/**
 * CQL Start (§19): the closed low boundary; the minimum of the point type for a closed null low;
 * null for an open null low (unknown).
 */
export function intervalStart(iv: CqlInterval): unknown {
  if (!isNull(iv.low)) return closedLow(iv);
  // With both bounds null nothing fixes the point type at run time, and both reference engines
  // answer null; measures rely on it (QICoreCommon's prevalenceInterval of nothing is
  // Interval[null, null) and its start must not be the minimum DateTime).
  if (isNull(iv.high)) return null;
  return iv.lowClosed ? minValue(intervalPointType(iv), iv.high) : null;
}

/** CQL End (§19): the closed high boundary; the maximum of the point type for a closed null high; null when unknown. */
export function intervalEnd(iv: CqlInterval): unknown {
  if (!isNull(iv.high)) return closedHigh(iv);
  if (isNull(iv.low)) return null;
  return iv.highClosed ? maxValue(intervalPointType(iv), iv.low) : null;
}

/**
 * CQL Equal on intervals (§12.1) of ordered points: closed boundaries equal; null when a boundary is
 * unknown. Intervals of model values (FHIR elements, no order of their own) are compared by
 * values/equality.ts, which calls this for the rest.
 */
export function intervalsEqual(a: CqlInterval, b: CqlInterval): boolean | null {
  const s = eq(sLo(a), sHi(a), sLo(b), sHi(b), undefined);
  if (s === false) return false;
  return and3(s, eq(eLo(a), eHi(a), eLo(b), eHi(b), undefined));
}

/** CQL Equivalent on intervals (§12.3): closed boundaries equivalent; two unknown boundaries are equivalent. */
export function intervalsEquivalent(a: CqlInterval, b: CqlInterval): boolean {
  const side = (x: Pt, y: Pt): boolean => {
    if (x === y) return true;
    if (isNull(x) || isNull(y)) return isNull(x) && isNull(y);
    if (isTemporal(x) && isTemporal(y)) return x.precision === y.precision && cmpPt(x, y, undefined) === 0;
    return cmpPt(x, y, undefined) === 0;
  };
  const lowOf = (i: CqlInterval): Pt => (isNull(i.low) ? (i.lowClosed ? MIN : null) : closedLow(i));
  const highOf = (i: CqlInterval): Pt => (isNull(i.high) ? (i.highClosed ? MAX : null) : closedHigh(i));
  return side(lowOf(a), lowOf(b)) && side(highOf(a), highOf(b));
}

// ---------------------------------------------------------------------------------------------
// Membership and inclusion.

/**
 * CQL Contains/In for a point (§19): start <= point <= end, at `precision` for date/time points.
 * A known open boundary is compared strictly (`low < point`, `point < high`) rather than through
 * its successor/predecessor: the same for integers and decimals, and for dates it keeps a
 * day-precision point on the last day of `Interval[@2024-01-01T00:00:00.000, @2025-01-01T00:00:00.000)`
 * inside the period (true) where the predecessor 23:59:59.999 would make it uncertain (null); this
 * is also what cql-execution does. Allocation-free. `point` must not be null.
 */
export function intervalContains(iv: CqlInterval, point: unknown, precision?: Precision): boolean | null {
  let lower: boolean | null;
  const low = iv.low;
  if (low !== null && low !== undefined) {
    const c = cmpPt(low, point, precision);
    if (c === null) lower = null;
    else if (c > 0 || (c === 0 && !iv.lowClosed)) return false;
    else lower = true;
  } else if (iv.lowClosed) lower = true;
  else lower = le(MIN, eHi(iv), point, point, precision);
  if (lower === false) return false;
  let upper: boolean | null;
  const high = iv.high;
  if (high !== null && high !== undefined) {
    const c = cmpPt(point, high, precision);
    if (c === null) upper = null;
    else if (c > 0 || (c === 0 && !iv.highClosed)) return false;
    else upper = true;
  } else if (iv.highClosed) upper = true;
  else upper = le(point, point, sLo(iv), MAX, precision);
  return and3(lower, upper);
}

/** CQL ProperContains/ProperIn for a point (§19): start < point < end. */
export function intervalProperlyContains(iv: CqlInterval, point: unknown, precision?: Precision): boolean | null {
  const lower = lt(sLo(iv), sHi(iv), point, point, precision);
  if (lower === false) return false;
  return and3(lower, lt(point, point, eLo(iv), eHi(iv), precision));
}

/** CQL Includes (§19): `a` starts on or before `b` starts and ends on or after `b` ends. A point `b` is a unit interval. */
export function intervalIncludes(a: CqlInterval, b: unknown, precision?: Precision): boolean | null {
  if (!(b instanceof CqlInterval)) return intervalContains(a, b, precision);
  const s = le(sLo(a), sHi(a), sLo(b), sHi(b), precision);
  if (s === false) return false;
  return and3(s, le(eLo(b), eHi(b), eLo(a), eHi(a), precision));
}

/** CQL ProperIncludes (§19): `a` includes `b` and `b` does not include `a`. */
export function intervalProperlyIncludes(a: CqlInterval, b: unknown, precision?: Precision): boolean | null {
  if (!(b instanceof CqlInterval)) return intervalProperlyContains(a, b, precision);
  const inc = intervalIncludes(a, b, precision);
  if (inc === false) return false;
  return and3(inc, not3(intervalIncludes(b, a, precision)));
}

// ---------------------------------------------------------------------------------------------
// Timing relationships.

/** CQL Overlaps (§19): the intervals share at least one point. */
export function intervalOverlaps(a: CqlInterval, b: CqlInterval, precision?: Precision): boolean | null {
  const x = le(sLo(a), sHi(a), eLo(b), eHi(b), precision);
  if (x === false) return false;
  return and3(x, le(sLo(b), sHi(b), eLo(a), eHi(a), precision));
}

/** CQL OverlapsBefore (§19): `a` overlaps `b` and starts before it. */
export function intervalOverlapsBefore(a: CqlInterval, b: CqlInterval, precision?: Precision): boolean | null {
  const s = lt(sLo(a), sHi(a), sLo(b), sHi(b), precision);
  if (s === false) return false;
  return and3(s, intervalOverlaps(a, b, precision));
}

/** CQL OverlapsAfter (§19): `a` overlaps `b` and ends after it. */
export function intervalOverlapsAfter(a: CqlInterval, b: CqlInterval, precision?: Precision): boolean | null {
  const e = lt(eLo(b), eHi(b), eLo(a), eHi(a), precision);
  if (e === false) return false;
  return and3(e, intervalOverlaps(a, b, precision));
}

/**
 * The point one unit after `x`: at the point type's step, or, with a date/time precision, one unit
 * of that precision after `x` cut to it.
 */
function after1(x: Pt, kind: PointType | undefined, precision: Precision | undefined): Pt {
  if (x === MIN || x === MAX || isNull(x)) return x;
  if (precision !== undefined && isTemporal(x)) {
    const t = truncateTemporal(x, precision);
    return t.precision < precision ? null : stepTemporal(t, 1);
  }
  return successor(x, kind);
}

/** CQL MeetsBefore (§19): `a` ends immediately before `b` starts (end of `a` + 1 = start of `b`). */
export function intervalMeetsBefore(a: CqlInterval, b: CqlInterval, precision?: Precision): boolean | null {
  const kind = intervalPointType(a) ?? intervalPointType(b);
  const endLo = eLo(a);
  const endHi = eHi(a);
  const lo = after1(endLo, kind, precision);
  // Keep a known end a single point (one object), so the comparison below is not a range's.
  const hi = endHi === endLo ? lo : after1(endHi, kind, precision);
  if (lo === null || hi === null) return null;
  return eq(lo, hi, sLo(b), sHi(b), precision);
}

/** CQL MeetsAfter (§19): `a` starts immediately after `b` ends. */
export function intervalMeetsAfter(a: CqlInterval, b: CqlInterval, precision?: Precision): boolean | null {
  return intervalMeetsBefore(b, a, precision);
}

/** CQL Meets (§19): MeetsBefore or MeetsAfter. */
export function intervalMeets(a: CqlInterval, b: CqlInterval, precision?: Precision): boolean | null {
  return or3(intervalMeetsBefore(a, b, precision), intervalMeetsAfter(a, b, precision));
}

/** CQL Starts (§19): same start, and `a` ends on or before `b` ends. */
export function intervalStarts(a: CqlInterval, b: CqlInterval, precision?: Precision): boolean | null {
  const s = eq(sLo(a), sHi(a), sLo(b), sHi(b), precision);
  if (s === false) return false;
  return and3(s, le(eLo(a), eHi(a), eLo(b), eHi(b), precision));
}

/** CQL Ends (§19): `a` starts on or after `b` starts, and the same end. */
export function intervalEnds(a: CqlInterval, b: CqlInterval, precision?: Precision): boolean | null {
  const s = le(sLo(b), sHi(b), sLo(a), sHi(a), precision);
  if (s === false) return false;
  return and3(s, eq(eLo(a), eHi(a), eLo(b), eHi(b), precision));
}

/** CQL Before with an interval operand (§19): the end of `a` is before the start of `b` (either may be a point). */
export function intervalBefore(a: unknown, b: unknown, precision?: Precision): boolean | null {
  return lt(endLo(a), endHi(a), startLo(b), startHi(b), precision);
}

/** CQL After with an interval operand (§19): the start of `a` is after the end of `b`. */
export function intervalAfter(a: unknown, b: unknown, precision?: Precision): boolean | null {
  return lt(endLo(b), endHi(b), startLo(a), startHi(a), precision);
}

/** CQL SameOrBefore with an interval operand: the end of `a` is on or before the start of `b`. */
export function intervalSameOrBefore(a: unknown, b: unknown, precision?: Precision): boolean | null {
  return le(endLo(a), endHi(a), startLo(b), startHi(b), precision);
}

/** CQL SameOrAfter with an interval operand: the start of `a` is on or after the end of `b`. */
export function intervalSameOrAfter(a: unknown, b: unknown, precision?: Precision): boolean | null {
  return le(endLo(b), endHi(b), startLo(a), startHi(a), precision);
}

/** CQL SameAs with an interval operand: same start and same end (at `precision`). */
export function intervalSameAs(a: unknown, b: unknown, precision?: Precision): boolean | null {
  const s = eq(startLo(a), startHi(a), startLo(b), startHi(b), precision);
  if (s === false) return false;
  return and3(s, eq(endLo(a), endHi(a), endLo(b), endHi(b), precision));
}

// ---------------------------------------------------------------------------------------------
// Set operations.

function commonType(a: CqlInterval, b: CqlInterval): PointType | undefined {
  return a.pointType ?? b.pointType;
}

/** The low boundary (value, closed) of whichever starts earlier (`earlier`) or later; unknown when undecidable. */
function pickLow(a: CqlInterval, b: CqlInterval, earlier: boolean): [unknown, boolean] {
  const aNotAfter = le(sLo(a), sHi(a), sLo(b), sHi(b), undefined);
  const bNotAfter = le(sLo(b), sHi(b), sLo(a), sHi(a), undefined);
  const [first, second] = earlier ? [aNotAfter, bNotAfter] : [bNotAfter, aNotAfter];
  if (first === true) return [a.low, a.lowClosed];
  if (second === true) return [b.low, b.lowClosed];
  return [null, false];
}

/** The high boundary (value, closed) of whichever ends later (`later`) or earlier; unknown when undecidable. */
function pickHigh(a: CqlInterval, b: CqlInterval, later: boolean): [unknown, boolean] {
  const aNotBefore = le(eLo(b), eHi(b), eLo(a), eHi(a), undefined);
  const bNotBefore = le(eLo(a), eHi(a), eLo(b), eHi(b), undefined);
  const [first, second] = later ? [aNotBefore, bNotBefore] : [bNotBefore, aNotBefore];
  if (first === true) return [a.high, a.highClosed];
  if (second === true) return [b.high, b.highClosed];
  return [null, false];
}

/** CQL Union of intervals (§19): the covering interval when they overlap or meet, else null. */
export function intervalUnion(a: CqlInterval, b: CqlInterval): CqlInterval | null {
  const joined = or3(intervalOverlaps(a, b), intervalMeets(a, b));
  if (joined !== true) return null;
  const [low, lowClosed] = pickLow(a, b, true);
  const [high, highClosed] = pickHigh(a, b, true);
  return new CqlInterval(low, high, lowClosed, highClosed, commonType(a, b));
}

/** CQL Intersect of intervals (§19): the shared part when they overlap, else null. */
export function intervalIntersect(a: CqlInterval, b: CqlInterval): CqlInterval | null {
  if (intervalOverlaps(a, b) !== true) return null;
  const [low, lowClosed] = pickLow(a, b, false);
  const [high, highClosed] = pickHigh(a, b, false);
  return new CqlInterval(low, high, lowClosed, highClosed, commonType(a, b));
}

/**
 * CQL Except of intervals (§19): the part of `a` not in `b`; `a` itself when they do not overlap;
 * null when `b` splits `a` in two, covers it, or the answer is unknown.
 */
export function intervalExcept(a: CqlInterval, b: CqlInterval): CqlInterval | null {
  const ov = intervalOverlaps(a, b);
  if (ov === false) return a;
  if (ov === null) return null;
  const startsBefore = lt(sLo(a), sHi(a), sLo(b), sHi(b), undefined);
  const endsAfter = lt(eLo(b), eHi(b), eLo(a), eHi(a), undefined);
  if (startsBefore === true && endsAfter === false) return new CqlInterval(a.low, b.low, a.lowClosed, !b.lowClosed, commonType(a, b));
  if (endsAfter === true && startsBefore === false) return new CqlInterval(b.high, a.high, !b.highClosed, a.highClosed, commonType(a, b));
  return null;
}

// ---------------------------------------------------------------------------------------------
// Width, Size, PointFrom.

function subtractPoints(hi: unknown, lo: unknown): unknown {
  if (typeof hi === 'number' && typeof lo === 'number') return round8(hi - lo);
  if (hi instanceof CqlQuantity && lo instanceof CqlQuantity) return subtractQuantities(hi, lo);
  throw new CqlRuntimeError('Width and Size are not defined for date/time intervals (CQL 1.5 §19 Width)');
}

/** CQL Width (§19): end - start; null when a boundary is unknown. Not defined for date/time intervals. */
export function intervalWidth(iv: CqlInterval): unknown {
  const s = intervalStart(iv);
  const e = intervalEnd(iv);
  if (isNull(s) || isNull(e)) return null;
  return subtractPoints(e, s);
}

/** CQL Size (§19): end - start + the point type's step. */
export function intervalSize(iv: CqlInterval): unknown {
  const w = intervalWidth(iv);
  if (w === null) return null;
  const step = numericStep(intervalPointType(iv));
  if (typeof w === 'number') return round8(w + step);
  if (w instanceof CqlQuantity) return new CqlQuantity(round8(w.value + step), w.unit);
  return null;
}

/** CQL PointFrom (§19): the single point of a unit interval; a run-time error for any other interval. */
export function intervalPointFrom(iv: CqlInterval): unknown {
  const s = intervalStart(iv);
  const e = intervalEnd(iv);
  if (isNull(s) || isNull(e)) return null;
  const c = cmpPt(s, e, undefined);
  if (c === 0) return s;
  if (c === null) return null;
  throw new CqlRuntimeError('PointFrom: the interval is not a unit interval');
}

// ---------------------------------------------------------------------------------------------
// Collapse and Expand.

/** Sorts intervals by start (unknown starts first), then by end. */
function byStart(a: CqlInterval, b: CqlInterval): number {
  const c = cmpPt(sLo(a), sLo(b), undefined);
  if (c !== null && c !== 0) return c;
  return cmpPt(eHi(a), eHi(b), undefined) ?? 0;
}

/** A `per` for Collapse/Expand: a Quantity (value, unit) after reading the operand. */
export interface Per {
  readonly value: number;
  readonly unit: string;
}

const CALENDAR_UNITS: Readonly<Record<string, Precision | 'week'>> = {
  year: 0, years: 0, a: 0,
  month: 1, months: 1, mo: 1,
  week: 'week', weeks: 'week', wk: 'week',
  day: 2, days: 2, d: 2,
  hour: 3, hours: 3, h: 3,
  minute: 4, minutes: 4, min: 4,
  second: 5, seconds: 5, s: 5,
  millisecond: 6, milliseconds: 6, ms: 6,
};

/** A calendar `per` unit as (precision, count): `2 weeks` → (day, 14). Undefined when not a calendar unit. */
function calendarPer(per: Per): { precision: Precision; n: number } | undefined {
  const u = CALENDAR_UNITS[per.unit];
  if (u === undefined) return undefined;
  if (u === 'week') return { precision: PRECISION.day, n: per.value * 7 };
  return { precision: u, n: per.value };
}

/** Whether `next` starts no later than `per` after `cur` ends (merge in Collapse). */
function withinPer(cur: CqlInterval, next: CqlInterval, per: Per | null): boolean | null {
  const overlapOrMeet = or3(intervalOverlaps(cur, next), intervalMeetsBefore(cur, next));
  if (overlapOrMeet === true || per === null) return overlapOrMeet;
  const end = eHi(cur);
  const start = sLo(next);
  if (end === MAX || start === MIN) return true;
  if (typeof end === 'number' && typeof start === 'number') return round8(start - end) <= per.value;
  if (end instanceof CqlQuantity && start instanceof CqlQuantity) return le(start, start, new CqlQuantity(round8(end.value + per.value), end.unit), new CqlQuantity(round8(end.value + per.value), end.unit), undefined);
  if (isTemporal(end) && isTemporal(start)) {
    const cal = calendarPer(per);
    if (cal === undefined) return null;
    const t = truncateTemporal(end, cal.precision);
    if (t.precision < cal.precision) return null;
    const reach = stepTemporal(t, Math.round(cal.n));
    return le(start, start, reach, reach, cal.precision);
  }
  return overlapOrMeet;
}

/**
 * CQL Collapse (§19): merges intervals that overlap or meet (or lie within `per` of each other)
 * into a sorted list of disjoint intervals; null elements are ignored.
 */
export function collapseIntervals(list: readonly unknown[], per: Per | null): CqlInterval[] {
  const ivs = list.filter((x): x is CqlInterval => x instanceof CqlInterval).sort(byStart);
  const out: CqlInterval[] = [];
  let cur = ivs[0];
  if (cur === undefined) return out;
  for (let i = 1; i < ivs.length; i++) {
    const next = ivs[i] as CqlInterval;
    if (withinPer(cur, next, per) === true) {
      const [high, highClosed] = pickHigh(cur, next, true);
      cur = new CqlInterval(cur.low, high, cur.lowClosed, highClosed, cur.pointType ?? next.pointType);
    } else {
      out.push(cur);
      cur = next;
    }
  }
  out.push(cur);
  return out;
}

/**
 * CQL Expand for a list of intervals (§19): each interval cut into consecutive intervals of width
 * `per` starting at its start, keeping only those that fit whole. Date/time intervals step by the
 * `per` unit at that precision (`per month` gives month-precision unit intervals); without `per`,
 * the unit is 1 (numbers) or the boundary's precision (dates/times). Null when an interval has a
 * null boundary or `per` does not apply to the point type.
 */
export function expandIntervals(list: readonly unknown[], per: Per | null): CqlInterval[] | null {
  const out: CqlInterval[] = [];
  for (const iv of list) {
    if (!(iv instanceof CqlInterval)) continue;
    const parts = expandOne(iv, per);
    if (parts === null) return null;
    for (const p of parts) out.push(p);
  }
  return out;
}

/** CQL Expand for a single interval (§19, the point overload): the points of the interval, `per` apart. */
export function expandPoints(iv: CqlInterval, per: Per | null): unknown[] | null {
  const parts = expandOne(iv, per);
  return parts === null ? null : parts.map((p) => p.low);
}

const EXPAND_LIMIT = 100_000;

function expandOne(iv: CqlInterval, per: Per | null): CqlInterval[] | null {
  if (isNull(iv.low) || isNull(iv.high)) return null;
  const kind = intervalPointType(iv);
  const s = closedLow(iv);
  const e = closedHigh(iv);
  const out: CqlInterval[] = [];
  if (typeof s === 'number' && typeof e === 'number') {
    if (per !== null && per.unit !== '1' && per.unit !== '') return null;
    const step = per === null ? 1 : per.value;
    if (!(step > 0)) return null;
    const decimalStep = !Number.isInteger(step);
    const unit = decimalStep ? 1e-8 : 1;
    const resultType: PointType = decimalStep ? 'Decimal' : kind ?? 'Integer';
    for (let lo = s; round8(lo + step - unit) <= e; lo = round8(lo + step)) {
      out.push(new CqlInterval(lo, round8(lo + step - unit), true, true, resultType));
      if (out.length > EXPAND_LIMIT) throw new CqlRuntimeError('Expand: result too large');
    }
    return out;
  }
  if (s instanceof CqlQuantity && e instanceof CqlQuantity) {
    const perIn = per === null ? new CqlQuantity(1, s.unit) : convertQuantity(new CqlQuantity(per.value, per.unit), s.unit);
    const eIn = convertQuantity(e, s.unit);
    if (perIn === null || eIn === null) return null;
    const step = perIn.value;
    if (!(step > 0)) return null;
    const unit = Number.isInteger(step) ? 1 : 1e-8;
    for (let lo = s.value; round8(lo + step - unit) <= eIn.value; lo = round8(lo + step)) {
      out.push(new CqlInterval(new CqlQuantity(lo, s.unit), new CqlQuantity(round8(lo + step - unit), s.unit), true, true, 'Quantity'));
      if (out.length > EXPAND_LIMIT) throw new CqlRuntimeError('Expand: result too large');
    }
    return out;
  }
  if (isTemporal(s) && isTemporal(e)) {
    const cal = per === null ? { precision: Math.min(s.precision, e.precision) as Precision, n: 1 } : calendarPer(per);
    if (cal === undefined || !(cal.n >= 1) || !Number.isInteger(cal.n)) return null;
    if (s instanceof CqlTime && cal.precision < PRECISION.hour) return null;
    if (s instanceof CqlDate && cal.precision > PRECISION.day) return null;
    // Boundaries coarser than the per unit give nothing to step over.
    if (s.precision < cal.precision || e.precision < cal.precision) return [];
    const last = truncateTemporal(e, cal.precision);
    for (let lo = truncateTemporal(s, cal.precision); ; ) {
      const next = stepTemporal(lo, cal.n);
      const hi = stepTemporal(next, -1);
      const fits = cmpPt(hi, last, cal.precision);
      if (fits === null || fits > 0) break;
      out.push(new CqlInterval(lo, hi, true, true, kind));
      if (out.length > EXPAND_LIMIT) throw new CqlRuntimeError('Expand: result too large');
      // A Time wraps at midnight: stop rather than go round again.
      if (lo instanceof CqlTime && (cmpPt(next, lo, undefined) ?? 0) <= 0) break;
      lo = next;
    }
    return out;
  }
  return null;
}

/** Whether a value is an interval (for operators that dispatch between intervals and lists). */
export function isInterval(v: unknown): v is CqlInterval {
  return v instanceof CqlInterval;
}
