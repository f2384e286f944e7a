/**
 * CQL Quantity and Ratio (CQL 1.5 §1.4.6, §2.5, Appendix B Arithmetic and Comparison Operators).
 * Units are UCUM or calendar durations; conversion lives in ./ucum.ts. Values are Decimals: results
 * are rounded to 8 places and null outside the Decimal range.
 */
import { DECIMAL_STEP, checkDecimal, formatDecimal, noNegZero, parseDecimal, roundHalfAway, scaleOf } from './decimal.ts';
import { calendarWord, convertUnit, divideUnits, isCalendarUnit, multiplyUnits, type UnitMode } from './ucum.ts';

/** System.Quantity. A missing unit is the default unit `'1'`. */
export class CqlQuantity {
  constructor(
    readonly value: number,
    readonly unit: string = '1',
  ) {}
}

/** System.Ratio. */
export class CqlRatio {
  constructor(
    readonly numerator: CqlQuantity,
    readonly denominator: CqlQuantity,
  ) {}
}

const unitOf = (q: CqlQuantity): string => (q.unit === '' ? '1' : q.unit);

/** `b`'s value in `a`'s unit, or null when the units are not comparable under `mode`. */
function valueIn(b: CqlQuantity, unit: string, mode: UnitMode): number | null {
  const ub = unitOf(b);
  if (ub === unit) return b.value;
  const v = convertUnit(b.value, ub, unit, mode);
  return v === null ? null : roundHalfAway(v, 8);
}

/**
 * Compares two quantities after unit conversion: -1, 0, 1, or null when the units are not comparable
 * (CQL 1.5 Appendix B Equal/Less: `3.5 'cm2' = 3.5 'cm'` is null; `1 year = 1 'a'` is null).
 */
export function compareQuantities(a: CqlQuantity, b: CqlQuantity): number | null {
  const bv = valueIn(b, unitOf(a), 'equal');
  if (bv === null) return null;
  const av = roundHalfAway(a.value, 8);
  return av < bv ? -1 : av > bv ? 1 : 0;
}

/** CQL Equal on quantities. */
export function quantitiesEqual(a: CqlQuantity, b: CqlQuantity): boolean | null {
  const c = compareQuantities(a, b);
  return c === null ? null : c === 0;
}

/** Decimal equivalence: equal when rounded to the scale of the less precise value (CQL 1.5 Equivalent). */
export function decimalsEquivalent(a: number, b: number): boolean {
  if (a === b) return true;
  const places = Math.min(scaleOf(a), scaleOf(b));
  return roundHalfAway(a, places) === roundHalfAway(b, places);
}

/**
 * CQL Equivalent on quantities: same value after conversion, with Decimal equivalence on the value;
 * calendar years and months are equivalent to UCUM `'a'`/`'mo'` and to 365/30 days (CQL 1.5 §2.5).
 */
export function quantitiesEquivalent(a: CqlQuantity, b: CqlQuantity): boolean {
  const ua = unitOf(a);
  const ub = unitOf(b);
  // Convert into the coarser unit so that the less precise side keeps its precision.
  const oneB = ua === ub ? 1 : convertUnit(1, ub, ua, 'equivalent');
  if (oneB === null) return false;
  if (oneB > 1) {
    const av = valueIn(a, ub, 'equivalent');
    return av !== null && decimalsEquivalent(av, b.value);
  }
  const bv = valueIn(b, ua, 'equivalent');
  return bv !== null && decimalsEquivalent(a.value, bv);
}

/** CQL Equivalent on ratios: the same ratio (`1:100 ~ 10:1000`), CQL 1.5 Appendix B Equivalent. */
export function ratiosEquivalent(a: CqlRatio, b: CqlRatio): boolean {
  const x = multiplyQuantities(a.numerator, b.denominator);
  const y = multiplyQuantities(b.numerator, a.denominator);
  return x !== null && y !== null && quantitiesEquivalent(x, y);
}

/** The more granular of two comparable units (the result unit of Add/Subtract, CQL 1.5 Add). */
function finerUnit(a: string, b: string): string {
  if (a === b) return a;
  const oneBinA = convertUnit(1, b, a);
  return oneBinA !== null && Math.abs(oneBinA) < 1 ? b : a;
}

function sameUnitOp(a: CqlQuantity, b: CqlQuantity, f: (x: number, y: number) => number): CqlQuantity | null {
  const ua = unitOf(a);
  const ub = unitOf(b);
  const unit = finerUnit(ua, ub);
  const av = valueIn(a, unit, 'equal');
  const bv = valueIn(b, unit, 'equal');
  if (av === null || bv === null) return null;
  const v = checkDecimal(f(av, bv));
  // Two calendar durations give a calendar duration, named in the singular (1 week + 3 days = 10 'day').
  const named = ua !== ub && isCalendarUnit(ua) && isCalendarUnit(ub) ? (calendarWord(unit) ?? unit) : unit;
  return v === null ? null : new CqlQuantity(v, named);
}

/** Quantity + Quantity in the finer unit; null when the dimensions differ (`'cm' + 'cm2'`). */
export function addQuantities(a: CqlQuantity, b: CqlQuantity): CqlQuantity | null {
  return sameUnitOp(a, b, (x, y) => x + y);
}

/** Quantity − Quantity in the finer unit; null when the dimensions differ. */
export function subtractQuantities(a: CqlQuantity, b: CqlQuantity): CqlQuantity | null {
  return sameUnitOp(a, b, (x, y) => x - y);
}

