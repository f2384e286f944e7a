/**
 * CQL Integer, Long and Decimal on JavaScript numbers (CQL 1.5 §1.4.1, Appendix B Arithmetic
 * Operators). Integer is 32-bit signed; Decimal has at least 28 digits of precision and 8 of scale,
 * so every Decimal result is rounded to 8 places and a result beyond ±(10^28 − 1)/10^8 is null.
 * Rounding works on the shortest decimal text of the number, so `Round(1.005, 2)` is 1.01 as the
 * decimal the author wrote, not 1.0 as the binary double would give.
 */

/** Largest CQL Integer, 2^31 − 1. */
export const MAX_INTEGER = 2147483647;
/** Smallest CQL Integer, −2^31. */
export const MIN_INTEGER = -2147483648;
/** Largest CQL Long, 2^63 − 1 (as the nearest double). */
export const MAX_LONG = 2 ** 63 - 1;
/** Smallest CQL Long, −2^63. */
export const MIN_LONG = -(2 ** 63);
/** Largest CQL Decimal, (10^28 − 1) / 10^8 (as the nearest double). */
export const MAX_DECIMAL = (1e28 - 1) / 1e8;
/** Smallest CQL Decimal. */
export const MIN_DECIMAL = -MAX_DECIMAL;
/** The Decimal step: 10^−8 (CQL 1.5 Successor/Predecessor). */
export const DECIMAL_STEP = 1e-8;

/** The numeric kinds the arithmetic operators tell apart. */
export type NumericKind = 'Integer' | 'Long' | 'Decimal';

/** The number when it is a CQL Integer (32-bit, whole), else null (overflow). */
export function checkInteger(x: number): number | null {
  return Number.isInteger(x) && x >= MIN_INTEGER && x <= MAX_INTEGER ? noNegZero(x) : null;
}

/** The number when it is a CQL Long, else null. */
export function checkLong(x: number): number | null {
  return Number.isInteger(x) && x >= MIN_LONG && x <= MAX_LONG ? noNegZero(x) : null;
}

/** The number rounded to 8 places when it is a representable CQL Decimal, else null. */
export function checkDecimal(x: number): number | null {
  if (!Number.isFinite(x) || x > MAX_DECIMAL || x < MIN_DECIMAL) return null;
  return roundHalfAway(x, 8);
}

/** Range check for a result of the given kind (null on overflow, NaN or infinity). */
export function checkKind(x: number, kind: NumericKind): number | null {
  switch (kind) {
    case 'Integer':
      return checkInteger(x);
    case 'Long':
      return checkLong(x);
    case 'Decimal':
      return checkDecimal(x);
  }
}

/** −0 as 0 (CQL has no negative zero). */
export function noNegZero(x: number): number {
  return x === 0 ? 0 : x;
}

/**
 * The plain decimal text of a finite number (no exponent): its shortest round-trip digits,
 * e.g. `1e-7` → `'0.0000001'`, `1.5e21` → `'1500000000000000000000'`.
 */
export function plainDecimal(x: number): string {
  const s = String(Math.abs(x));
  const sign = x < 0 ? '-' : '';
  const e = s.indexOf('e');
  if (e < 0) return sign + s;
  const mantissa = s.slice(0, e);
  const exp = Number(s.slice(e + 1));
  const dot = mantissa.indexOf('.');
  const digits = mantissa.replace('.', '');
  const intLen = (dot < 0 ? mantissa.length : dot) + exp;
  if (intLen <= 0) return `${sign}0.${'0'.repeat(-intLen)}${digits}`;
  if (intLen >= digits.length) return sign + digits + '0'.repeat(intLen - digits.length);
  return `${sign}${digits.slice(0, intLen)}.${digits.slice(intLen)}`;
}

/** Digits after the decimal point in the number's shortest text (0 for a whole number). */
export function scaleOf(x: number): number {
  const s = plainDecimal(x);
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : s.length - dot - 1;
}

/** Digits after the decimal point in a decimal literal's text (`'1.58700'` → 5). */
export function scaleOfText(text: string): number {
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
}

