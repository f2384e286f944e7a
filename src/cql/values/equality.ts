/**
 * CQL Equal (three-valued), Equivalent (two-valued) and ordering over every value type the engine
 * knows (CQL 1.5 §12 Comparison Operators). Model values (FHIR) compare by their JSON.
 */
import { CqlCode, CqlConcept, codesEqual, codesEquivalent } from './code.ts';
import { CqlDate, CqlDateTime, CqlTime, CqlUncertainty, compareTemporal, temporalEqual, temporalEquivalent } from './datetime.ts';
import { CqlInterval, intervalsEqual, intervalsEquivalent } from './interval.ts';
import { CqlQuantity, CqlRatio, compareQuantities, quantitiesEqual, quantitiesEquivalent, ratiosEquivalent } from './quantity.ts';
import { CqlTuple } from './tuple.ts';

/** Model values (FHIR resources and elements) that know how to compare themselves. */
export interface ModelValue {
  /** Structural equality of the underlying data. */
  modelEquals(other: unknown): boolean;
}

/** True for a value of the data model. */
export function isModelValue(v: unknown): v is ModelValue {
  return typeof v === 'object' && v !== null && typeof (v as { modelEquals?: unknown }).modelEquals === 'function';
}

const isTemporal = (v: unknown): v is CqlDate | CqlDateTime | CqlTime => v instanceof CqlDateTime || v instanceof CqlDate || v instanceof CqlTime;

function sameKind(a: unknown, b: unknown): boolean {
  return Object.getPrototypeOf(a) === Object.getPrototypeOf(b);
}

/** The range of an uncertain integer (a duration between imprecise dates), or of a plain number. */
export function uncertaintyRange(v: unknown): readonly [number, number] | undefined {
  if (v instanceof CqlUncertainty) return [v.low, v.high];
  return typeof v === 'number' ? [v, v] : undefined;
}

/**
 * Compares with an uncertainty on either side (CQL 1.5 §5.7 "Uncertainty"): the test's answer when
 * it is the same for every value in the ranges, else null; undefined when neither side is uncertain.
 */
export function compareUncertain(a: unknown, b: unknown, test: (c: number) => boolean): boolean | null | undefined {
  if (!(a instanceof CqlUncertainty) && !(b instanceof CqlUncertainty)) return undefined;
  const ra = uncertaintyRange(a);
  const rb = uncertaintyRange(b);
  if (!ra || !rb) return null;
  const corners = [test(ra[0] - rb[0]), test(ra[0] - rb[1]), test(ra[1] - rb[0]), test(ra[1] - rb[1])];
  return corners.every((c) => c === corners[0]) ? (corners[0] as boolean) : null;
}