/** Quantity × Quantity with the product unit (`'cm'` × `'cm'` → `'cm2'`). */
export function multiplyQuantities(a: CqlQuantity, b: CqlQuantity): CqlQuantity | null {
  const ua = unitOf(a);
  const ub = unitOf(b);
  const unit = ub === '1' ? ua : ua === '1' ? ub : multiplyUnits(ua, ub);
  const v = checkDecimal(a.value * b.value);
  return v === null ? null : new CqlQuantity(v, unit);
}

/**
 * Quantity ÷ Quantity with the quotient unit (`'cm2'` / `'cm'` → `'cm'`; equal units → `'1'`);
 * null when dividing by zero. Comparable but different units (`'g'` / `'mg'`) are converted first, so
 * the result is dimensionless.
 */
export function divideQuantities(a: CqlQuantity, b: CqlQuantity): CqlQuantity | null {
  const [bv, unit] = quotientParts(a, b);
  if (bv === 0) return null;
  const v = checkDecimal(a.value / bv);
  return v === null ? null : new CqlQuantity(v, unit);
}

function quotientParts(a: CqlQuantity, b: CqlQuantity): [number, string] {
  const ua = unitOf(a);
  const ub = unitOf(b);
  if (ub === '1') return [b.value, ua];
  if (ua !== ub) {
    const conv = convertUnit(b.value, ub, ua);
    if (conv !== null) return [conv, '1'];
  }
  return [b.value, divideUnits(ua, ub)];
}

/** Truncated division of quantities (CQL 1.5 `div`); null when dividing by zero. */
export function truncatedDivideQuantities(a: CqlQuantity, b: CqlQuantity): CqlQuantity | null {
  const [bv, unit] = quotientParts(a, b);
  if (bv === 0) return null;
  const v = checkDecimal(Math.trunc(a.value / bv));
  return v === null ? null : new CqlQuantity(v, unit);
}

/** Remainder of quantities (CQL 1.5 `mod`) in the left unit; null when dividing by zero or not comparable. */
export function moduloQuantities(a: CqlQuantity, b: CqlQuantity): CqlQuantity | null {
  const ua = unitOf(a);
  const bv = valueIn(b, ua, 'equal');
  if (bv === null || bv === 0) return null;
  const v = checkDecimal(a.value % bv);
  return v === null ? null : new CqlQuantity(v, ua);
}

/** −Quantity, unit unchanged. */
export function negateQuantity(q: CqlQuantity): CqlQuantity {
  return new CqlQuantity(noNegZero(-q.value), q.unit);
}

/** |Quantity|, unit unchanged. */
export function absQuantity(q: CqlQuantity): CqlQuantity {
  return new CqlQuantity(Math.abs(q.value), q.unit);
}

/** Successor/predecessor of a quantity: ±1 for a whole value, ±10^−8 otherwise (CQL 1.5 Successor). */
export function stepQuantity(q: CqlQuantity, dir: 1 | -1, wholeIsInteger = Number.isInteger(q.value)): CqlQuantity | null {
  const v = checkDecimal(q.value + dir * (wholeIsInteger ? 1 : DECIMAL_STEP));
  return v === null ? null : new CqlQuantity(v, q.unit);
}

/** The quantity in `unit` (CQL 1.5 ConvertQuantity), or null when the units are not convertible. */
export function convertQuantity(q: CqlQuantity, unit: string): CqlQuantity | null {
  const target = unit === '' ? '1' : unit;
  const v = valueIn(q, target, 'equal');
  return v === null ? null : new CqlQuantity(v, target);
}

/** ToString of a quantity: `(-)?#0.0# '<unit>'` (CQL 1.5 ToString), e.g. `5.0 'mg'`. */
export function formatQuantity(q: CqlQuantity, scale?: number): string {
  return `${formatDecimal(q.value, scale)} '${unitOf(q)}'`;
}

/** ToString of a ratio: `<quantity>:<quantity>`. */
export function formatRatio(r: CqlRatio): string {
  return `${formatQuantity(r.numerator)}:${formatQuantity(r.denominator)}`;
}

const QUANTITY_TEXT = /^([+-]?\d+(?:\.\d+)?)\s*(?:'([^']*)')?$/;

/**
 * Parses `(+|-)?#0(.0#)?('<unit>')?` (CQL 1.5 ToQuantity), e.g. `-0.1 'mg'`, `5`, `3 'months'`;
 * spaces are allowed between value and unit. Null when malformed (`444 'cm`).
 */
export function parseQuantity(s: string): CqlQuantity | null {
  const m = QUANTITY_TEXT.exec(s.trim());
  if (!m) return null;
  const v = parseDecimal(m[1] ?? '');
  if (v === null) return null;
  const unit = m[2];
  return new CqlQuantity(v, unit === undefined || unit === '' ? '1' : unit);
}

/** Parses `<quantity>:<quantity>` (CQL 1.5 ToRatio), e.g. `1.0 'mg':2.0 'mg'`. */
export function parseRatio(s: string): CqlRatio | null {
  // The separator is the colon outside the unit quotes.
  let inQuote = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "'") inQuote = !inQuote;
    else if (c === ':' && !inQuote) {
      const n = parseQuantity(s.slice(0, i));
      const d = parseQuantity(s.slice(i + 1));
      return n && d ? new CqlRatio(n, d) : null;
    }
  }
  return null;
}