/**
 * Rounds to `places` decimal places, halves away from zero (CQL 1.5 Round: 0.5 → 1, −0.5 → −1),
 * on the number's decimal text. Negative `places` rounds to tens, hundreds …
 */
export function roundHalfAway(x: number, places: number): number {
  if (!Number.isFinite(x)) return x;
  if (scaleOf(x) <= places) return noNegZero(x);
  const neg = x < 0;
  const text = plainDecimal(Math.abs(x));
  const dot = text.indexOf('.');
  const intPart = dot < 0 ? text : text.slice(0, dot);
  const frac = dot < 0 ? '' : text.slice(dot + 1);
  // Work on an integer of digits with `places` kept after the point.
  const all = intPart + frac;
  const keep = intPart.length + places;
  if (keep < 0) return 0;
  const head = all.slice(0, keep) || '0';
  const next = all.charCodeAt(keep) - 48;
  let digits = head.split('').map(Number);
  if (next >= 5) {
    let i = digits.length - 1;
    for (; i >= 0; i--) {
      const d = (digits[i] ?? 0) + 1;
      if (d < 10) {
        digits[i] = d;
        break;
      }
      digits[i] = 0;
    }
    if (i < 0) digits = [1, ...digits];
  }
  const headText = digits.join('');
  let out: string;
  if (places >= 0) {
    const ip = headText.slice(0, headText.length - places) || '0';
    const fp = headText.slice(headText.length - places);
    out = places > 0 ? `${ip}.${fp}` : ip;
  } else {
    out = headText + '0'.repeat(-places);
  }
  const v = Number(out);
  return noNegZero(neg ? -v : v);
}

/** Truncates toward zero at `places` decimal places (on the decimal text). */
export function truncatePlaces(x: number, places: number): number {
  const text = plainDecimal(x);
  const dot = text.indexOf('.');
  if (dot < 0 || text.length - dot - 1 <= places) return x;
  return noNegZero(Number(text.slice(0, places > 0 ? dot + 1 + places : dot)));
}

/**
 * The text of a Decimal as CQL's ToString prints it, `(-)?#0.0#`: at least one digit after the
 * point (`1` → `'1.0'`, `0.1` → `'0.1'`). With a known scale (a literal `1.50`), pads to it.
 */
export function formatDecimal(x: number, scale?: number): string {
  let s = plainDecimal(noNegZero(x));
  const dot = s.indexOf('.');
  const have = dot < 0 ? 0 : s.length - dot - 1;
  const want = Math.max(1, scale ?? 1, have);
  if (dot < 0) s += '.';
  return s + '0'.repeat(want - have);
}

const DECIMAL_TEXT = /^[+-]?\d+(\.\d+)?$/;
const INTEGER_TEXT = /^[+-]?\d+$/;

/** Parses `(+|-)?#0(.0#)?` (CQL 1.5 ToDecimal); null when malformed or out of range. */
export function parseDecimal(s: string): number | null {
  const t = s;
  if (!DECIMAL_TEXT.test(t)) return null;
  return checkDecimal(Number(t));
}

/** Parses `(+|-)?#0` as an Integer (CQL 1.5 ToInteger); null when malformed or out of range. */
export function parseInteger(s: string): number | null {
  const t = s;
  return INTEGER_TEXT.test(t) ? checkInteger(Number(t)) : null;
}

/** Parses `(+|-)?#0` as a Long (CQL 1.5 ToLong); null when malformed or out of range. */
export function parseLong(s: string): number | null {
  const t = s;
  if (!INTEGER_TEXT.test(t)) return null;
  const digits = t.replace(/^[+-]/, '').replace(/^0+(?=\d)/, '');
  // Range on the text: doubles cannot tell 2^63 − 1 from 2^63.
  if (digits.length > 19 || (digits.length === 19 && digits > (t.startsWith('-') ? '9223372036854775808' : '9223372036854775807'))) return null;
  return noNegZero(Number(t));
}