/** CQL Equal: true, false, or null when either side is null or the answer is unknown. */
export function equal(a: unknown, b: unknown): boolean | null {
  if (a === null || b === null || a === undefined || b === undefined) return null;
  if (a instanceof CqlUncertainty || b instanceof CqlUncertainty) {
    const ra = uncertaintyRange(a);
    const rb = uncertaintyRange(b);
    if (!ra || !rb) return false;
    if (ra[1] < rb[0] || rb[1] < ra[0]) return false;
    return ra[0] === ra[1] && rb[0] === rb[1] ? true : null;
  }
  if (typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (Array.isArray(a)) {
    if (!Array.isArray(b)) return false;
    if (a.length !== b.length) return false;
    let unknown = false;
    for (let i = 0; i < a.length; i++) {
      const e = equal(a[i], b[i]);
      if (e === false) return false;
      if (e === null) unknown = true;
    }
    return unknown ? null : true;
  }
  if (isTemporal(a)) return isTemporal(b) && sameKind(a, b) ? temporalEqual(a, b) : false;
  if (a instanceof CqlQuantity) return b instanceof CqlQuantity ? quantitiesEqual(a, b) : false;
  if (a instanceof CqlInterval) return b instanceof CqlInterval ? (hasModelPoint(a, b) ? modelIntervalsEqual(a, b) : intervalsEqual(a, b)) : false;
  if (a instanceof CqlCode) return b instanceof CqlCode ? codesEqual(a, b) : false;
  if (a instanceof CqlConcept) {
    if (!(b instanceof CqlConcept)) return false;
    const codes = equal(a.codes, b.codes);
    return codes === false ? false : a.display !== b.display ? false : codes;
  }
  if (a instanceof CqlRatio) {
    if (!(b instanceof CqlRatio)) return false;
    return and3(equal(a.numerator, b.numerator), equal(a.denominator, b.denominator));
  }
  if (a instanceof CqlTuple) return b instanceof CqlTuple ? tuplesEqual(a, b) : false;
  if (isModelValue(a)) return a.modelEquals(b);
  return a === b;
}

function and3(x: boolean | null, y: boolean | null): boolean | null {
  if (x === false || y === false) return false;
  return x === null || y === null ? null : true;
}

function tuplesEqual(a: CqlTuple, b: CqlTuple): boolean | null {
  const ka = Object.keys(a.elements);
  const kb = Object.keys(b.elements);
  if (ka.length !== kb.length) return false;
  let unknown = false;
  for (const k of ka) {
    if (!Object.hasOwn(b.elements, k)) return false;
    const va = a.elements[k] ?? null;
    const vb = b.elements[k] ?? null;
    if (va === null && vb === null) continue;
    const e = equal(va, vb);
    if (e === false) return false;
    if (e === null) unknown = true;
  }
  return unknown ? null : true;
}

/** String equivalence: case-insensitive, whitespace-normalised (CQL 1.5 §12.3 Equivalent). */
function stringsEquivalent(a: string, b: string): boolean {
  // Every whitespace character counts as a space; runs are not collapsed.
  const norm = (s: string): string => s.replace(/\s/g, ' ').toLocaleLowerCase('en-US');
  return norm(a) === norm(b);
}

function decimalPlaces(n: number): number {
  if (Number.isInteger(n)) return 0;
  const s = String(n);
  const e = s.indexOf('e-');
  if (e >= 0) return Number(s.slice(e + 2)) + (s.indexOf('.') >= 0 ? e - s.indexOf('.') - 1 : 0);
  return s.length - s.indexOf('.') - 1;
}

/** Decimal equivalence: equal when rounded to the precision of the less precise value. */
function numbersEquivalent(a: number, b: number): boolean {
  if (a === b) return true;
  const places = Math.min(decimalPlaces(a), decimalPlaces(b));
  const f = 10 ** places;
  return Math.round(a * f) === Math.round(b * f);
}

/** CQL Equivalent: never null; null ~ null is true. */
export function equivalent(a: unknown, b: unknown): boolean {
  const an = a === null || a === undefined;
  const bn = b === null || b === undefined;
  if (an || bn) return an && bn;
  if (typeof a === 'string') return typeof b === 'string' && stringsEquivalent(a, b);
  if (typeof a === 'number') return typeof b === 'number' && numbersEquivalent(a, b);
  if (typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!equivalent(a[i], b[i])) return false;
    return true;
  }
  if (a instanceof CqlCode) {
    if (b instanceof CqlCode) return codesEquivalent(a, b);
    if (b instanceof CqlConcept) return b.codes.some((c) => codesEquivalent(a, c));
    return false;
  }
  if (a instanceof CqlConcept) {
    if (b instanceof CqlConcept) return a.codes.some((x) => b.codes.some((y) => codesEquivalent(x, y)));
    if (b instanceof CqlCode) return a.codes.some((c) => codesEquivalent(c, b));
    return false;
  }
  if (isTemporal(a)) return isTemporal(b) && sameKind(a, b) && temporalEquivalent(a, b);
  if (a instanceof CqlQuantity) return b instanceof CqlQuantity && quantitiesEquivalent(a, b);
  if (a instanceof CqlInterval) return b instanceof CqlInterval && intervalsEquivalent(a, b);
  if (a instanceof CqlRatio) return b instanceof CqlRatio && ratiosEquivalent(a, b);
  if (a instanceof CqlTuple) {
    if (!(b instanceof CqlTuple)) return false;
    const ka = Object.keys(a.elements);
    if (ka.length !== Object.keys(b.elements).length) return false;
    return ka.every((k) => Object.hasOwn(b.elements, k) && equivalent(a.elements[k] ?? null, b.elements[k] ?? null));
  }
  if (isModelValue(a)) return a.modelEquals(b);
  return a === b;
}

/**
 * Orders two values of an ordered type (Integer, Decimal, String, Date, DateTime, Time, Quantity):
 * negative, zero, positive, or null when either is null or the order is unknown.
 */
export function compare(a: unknown, b: unknown): number | null {
  if (a === null || b === null || a === undefined || b === undefined) return null;
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (isTemporal(a) && isTemporal(b) && sameKind(a, b)) return compareTemporal(a, b);
  if (a instanceof CqlQuantity && b instanceof CqlQuantity) return compareQuantities(a, b);
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : a ? 1 : -1;
  return null;
}

/** Whether either interval has a bound that is a model value (a FHIR element: no order of its own). */
function hasModelPoint(a: CqlInterval, b: CqlInterval): boolean {
  return isModelValue(a.low) || isModelValue(a.high) || isModelValue(b.low) || isModelValue(b.high);
}

/**
 * Equal on intervals of values with no order (FHIR elements, when CQL built an interval of them
 * without a conversion): bound by bound, a null bound matching a null bound, as the reference does.
 */
function modelIntervalsEqual(a: CqlInterval, b: CqlInterval): boolean | null {
  const same = (x: unknown, y: unknown): boolean | null => ((x === null || x === undefined) && (y === null || y === undefined) ? true : equal(x, y));
  if (a.lowClosed !== b.lowClosed || a.highClosed !== b.highClosed) return false;
  const lo = same(a.low, b.low);
  if (lo === false) return false;
  const hi = same(a.high, b.high);
  return hi === false ? false : lo === null || hi === null ? null : true;
}
