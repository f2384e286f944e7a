/**
 * CQL Date, DateTime and Time (CQL 1.5 §1.4.4, §5.7 "Date/Time operators and uncertainty", §22
 * Date and Time Operators, Appendix H): values with a precision, compared with uncertainty,
 * calendar arithmetic, duration and difference.
 *
 * Fields are kept as an array up to the value's precision; all calendar arithmetic is integer math
 * on those fields (proleptic Gregorian day numbers), never a JavaScript `Date`.
 */
import { CqlRuntimeError } from '../errors.ts';
import { CqlInterval } from './interval-value.ts';

/** Precision indexes: year … millisecond. */
export const PRECISION = { year: 0, month: 1, day: 2, hour: 3, minute: 4, second: 5, millisecond: 6 } as const;
/** A precision index 0 (year) … 6 (millisecond). */
export type Precision = (typeof PRECISION)[keyof typeof PRECISION];

/** System.DateTime: `f` holds year … millisecond up to its precision; `offset` in hours. */
export class CqlDateTime {
  constructor(
    readonly f: readonly number[],
    readonly offset: number | null,
  ) {}
  /** The precision index: `f.length - 1`. */
  get precision(): Precision {
    return (this.f.length - 1) as Precision;
  }
}

/** System.Date: `f` holds year, month, day up to its precision. */
export class CqlDate {
  constructor(readonly f: readonly number[]) {}
  get precision(): Precision {
    return (this.f.length - 1) as Precision;
  }
}

/** System.Time: `f` holds hour, minute, second, millisecond up to its precision. */
export class CqlTime {
  constructor(readonly f: readonly number[]) {}
  /** As a DateTime precision index (hour = 3 … millisecond = 6). */
  get precision(): Precision {
    return (this.f.length + 2) as Precision;
  }
}

/** A temporal value. */
export type Temporal = CqlDate | CqlDateTime | CqlTime;

/**
 * The result of a duration or difference between imprecise values (CQL 1.5 §5.7.2 "Determining
 * Difference and Duration"): some integer between `low` and `high`, both known. It is a closed
 * `CqlInterval` of integers, so that it can be reported as one; comparison operators that meet one
 * should apply the uncertainty semantics of §5.7.1 (e.g. `[4, 16] > 2` is true, `[4, 16] > 5` null).
 */
export class CqlUncertainty extends CqlInterval {
  declare readonly low: number;
  declare readonly high: number;
  constructor(low: number, high: number) {
    super(low, high, true, true);
  }
}

/** A unit of date/time arithmetic, duration and difference: a precision name or `week`. */
export type TemporalUnit = 'year' | 'month' | 'week' | 'day' | 'hour' | 'minute' | 'second' | 'millisecond';

/** True for a Date, DateTime or Time. */
export function isTemporal(v: unknown): v is Temporal {
  return v instanceof CqlDateTime || v instanceof CqlDate || v instanceof CqlTime;
}

// ---------------------------------------------------------------------------------------------
// Calendar math

const MS_PER_DAY = 86_400_000;
const MIN_YEAR = 1;
const MAX_YEAR = 9999;

/** True for a leap year of the proleptic Gregorian calendar. */
export function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

