/**
 * Calendar-day arithmetic and FHIR date/dateTime/instant parsing. No clock: every day is an argument.
 */
import type { Day } from './types.ts';

const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const FHIR_DATE_RE = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/;

/** True for a real calendar day `YYYY-MM-DD`. */
export function isDay(text: string): boolean {
  const m = DAY_RE.exec(text);
  if (!m) return false;
  return validYmd(Number(m[1]), Number(m[2]), Number(m[3]));
}

function validYmd(y: number, m: number, d: number): boolean {
  return m >= 1 && m <= 12 && d >= 1 && d <= daysInMonth(y, m);
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return MONTH_DAYS[m - 1] ?? 31;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

function ymd(day: Day): [number, number, number] {
  return [Number(day.slice(0, 4)), Number(day.slice(5, 7)), Number(day.slice(8, 10))];
}

/** Days since 1970-01-01 (for ordering and differences). */
export function dayNumber(day: Day): number {
  const [y, m, d] = ymd(day);
  return Date.UTC(y, m - 1, d) / 86_400_000;
}

/** Adds whole days. */
export function addDays(day: Day, days: number): Day {
  const date = new Date((dayNumber(day) + days) * 86_400_000);
  return `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
}

/** Adds calendar months, clamping to the month's last day (Feb 29 + 12 months = Feb 28). */
export function addMonths(day: Day, months: number): Day {
  const [y, m, d] = ymd(day);
  const total = y * 12 + (m - 1) + months;
  const ny = Math.floor(total / 12);
  const nm = (total % 12) + 1;
  return `${pad(ny, 4)}-${pad(nm)}-${pad(Math.min(d, daysInMonth(ny, nm)))}`;
}

/** The day someone born on `birthDate` turns `years` (Feb 29 birthdays: Mar 1 in common years). */
export function birthdayAt(birthDate: Day, years: number): Day {
  const [y, m, d] = ymd(birthDate);
  const ny = y + years;
  if (m === 2 && d === 29 && daysInMonth(ny, 2) === 28) return `${pad(ny, 4)}-03-01`;
  return `${pad(ny, 4)}-${pad(m)}-${pad(d)}`;
}

/** Earlier / later of two days. */
export function minDay(a: Day, b: Day): Day {
  return a <= b ? a : b;
}
/** Later of two days. */
export function maxDay(a: Day, b: Day): Day {
  return a >= b ? a : b;
}

interface DateTimeParts {
  y: number;
  m: number;
  d: number;
  hh: number;
  mi: number;
  ss: number;
  /** Minutes east of UTC; undefined when the value has no offset. */
  offsetMinutes: number | undefined;
}

function digits(text: string, at: number, count: number): number {
  let n = 0;
  for (let i = at; i < at + count; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

/**
 * `YYYY-MM-DDThh:mm[:ss[.fff]][Z|±hh:mm]` without a regular expression (it runs for every dated
 * resource a rule reads). Undefined when malformed or not a real date and time.
 */
function scanDateTime(v: string): DateTimeParts | undefined {
  if (v.length < 16 || v.charCodeAt(4) !== 45 || v.charCodeAt(7) !== 45 || v.charCodeAt(10) !== 84 || v.charCodeAt(13) !== 58) return undefined;
  const y = digits(v, 0, 4);
  const m = digits(v, 5, 2);
  const d = digits(v, 8, 2);
  const hh = digits(v, 11, 2);
  const mi = digits(v, 14, 2);
  if (y < 0 || m < 0 || d < 0 || hh < 0 || mi < 0 || !validYmd(y, m, d) || hh > 24 || mi > 59) return undefined;
  let i = 16;
  let ss = 0;
  if (v.charCodeAt(i) === 58) {
    ss = digits(v, i + 1, 2);
    if (ss < 0 || ss > 60) return undefined;
    i += 3;
    if (v.charCodeAt(i) === 46) {
      i++;
      const from = i;
      while (i < v.length && v.charCodeAt(i) >= 48 && v.charCodeAt(i) <= 57) i++;
      if (i === from) return undefined;
    }
  }
  if (i === v.length) return { y, m, d, hh, mi, ss, offsetMinutes: undefined };
  const sign = v.charCodeAt(i);
  if (sign === 90 && i + 1 === v.length) return { y, m, d, hh, mi, ss, offsetMinutes: 0 };
  if ((sign === 43 || sign === 45) && i + 6 === v.length && v.charCodeAt(i + 3) === 58) {
    const oh = digits(v, i + 1, 2);
    const om = digits(v, i + 4, 2);
    if (oh < 0 || om < 0 || oh > 14 || om > 59) return undefined;
    return { y, m, d, hh, mi, ss, offsetMinutes: (sign === 45 ? -1 : 1) * (oh * 60 + om) };
  }
  return undefined;
}

/** A parsed FHIR temporal value reduced to a day. */
export type ParsedDay =
  | { readonly ok: true; readonly day: Day; readonly precision: 'year' | 'month' | 'day' | 'time' }
  | { readonly ok: false; readonly error: string };

const formatters = new Map<string, Intl.DateTimeFormat>();
/** Per zone: 15-minute bucket of an instant → local day (every IANA offset is a multiple of 15 minutes). */
const zoneDays = new Map<string, Map<number, Day>>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Throws RangeError for an unknown IANA zone; used to validate options up front. */
export function assertTimeZone(timeZone: string): void {
  formatterFor(timeZone);
}

/**
 * Reduces a FHIR `date`, `dateTime` or `instant` to a day.
 *
 * - `YYYY` and `YYYY-MM` become their first day (conservative for look-backs: an imprecise old
 *   test is not credited beyond what it proves).
 * - A dateTime with an offset and a `timeZone` becomes the day in that zone; without a zone, or
 *   without an offset, the day as written.
 */
export function parseFhirDay(value: unknown, timeZone?: string): ParsedDay {
  if (typeof value !== 'string') return { ok: false, error: 'not a string' };
  if (value.length === 10) {
    // Fast path for the common full date.
    const fast = DAY_RE.exec(value);
    if (fast) {
      return validYmd(Number(fast[1]), Number(fast[2]), Number(fast[3]))
        ? { ok: true, day: value, precision: 'day' }
        : { ok: false, error: `invalid date "${value}"` };
    }
  }
  const dm = FHIR_DATE_RE.exec(value);
  if (dm) {
    const y = Number(dm[1]);
    const m = dm[2] === undefined ? 1 : Number(dm[2]);
    const d = dm[3] === undefined ? 1 : Number(dm[3]);
    if (!validYmd(y, m, d)) return { ok: false, error: `invalid date "${value}"` };
    const precision = dm[3] !== undefined ? 'day' : dm[2] !== undefined ? 'month' : 'year';
    return { ok: true, day: `${pad(y, 4)}-${pad(m)}-${pad(d)}`, precision };
  }
  const t = scanDateTime(value);
  if (t === undefined) return { ok: false, error: `invalid dateTime "${value}"` };
  const written = value.slice(0, 10);
  if (timeZone === undefined || t.offsetMinutes === undefined) return { ok: true, day: written, precision: 'time' };
  const ms = Date.UTC(t.y, t.m - 1, t.d, t.hh, t.mi, t.ss) - t.offsetMinutes * 60_000;
  const bucket = Math.floor(ms / 900_000);
  let days = zoneDays.get(timeZone);
  if (!days) {
    days = new Map();
    zoneDays.set(timeZone, days);
  }
  let day = days.get(bucket);
  if (day === undefined) {
    day = formatterFor(timeZone).format(bucket * 900_000);
    if (days.size > 100_000) days.clear();
    days.set(bucket, day);
  }
  return { ok: true, day, precision: 'time' };
}