/** Days in month `m` (1–12) of year `y`. */
export function daysInMonth(y: number, m: number): number {
  return m === 2 && isLeapYear(y) ? 29 : (MONTH_DAYS[m - 1] ?? 31);
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** The civil date of a day number (inverse of {@link daysFromCivil}). */
function civilFromDays(z: number): [number, number, number] {
  const zz = z + 719468;
  const era = Math.floor(zz / 146097);
  const doe = zz - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [m <= 2 ? yoe + era * 400 + 1 : yoe + era * 400, m, d];
}

/** A full 7-field date-time (year … millisecond). */
type Full = [number, number, number, number, number, number, number];

/** Local milliseconds of a full date-time since 1970-01-01T00:00 (as if at offset 0). */
function fullToMs(x: Full): number {
  return daysFromCivil(x[0], x[1], x[2]) * MS_PER_DAY + x[3] * 3_600_000 + x[4] * 60_000 + x[5] * 1000 + x[6];
}

function msToFull(ms: number): Full {
  const days = Math.floor(ms / MS_PER_DAY);
  let rest = ms - days * MS_PER_DAY;
  const [y, m, d] = civilFromDays(days);
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const mi = Math.floor(rest / 60_000);
  rest -= mi * 60_000;
  const s = Math.floor(rest / 1000);
  return [y, m, d, h, mi, s, rest - s * 1000];
}

/**
 * Fills the unknown fields of a date-time's fields with their least (`high` false) or greatest
 * (`high` true) possible values. Seconds without milliseconds count as `.000` unless `msSeparate`
 * (CQL 1.5 §22.6 DateTime: "if milliseconds are not specified, calculations for precisions above
 * milliseconds should be performed as though milliseconds had been specified as 0").
 */
function fill(f: readonly number[], high: boolean, msSeparate: boolean): Full {
  const y = f[0] ?? 1;
  const m = f[1] ?? (high ? 12 : 1);
  const d = f[2] ?? (high ? daysInMonth(y, m) : 1);
  const h = f[3] ?? (high ? 23 : 0);
  const mi = f[4] ?? (high ? 59 : 0);
  const s = f[5] ?? (high ? 59 : 0);
  const ms = f[6] ?? (f.length === 6 && !msSeparate ? 0 : high ? 999 : 0);
  return [y, m, d, h, mi, s, ms];
}

/** Time fields as full date-time fields on 1970-01-01. */
function timeAsDateTimeFields(f: readonly number[]): number[] {
  return [1970, 1, 1, ...f];
}

/** Shifts fields known at least to the hour from offset `from` to offset `to` (hours). */
function shiftFields(f: readonly number[], from: number, to: number): readonly number[] {
  if (from === to) return f;
  const full = msToFull(fullToMs(fill(f, false, false)) + Math.round((to - from) * 3_600_000));
  return full.slice(0, f.length);
}

function checkYear(y: number): void {
  if (y < MIN_YEAR || y > MAX_YEAR) throw new CqlRuntimeError(`date/time arithmetic result year ${y} is out of range 0001–9999`);
}

// ---------------------------------------------------------------------------------------------
// Parsing and formatting

// Hoisted: ISO 8601 partials as CQL and FHIR write them.
const DATE_RE = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/;
const DATETIME_RE =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(?:(\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;
const TIME_RE = /^T?(\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?$/;

function int(s: string | undefined): number | undefined {
  return s === undefined ? undefined : Number.parseInt(s, 10);
}

/** Milliseconds from a fraction's digits: '5' → 500, '1234' → 123. */
function fractionMs(s: string): number {
  return Number.parseInt((s + '00').slice(0, 3), 10);
}

function validDate(y: number, m: number | undefined, d: number | undefined): boolean {
  if (y < MIN_YEAR) return false;
  if (m === undefined) return true;
  if (m < 1 || m > 12) return false;
  return d === undefined || (d >= 1 && d <= daysInMonth(y, m));
}

function validTime(h: number | undefined, mi: number | undefined, s: number | undefined): boolean {
  return (h === undefined || h <= 23) && (mi === undefined || mi <= 59) && (s === undefined || s <= 59);
}

/** Parses '+05:30' / '-07:00' / 'Z' to hours (5.5, -7, 0); null when out of range. */
function parseOffset(text: string): number | null {
  if (text === 'Z') return 0;
  const h = Number.parseInt(text.slice(1, 3), 10);
  const m = Number.parseInt(text.slice(4, 6), 10);
  if (h > 14 || m > 59) return null;
  const v = h + m / 60;
  return text.startsWith('-') ? -v : v;
}

function pushDefined(out: number[], ...xs: (number | undefined)[]): void {
  for (const x of xs) {
    if (x === undefined) return;
    out.push(x);
  }
}

/**
 * Parses an ISO 8601 date-time as CQL (ToDateTime, §22.31) and FHIR (`dateTime`, `instant`) write
 * it, to any precision: '2020', '2020-03', '2020-03-04', '2020-03-04T10', '…T10:30',
 * '…T10:30:15.123Z', '…+05:30'. Returns null for text that is not one, or not a valid date
 * (month 13, 30 February). A value without an offset gets `defaultOffset`.
 *
 * @example parseDateTime('2020-03-04T10:30+05:30', -5) // fields [2020, 3, 4, 10, 30], offset 5.5
 */
export function parseDateTime(text: string, defaultOffset: number | null): CqlDateTime | null {
  const m = DATETIME_RE.exec(text);
  if (!m) return null;
  const y = Number.parseInt(m[1] as string, 10);
  const mo = int(m[2]);
  const d = int(m[3]);
  const h = int(m[4]);
  const mi = int(m[5]);
  const s = int(m[6]);
  const ms = m[7] === undefined ? undefined : fractionMs(m[7]);
  if (!validDate(y, mo, d) || !validTime(h, mi, s)) return null;
  let offset = defaultOffset;
  if (m[8] !== undefined) {
    offset = parseOffset(m[8]);
    if (offset === null) return null;
  }
  const f: number[] = [];
  pushDefined(f, y, mo, d, h, mi, s, ms);
  return new CqlDateTime(f, offset);
}

/**
 * Parses an ISO 8601 date ('2020', '2020-03', '2020-03-04'); a date-time's time part is ignored
 * (ToDate, CQL 1.5 §22.29). Null for text that is not a valid date.
 */
export function parseDate(text: string): CqlDate | null {
  const m = DATE_RE.exec(text);
  if (m) {
    const y = Number.parseInt(m[1] as string, 10);
    const mo = int(m[2]);
    const d = int(m[3]);
    if (!validDate(y, mo, d)) return null;
    const f: number[] = [];
    pushDefined(f, y, mo, d);
    return new CqlDate(f);
  }
  const dt = parseDateTime(text, 0);
  return dt === null ? null : new CqlDate(dt.f.slice(0, 3));
}

/** Parses an ISO 8601 time ('10', '10:30', '10:30:15', '10:30:15.123', optionally after 'T'). */
export function parseTime(text: string): CqlTime | null {
  const m = TIME_RE.exec(text);
  if (!m) return null;
  const h = Number.parseInt(m[1] as string, 10);
  const mi = int(m[2]);
  const s = int(m[3]);
  if (!validTime(h, mi, s)) return null;
  const f: number[] = [h];
  pushDefined(f, mi, s, m[4] === undefined ? undefined : fractionMs(m[4]));
  return new CqlTime(f);
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

const SEPARATORS = ['', '-', '-', 'T', ':', ':', '.'] as const;
const WIDTHS = [4, 2, 2, 2, 2, 2, 3] as const;

function formatFields(f: readonly number[], first: number): string {
  let out = '';
  for (let i = 0; i < f.length; i++) {
    const k = i + first;
    out += (i === 0 ? '' : SEPARATORS[k]) + pad(f[i] as number, WIDTHS[k] ?? 2);
  }
  return out;
}

/**
 * The comparable normal form: 'YYYY[-MM[-DD[THH[:mm[:ss[.fff]]]]]]' for Date and DateTime (without
 * the offset), 'HH[:mm[:ss[.fff]]]' for Time.
 */
export function formatTemporal(v: Temporal): string {
  return v instanceof CqlTime ? formatFields(v.f, 3) : formatFields(v.f, 0);
}

/** Formats an offset in hours as '+05:30' / '-07:00'. */
export function formatOffset(offset: number): string {
  const sign = offset < 0 ? '-' : '+';
  const total = Math.round(Math.abs(offset) * 60);
  return `${sign}${pad(Math.floor(total / 60), 2)}:${pad(total % 60, 2)}`;
}

/**
 * CQL ToString of a temporal value (§22.30): ISO 8601 with the offset for a DateTime known to the
 * hour or finer ('2020-03-04T10:30:00.000-05:00'), date-only forms otherwise.
 */
export function temporalToString(v: Temporal): string {
  if (v instanceof CqlDateTime && v.offset !== null && v.f.length > 3) return formatTemporal(v) + formatOffset(v.offset);
  return formatTemporal(v);
}

// ---------------------------------------------------------------------------------------------
// Comparison

/**
 * Field-wise comparison from `start` to `last` (inclusive): the first difference decides; a field
 * missing on either side makes the answer unknown. With `decimalSeconds`, the seconds field (at
 * `secIdx`) and milliseconds compare as one decimal, a missing millisecond counting as 0.
 */
function compareFields(a: readonly number[], b: readonly number[], last: number, decimalSeconds: boolean, secIdx: number): number | null {
  for (let i = 0; i <= last; i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined || y === undefined) return null;
    if (decimalSeconds && i === secIdx) {
      const xs = x * 1000 + (a[i + 1] ?? 0);
      const ys = y * 1000 + (b[i + 1] ?? 0);
      return xs < ys ? -1 : xs > ys ? 1 : 0;
    }
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Instant bounds (ms since epoch, UTC) of a DateTime's possible values. */
function instantRange(v: CqlDateTime): [number, number] {
  const off = Math.round((v.offset ?? 0) * 3_600_000);
  return [fullToMs(fill(v.f, false, false)) - off, fullToMs(fill(v.f, true, false)) - off];
}

/**
 * Compares two temporal values of the same kind at `precision` (default: the finer of theirs),
 * CQL 1.5 §22.2 (After), §22.3 (Before), §22.21 (Same As): -1, 0, 1, or null when the answer is
 * uncertain (one value stops before the precision where they could differ).
 *
 * Without a precision, seconds and milliseconds compare as one decimal (§22.6: a missing
 * millisecond counts as 0); with one, each field stops at that precision.
 *
 * DateTimes with different offsets are normalised to `offset` (the evaluation request's; default:
 * `a`'s) only when the comparison precision is hour or finer (§22.2 "…but only when the comparison
 * precision is hours, minutes, seconds, or milliseconds"); at day or coarser, the calendar fields
 * are compared as written. A value known only to the day or coarser has no single instant to shift;
 * at hour-or-finer precision it compares by the range of instants it may be.
 *
 * A Date compared with a DateTime is read as a DateTime at the other's offset (§22.2, ToDateTime).
 */
export function compareTemporal(a: Temporal, b: Temporal, precision?: Precision, offset?: number | null): number | null {
  if (a instanceof CqlTime || b instanceof CqlTime) {
    if (!(a instanceof CqlTime && b instanceof CqlTime)) return null;
    const last = precision === undefined ? Math.max(a.f.length, b.f.length) - 1 : precision - 3;
    if (last < 0) return null;
    return compareFields(a.f, b.f, last, precision === undefined, 2);
  }
  let af = a.f;
  let bf = b.f;
  const last = precision ?? Math.max(af.length, bf.length) - 1;
  if (last >= PRECISION.hour && a instanceof CqlDateTime && b instanceof CqlDateTime && a.offset !== b.offset && a.offset !== null && b.offset !== null) {
    const target = offset ?? a.offset;
    if (af.length > PRECISION.hour && bf.length > PRECISION.hour) {
      af = shiftFields(af, a.offset, target);
      bf = shiftFields(bf, b.offset, target);
    } else {
      const [alo, ahi] = instantRange(a);
      const [blo, bhi] = instantRange(b);
      if (ahi < blo) return -1;
      if (alo > bhi) return 1;
      return null;
    }
  }
  return compareFields(af, bf, last, precision === undefined, 5);
}

/** CQL Equal on temporal values (null when uncertain). */
export function temporalEqual(a: Temporal, b: Temporal): boolean | null {
  const c = compareTemporal(a, b);
  return c === null ? null : c === 0;
}

/**
 * CQL Equivalent on temporal values (§12.3): as Equal, but a precision known on one side only makes
 * the answer false rather than null. Seconds and milliseconds still compare as one decimal, so
 * `@T10:00:00 ~ @T10:00:00.000` is true.
 */
export function temporalEquivalent(a: Temporal, b: Temporal): boolean {
  return compareTemporal(a, b) === 0;
}

/** `same precision as` (§22.21): true, false, or null when uncertain. */
export function sameAs(a: Temporal, b: Temporal, precision?: Precision, offset?: number | null): boolean | null {
  const c = compareTemporal(a, b, precision, offset);
  return c === null ? null : c === 0;
}

/** `same precision or before` (§22.23). */
export function sameOrBefore(a: Temporal, b: Temporal, precision?: Precision, offset?: number | null): boolean | null {
  const c = compareTemporal(a, b, precision, offset);
  return c === null ? null : c <= 0;
}

/** `same precision or after` (§22.22). */
export function sameOrAfter(a: Temporal, b: Temporal, precision?: Precision, offset?: number | null): boolean | null {
  const c = compareTemporal(a, b, precision, offset);
  return c === null ? null : c >= 0;
}

/** `before precision of` (§22.3). */
export function beforeTemporal(a: Temporal, b: Temporal, precision?: Precision, offset?: number | null): boolean | null {
  const c = compareTemporal(a, b, precision, offset);
  return c === null ? null : c < 0;
}

/** `after precision of` (§22.2). */
export function afterTemporal(a: Temporal, b: Temporal, precision?: Precision, offset?: number | null): boolean | null {
  const c = compareTemporal(a, b, precision, offset);
  return c === null ? null : c > 0;
}

// ---------------------------------------------------------------------------------------------
// Minimum, maximum, successor, predecessor

/** Minimum Date (§22 / §3 Minimum): @0001-01-01. */
export const MIN_DATE = new CqlDate([1, 1, 1]);
/** Maximum Date: @9999-12-31. */
export const MAX_DATE = new CqlDate([9999, 12, 31]);
/** Minimum Time: @T00:00:00.000. */
export const MIN_TIME = new CqlTime([0, 0, 0, 0]);
/** Maximum Time: @T23:59:59.999. */
export const MAX_TIME = new CqlTime([23, 59, 59, 999]);

/** Minimum DateTime at an offset: @0001-01-01T00:00:00.000. */
export function minDateTime(offset: number | null): CqlDateTime {
  return new CqlDateTime([1, 1, 1, 0, 0, 0, 0], offset);
}

/** Maximum DateTime at an offset: @9999-12-31T23:59:59.999. */
export function maxDateTime(offset: number | null): CqlDateTime {
  return new CqlDateTime([9999, 12, 31, 23, 59, 59, 999], offset);
}

/** The minimum value of `v`'s type (a DateTime keeps `v`'s offset). */
export function minValueLike(v: Temporal): Temporal {
  return v instanceof CqlDateTime ? minDateTime(v.offset) : v instanceof CqlDate ? MIN_DATE : MIN_TIME;
}

/** The maximum value of `v`'s type (a DateTime keeps `v`'s offset). */
export function maxValueLike(v: Temporal): Temporal {
  return v instanceof CqlDateTime ? maxDateTime(v.offset) : v instanceof CqlDate ? MAX_DATE : MAX_TIME;
}

/**
 * The next value at `v`'s own precision (§16.17 Successor): @2020 → @2021, @2020-01-31 →
 * @2020-02-01, @T10:59 → @T11:00; null past the maximum ("If the result of the operation cannot
 * be represented … the result is null").
 */
export function successorOf(v: Temporal): Temporal | null {
  return stepAtPrecision(v, 1);
}

/** The previous value at `v`'s own precision (§16.12 Predecessor); null before the minimum. */
export function predecessorOf(v: Temporal): Temporal | null {
  return stepAtPrecision(v, -1);
}

function stepAtPrecision(v: Temporal, dir: 1 | -1): Temporal | null {
  if (v instanceof CqlTime) {
    const p = v.f.length + 2;
    const f = addToFields(timeAsDateTimeFields(v.f), p, p, dir);
    if (f[0] !== 1970 || f[1] !== 1 || f[2] !== 1) return null;
    return new CqlTime(f.slice(3));
  }
  const y = v.f[0] as number;
  // Only the first or last year can step out of range.
  if ((y === MIN_YEAR && dir < 0) || (y === MAX_YEAR && dir > 0)) {
    const edge = dir > 0 ? [MAX_YEAR, 12, 31, 23, 59, 59, 999] : [MIN_YEAR, 1, 1, 0, 0, 0, 0];
    if (v.f.every((x, i) => x === edge[i])) return null;
  }
  const p = v.f.length - 1;
  const f = addToFields(v.f, p, p, dir);
  return v instanceof CqlDateTime ? new CqlDateTime(f, v.offset) : new CqlDate(f);
}

// ---------------------------------------------------------------------------------------------
// Arithmetic

type UnitIndex = 0 | 1 | 2 | 3 | 4 | 5 | 6;

/** Calendar words (singular, plural) and UCUM units valid in date/time arithmetic. */
const UNIT_INDEX: ReadonlyMap<string, UnitIndex | 'week'> = new Map<string, UnitIndex | 'week'>([
  ['year', 0], ['years', 0],
  ['month', 1], ['months', 1],
  ['week', 'week'], ['weeks', 'week'], ['wk', 'week'],
  ['day', 2], ['days', 2], ['d', 2],
  ['hour', 3], ['hours', 3], ['h', 3],
  ['minute', 4], ['minutes', 4], ['min', 4],
  ['second', 5], ['seconds', 5], ['s', 5],
  ['millisecond', 6], ['milliseconds', 6], ['ms', 6],
]);

/** UCUM definite-duration units above days: not allowed in date/time arithmetic (§2.7.6). */
const DEFINITE_ABOVE_DAYS: ReadonlySet<string> = new Set(['a', 'mo']);

/** Lengths used to convert a finer quantity to a value's coarser precision (§2.7.5: a year 365 days, a month 30). */
const UNIT_MS = [365 * MS_PER_DAY, 30 * MS_PER_DAY, MS_PER_DAY, 3_600_000, 60_000, 1000, 1] as const;

function unitIndex(unit: string): UnitIndex | 'week' {
  const u = UNIT_INDEX.get(unit);
  if (u !== undefined) return u;
  if (DEFINITE_ABOVE_DAYS.has(unit)) {
    throw new CqlRuntimeError(
      `date/time arithmetic with the definite-duration unit '${unit}' is not allowed; use a calendar duration (${unit === 'a' ? 'years' : 'months'})`,
    );
  }
  throw new CqlRuntimeError(`'${unit}' is not a time unit for date/time arithmetic`);
}

/** How many units `from` make `value` units of the coarser `to`, before truncation. */
function convertUnits(value: number, from: UnitIndex, to: UnitIndex): number {
  if (from === 1 && to === 0) return value / 12;
  return (value * UNIT_MS[from]) / UNIT_MS[to];
}

/**
 * Adds `amount` whole `unit`s to fields of precision `p` (unit ≤ p), per the ISO 8601 calendar
 * semantics of CQL 1.5 §2.7.6 Table 2-P: years and months keep the day, clamped to the month's
 * end; days and finer carry through the calendar. Throws when the year leaves 1–9999.
 */
function addToFields(f: readonly number[], p: number, unit: number, amount: number): number[] {
  if (unit <= 1) {
    const y0 = f[0] as number;
    const total = y0 * 12 + ((f[1] ?? 1) - 1) + (unit === 0 ? amount * 12 : amount);
    const y = Math.floor(total / 12);
    checkYear(y);
    const out = f.slice();
    out[0] = y;
    if (out.length > 1) out[1] = total - y * 12 + 1;
    if (out.length > 2) out[2] = Math.min(out[2] as number, daysInMonth(y, out[1] as number));
    return out;
  }
  const full = msToFull(fullToMs(fill(f, false, true)) + amount * UNIT_MS[unit as UnitIndex]);
  checkYear(full[0]);
  return full.slice(0, p + 1);
}

/**
 * Adds a time-valued quantity to a Date, DateTime or Time (CQL 1.5 §22.1 Add, §2.7.6 Date and Time
 * Arithmetic). `unit` is a calendar word (singular or plural) or a UCUM unit 'wk', 'd', 'h',
 * 'min', 's', 'ms'. The UCUM definite durations 'a' and 'mo' are a run-time error, as the
 * specification requires (a calendar duration must be used above days).
 *
 * Above seconds the decimal part of the quantity is ignored; a quantity finer than the value is
 * first converted to the value's precision and truncated (DateTime(2014) + 25 months: 25 months
 * = 2 years → @2016; a day-precision DateTime + 36 hours = + 1 day; days convert to months at 30
 * and to years at 365, §2.7.5). A result year outside 1–9999 is a run-time error.
 *
 * @example addQuantity(new CqlDate([2020, 1, 31]), 1, 'month') // @2020-02-29
 */
export function addQuantity<T extends Temporal>(v: T, value: number, unit: string): T {
  let u = unitIndex(unit);
  let amountValue = value;
  if (u === 'week') {
    u = 2;
    amountValue *= 7;
  }
  const isTime = v instanceof CqlTime;
  if (isTime && u < 3) throw new CqlRuntimeError(`a Time cannot be shifted by ${unit}`);
  const fields = isTime ? timeAsDateTimeFields(v.f) : v.f;
  const p = fields.length - 1;
  let amount: number;
  if (u > p) {
    amount = Math.trunc(convertUnits(amountValue, u, p as UnitIndex));
    u = p as UnitIndex;
  } else if (u === 5 && p === 6) {
    // Seconds and below are definite durations: 1.5 s on a millisecond value is 1500 ms.
    amount = Math.trunc(amountValue * 1000);
    u = 6;
  } else {
    amount = Math.trunc(amountValue);
  }
  if (amount === 0) return v;
  if (isTime) {
    // Time of day wraps around midnight.
    const dayMs = ((fullToMs(fill(fields, false, true)) + amount * UNIT_MS[u]) % MS_PER_DAY + MS_PER_DAY) % MS_PER_DAY;
    return new CqlTime(msToFull(dayMs).slice(3, p + 1)) as T;
  }
  const f = addToFields(fields, p, u, amount);
  return (v instanceof CqlDateTime ? new CqlDateTime(f, v.offset) : new CqlDate(f)) as T;
}

/** The quantity shape `addTemporal` reads (a CqlQuantity). */
export interface TimeQuantity {
  readonly value: number;
  readonly unit: string;
}

/** `v + q` for a temporal value and a time-valued quantity (§22.1); see {@link addQuantity}. */
export function addTemporal<T extends Temporal>(v: T, q: TimeQuantity): T {
  return addQuantity(v, q.value, q.unit);
}

/** `v - q` for a temporal value and a time-valued quantity (§22.24). */
export function subtractTemporal<T extends Temporal>(v: T, q: TimeQuantity): T {
  return addQuantity(v, -q.value, q.unit);
}

// ---------------------------------------------------------------------------------------------
// Duration and difference

const UNIT_NAMES: Readonly<Record<TemporalUnit, number>> = {
  year: 0, month: 1, week: 2, day: 2, hour: 3, minute: 4, second: 5, millisecond: 6,
};

/** Whole `unit`s from `x` to `y` (full fields on one time line), truncated toward zero. */
function wholeUnits(x: Full, y: Full, unit: TemporalUnit): number {
  if (unit === 'year' || unit === 'month') {
    // Appendix H: a month runs to the same day and time of the ending month; when that date does
    // not exist it runs to the following date, so 2020-01-31 → 2020-02-29 is 0 months.
    let months = (y[0] - x[0]) * 12 + (y[1] - x[1]);
    let rest = 0;
    for (let i = 2; i < 7 && rest === 0; i++) rest = (y[i] as number) - (x[i] as number);
    if (months > 0 && rest < 0) months--;
    else if (months < 0 && rest > 0) months++;
    // `+ 0` turns a truncated -0 into 0.
    return unit === 'year' ? Math.trunc(months / 12) + 0 : months;
  }
  const ms = fullToMs(y) - fullToMs(x);
  const per = unit === 'week' ? 7 * MS_PER_DAY : UNIT_MS[UNIT_NAMES[unit] as UnitIndex];
  return Math.trunc(ms / per) + 0;
}

/** Truncates full fields to the start of the `unit` (a week starts on Sunday, §22.13). */
function truncateTo(x: Full, unit: TemporalUnit): Full {
  if (unit === 'week') {
    const days = daysFromCivil(x[0], x[1], x[2]);
    const dow = (((days + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday; Sunday = 0
    const [y, m, d] = civilFromDays(days - dow);
    return [y, m, d, 0, 0, 0, 0];
  }
  const keep = UNIT_NAMES[unit];
  const out: Full = [x[0], 1, 1, 0, 0, 0, 0];
  for (let i = 1; i <= keep; i++) out[i] = x[i] as number;
  return out;
}

interface Bounds {
  readonly lo: Full;
  readonly hi: Full;
}

/** The least and greatest full values of `v`, optionally shifted to `to` (hours). */
function bounds(v: Temporal, unit: TemporalUnit, to: number | null): Bounds {
  const f = v instanceof CqlTime ? timeAsDateTimeFields(v.f) : v.f;
  const msSeparate = unit === 'millisecond';
  let lo = fill(f, false, msSeparate);
  let hi = fill(f, true, msSeparate);
  if (v instanceof CqlDate) {
    // A Date has no time of day: only its missing date fields are uncertain (§5.7.2: [17, 44] days
    // between Date(2014, 1, 15) and Date(2014, 2)).
    hi[3] = hi[4] = hi[5] = hi[6] = 0;
  }
  if (to !== null && v instanceof CqlDateTime && v.offset !== null && v.offset !== to) {
    const shift = Math.round((to - v.offset) * 3_600_000);
    lo = msToFull(fullToMs(lo) + shift);
    hi = msToFull(fullToMs(hi) + shift);
  }
  return { lo, hi };
}

function sameKindPair(a: Temporal, b: Temporal): boolean {
  return (a instanceof CqlTime) === (b instanceof CqlTime);
}

function span(a: Temporal, b: Temporal, unit: TemporalUnit, normalise: boolean, offset: number | null | undefined, measure: (x: Full, y: Full) => number): number | CqlUncertainty | null {
  if (!sameKindPair(a, b)) return null;
  if (a instanceof CqlTime && UNIT_NAMES[unit] < 3) return null;
  let to: number | null = null;
  if (normalise && a instanceof CqlDateTime && b instanceof CqlDateTime && a.offset !== b.offset) to = offset ?? a.offset;
  const ab = bounds(a, unit, to);
  const bb = bounds(b, unit, to);
  const low = measure(ab.hi, bb.lo);
  const high = measure(ab.lo, bb.hi);
  return low === high ? low : new CqlUncertainty(Math.min(low, high), Math.max(low, high));
}

/**
 * `duration in unit between a and b` (§22.11, Appendix H): the whole calendar periods from `a` to
 * `b`, negative when `a` is after `b`. When either value stops above the unit, the answer is the
 * uncertainty from the shortest to the longest possible duration (§5.7.2), e.g.
 * `days between @2012-01 and @2012-02` = [1, 59]; an integer when both ends agree.
 *
 * Months and years count calendar periods on the fields as written (no offset normalisation, per
 * §22.11); days and finer count elapsed time, normalising DateTime offsets to `offset`
 * (default `a`'s) — the spec's conformance tests expect `days between @2017-03-12T00:00:00-07:00
 * and @2017-03-13T00:00:00-06:00` = 0, i.e. normalised even for days.
 */
export function durationBetween(a: Temporal, b: Temporal, unit: TemporalUnit, offset?: number | null): number | CqlUncertainty | null {
  const normalise = UNIT_NAMES[unit] >= 2;
  return span(a, b, unit, normalise, offset, (x, y) => wholeUnits(x, y, unit));
}

/**
 * `difference in unit between a and b` (§22.10, Appendix H "Difference Calculations"): the number
 * of `unit` boundaries crossed, computed as the duration between both values truncated to the
 * unit; weeks start on Sunday. DateTime offsets are normalised to `offset` (default `a`'s) only for
 * hours and finer; for days and coarser the calendar fields are used as written. Imprecise values
 * give an uncertainty, as for {@link durationBetween}.
 */
export function differenceBetween(a: Temporal, b: Temporal, unit: TemporalUnit, offset?: number | null): number | CqlUncertainty | null {
  const normalise = UNIT_NAMES[unit] >= 3;
  return span(a, b, unit, normalise, offset, (x, y) => wholeUnits(truncateTo(x, unit), truncateTo(y, unit), unit));
}

/**
 * Age in `unit` of someone born at `birth`, as of `asOf` (§22 CalculateAgeAt): the duration
 * between them, after reading both as the same type (a Date birth date with a DateTime `asOf`
 * becomes a DateTime at `offset`, a DateTime birth date with a Date `asOf` becomes its date).
 */
export function calculateAgeAt(birth: CqlDate | CqlDateTime, asOf: CqlDate | CqlDateTime, unit: TemporalUnit, offset: number | null): number | CqlUncertainty | null {
  let b: CqlDate | CqlDateTime = birth;
  if (asOf instanceof CqlDate && b instanceof CqlDateTime) b = toDate(b, offset);
  else if (asOf instanceof CqlDateTime && b instanceof CqlDate) b = toDateTime(b, offset);
  return durationBetween(b, asOf, unit, offset);
}

// ---------------------------------------------------------------------------------------------
// Components and conversions

/** The DateTime's fields at offset `to`, when it is known to the hour or finer and its offset differs. */
function normalisedFields(v: CqlDateTime, to: number | null | undefined): readonly number[] {
  if (to === null || to === undefined || v.offset === null || v.offset === to || v.f.length <= PRECISION.hour) return v.f;
  return shiftFields(v.f, v.offset, to);
}

/**
 * `component from v` (§22.8): the field at `precision`, or null when `v` is not known to it. For a
 * Time, `precision` is a DateTime index (hour = 3).
 */
export function componentFrom(v: Temporal, precision: Precision): number | null {
  const i = v instanceof CqlTime ? precision - 3 : precision;
  if (i < 0) return null;
  return v.f[i] ?? null;
}

/**
 * `date from v` / ToDate(DateTime) (§22.8, §22.29): the date part, normalised first to `offset` (the
 * evaluation request's) when `v` is known to the hour or finer, as §22.8 asks ("implementations
 * should normalize to the timezone offset of the evaluation request timestamp"). Without `offset`,
 * the fields as written. A Date is returned as is.
 */
export function toDate(v: CqlDate | CqlDateTime, offset?: number | null): CqlDate {
  if (v instanceof CqlDate) return v;
  return new CqlDate(normalisedFields(v, offset).slice(0, 3));
}

/** `time from v` (§22.8): the time part (normalised as in {@link toDate}), or null when `v` has no hour. */
export function timeFrom(v: CqlDateTime, offset?: number | null): CqlTime | null {
  if (v.f.length <= PRECISION.hour) return null;
  return new CqlTime(normalisedFields(v, offset).slice(3));
}

/**
 * ToDateTime(Date) (§22.28): the same fields, at `offset` (the evaluation request's). A DateTime is
 * returned as is.
 */
export function toDateTime(v: CqlDate | CqlDateTime, offset: number | null): CqlDateTime {
  return v instanceof CqlDateTime ? v : new CqlDateTime(v.f, offset);
}

/** ToDateTime(String) (§22.28): null when the text is not a valid date-time. */
export function stringToDateTime(text: string, offset: number | null): CqlDateTime | null {
  return parseDateTime(text, offset);
}

/** ToTime(String) (§22.32); a Time is returned as is. */
export function toTime(v: string | CqlTime): CqlTime | null {
  return typeof v === 'string' ? parseTime(v) : v;
}

/** ConvertsToDateTime (§22.18): true for a Date, DateTime or a valid date-time string. */
export function convertsToDateTime(v: unknown): boolean {
  if (v instanceof CqlDateTime || v instanceof CqlDate) return true;
  return typeof v === 'string' && parseDateTime(v, 0) !== null;
}

/** ConvertsToDate: true for a Date, DateTime or a valid date string. */
export function convertsToDate(v: unknown): boolean {
  if (v instanceof CqlDateTime || v instanceof CqlDate) return true;
  return typeof v === 'string' && parseDate(v) !== null;
}

/** ConvertsToTime: true for a Time or a valid time string. */
export function convertsToTime(v: unknown): boolean {
  if (v instanceof CqlTime) return true;
  return typeof v === 'string' && parseTime(v) !== null;
}

/** A unit name read from ELM (`Year`, `years`, `Week` …) as a {@link TemporalUnit}, or undefined. */
export function temporalUnitOf(name: string): TemporalUnit | undefined {
  const lower = name.toLowerCase();
  const n = lower.endsWith('s') ? lower.slice(0, -1) : lower;
  return n in UNIT_NAMES ? (n as TemporalUnit) : undefined;
}

/** A precision name read from ELM (`Year` … `Millisecond`) as a {@link Precision}; undefined for `Week` or others. */
export function precisionIndexOf(name: string): Precision | undefined {
  const n = name.toLowerCase() as keyof typeof PRECISION;
  return Object.hasOwn(PRECISION, n) ? PRECISION[n] : undefined;
}
