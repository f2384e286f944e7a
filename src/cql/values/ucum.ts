/**
 * Unit conversion for CQL quantities: UCUM units (https://ucum.org/ucum) and CQL's calendar duration
 * words (CQL 1.5 §2.5 Quantities, Appendix B Equal/Equivalent on quantities).
 *
 * Most clinical units are handled here natively: a small UCUM parser (prefixes, `.`, `/`, exponents,
 * parentheses, `{annotations}`, `10*n`) over a table of the common atoms (SI and metric units, time,
 * volume, `mm[Hg]`, `%`, US customary length/mass/volume, arbitrary units such as `[IU]`). Importing
 * `@lhncbc/ucum-lhc` costs about 264 KB minified / 59 KB gzip (its unit table alone is 221 KB), more
 * than a third of the rules chunk's budget, so the library is only a fallback for units the table
 * does not know (Celsius, Fahrenheit, rare atoms): {@link loadUcumLibrary} imports it on demand
 * (its own chunk in a browser build) and installs it; until then such units are not convertible.
 *
 * Calendar durations (CQL 1.5 §2.5): `week`, `day`, `hour`, `minute`, `second`, `millisecond` (and
 * plurals) are the UCUM `wk`, `d`, `h`, `min`, `s`, `ms`. `year` and `month` are calendar units:
 * 1 year = 12 months, but for equality and ordering they are not comparable with UCUM time units
 * (`1 year = 1 'a'` and `1 year = 365 days` are null). For equivalence they are: `1 year ~ 1 'a'`,
 * `1 month ~ 1 'mo'`, `1 year ~ 365 days`, `1 month ~ 30 days`.
 */

/** How calendar years and months relate to UCUM time units: `equal` (=, <, +) or `equivalent` (~). */
export type UnitMode = 'equal' | 'equivalent';

/** A parsed unit: a factor to the base units and the powers of each base dimension. */
interface Canonical {
  readonly factor: number;
  /** Sorted `dim^power` pairs joined, e.g. `g.m-3`; '' for dimensionless. */
  readonly dims: string;
}

type DimMap = Map<string, number>;

interface Atom {
  readonly value: number;
  /** Definition in other units ('' = a base dimension named by the atom itself). */
  readonly def: string;
  readonly metric: boolean;
}

const atom = (value: number, def: string, metric: boolean): Atom => ({ value, def, metric });

/** UCUM atoms the native path knows (values from the UCUM tables). */
const ATOMS: Readonly<Record<string, Atom>> = {
  // base units
  m: atom(1, '', true),
  s: atom(1, '', true),
  g: atom(1, '', true),
  rad: atom(1, '', true),
  K: atom(1, '', true),
  C: atom(1, '', true),
  cd: atom(1, '', true),
  // dimensionless
  '10*': atom(10, '1', false),
  '10^': atom(10, '1', false),
  '%': atom(1e-2, '1', false),
  '[ppth]': atom(1e-3, '1', false),
  '[ppm]': atom(1e-6, '1', false),
  '[ppb]': atom(1e-9, '1', false),
  '[pi]': atom(Math.PI, '1', false),
  mol: atom(6.0221367e23, '1', true),
  sr: atom(1, 'rad2', true),
  // SI derived
  Hz: atom(1, 's-1', true),
  N: atom(1, 'kg.m/s2', true),
  Pa: atom(1, 'N/m2', true),
  J: atom(1, 'N.m', true),
  W: atom(1, 'J/s', true),
  A: atom(1, 'C/s', true),
  V: atom(1, 'J/C', true),
  F: atom(1, 'C/V', true),
  Ohm: atom(1, 'V/A', true),
  S: atom(1, 'Ohm-1', true),
  Wb: atom(1, 'V.s', true),
  T: atom(1, 'Wb/m2', true),
  H: atom(1, 'Wb/A', true),
  lm: atom(1, 'cd.sr', true),
  lx: atom(1, 'lm/m2', true),
  Bq: atom(1, 's-1', true),
  Gy: atom(1, 'J/kg', true),
  Sv: atom(1, 'J/kg', true),
  // other metric
  L: atom(1, 'dm3', true),
  l: atom(1, 'dm3', true),
  ar: atom(100, 'm2', true),
  t: atom(1e3, 'kg', true),
  u: atom(1.6605402e-24, 'g', true),
  bar: atom(1e5, 'Pa', true),
  eq: atom(1, 'mol', true),
  osm: atom(1, 'mol', true),
  'g%': atom(1, 'g/dL', true),
  kat: atom(1, 'mol/s', true),
  U: atom(1, 'umol/min', true),
  cal: atom(4.184, 'J', true),
  'm[Hg]': atom(133.322, 'kPa', true),
  'm[H2O]': atom(9.80665, 'kPa', true),
  // time
  min: atom(60, 's', false),
  h: atom(60, 'min', false),
  d: atom(24, 'h', false),
  wk: atom(7, 'd', false),
  a_j: atom(365.25, 'd', false),
  a_t: atom(365.24219, 'd', false),
  a_g: atom(365.2425, 'd', false),
  a: atom(1, 'a_j', false),
  mo_j: atom(1, 'a_j/12', false),
  mo_g: atom(1, 'a_g/12', false),
  mo_s: atom(29.53059, 'd', false),
  mo: atom(1, 'mo_j', false),
  // angle, other
  deg: atom((2 * Math.PI) / 360, 'rad', false),
  Ao: atom(0.1, 'nm', false),
  '[Cal]': atom(1, 'kcal', false),
  '[g]': atom(9.80665, 'm/s2', false),
  // US customary / international
  '[in_i]': atom(2.54, 'cm', false),
  '[ft_i]': atom(12, '[in_i]', false),
  '[yd_i]': atom(3, '[ft_i]', false),
  '[mi_i]': atom(5280, '[ft_i]', false),
  '[gr]': atom(64.79891, 'mg', false),
  '[lb_av]': atom(7000, '[gr]', false),
  '[oz_av]': atom(1 / 16, '[lb_av]', false),
  '[lbf_av]': atom(1, '[lb_av].[g]', false),
  '[psi]': atom(1, '[lbf_av]/[in_i]2', false),
  '[gal_us]': atom(231, '[in_i]3', false),
  '[qt_us]': atom(1 / 4, '[gal_us]', false),
  '[pt_us]': atom(1 / 2, '[qt_us]', false),
  '[foz_us]': atom(1 / 16, '[pt_us]', false),
  '[cup_us]': atom(8, '[foz_us]', false),
  '[tbs_us]': atom(1 / 2, '[foz_us]', false),
  '[tsp_us]': atom(1 / 3, '[tbs_us]', false),
  '[drp]': atom(1 / 20, 'mL', false),
};

/** Arbitrary units: each is its own dimension, convertible only through its prefixes. */
const ARBITRARY = new Set(["[IU]", "[iU]", "[arb'U]", "[USP'U]", "[CFU]", "[PFU]", "[FFU]", "[HPF]", "[LPF]", "[AU]", "[BAU]", "[APL'U]", "[GPL'U]", "[MPL'U]", "[beth'U]", "[todd'U]", "[dye'U]", "[smgy'U]", "[ka'U]", "[knk'U]", "[mclg'U]", "[tb'U]", "[EU]", "[ELU]", "[Lf]", "[D'ag'U]", "[FEU]", "[ppb]"].filter((u) => !(u in ATOMS)));
/** `[IU]` and `[iU]` are the same UCUM unit. */
const ARBITRARY_ALIAS: Readonly<Record<string, string>> = { '[IU]': '[iU]' };

const PREFIXES: Readonly<Record<string, number>> = {
  Y: 24, Z: 21, E: 18, P: 15, T: 12, G: 9, M: 6, k: 3, h: 2, da: 1,
  d: -1, c: -2, m: -3, u: -6, n: -9, p: -12, f: -15, a: -18, z: -21, y: -24,
};

/** CQL calendar words that equal a UCUM unit (CQL 1.5 §2.5 table). */
const DEFINITE_WORDS: Readonly<Record<string, string>> = {
  week: 'wk', weeks: 'wk', day: 'd', days: 'd', hour: 'h', hours: 'h',
  minute: 'min', minutes: 'min', second: 's', seconds: 's', millisecond: 'ms', milliseconds: 'ms',
};
/** Calendar years and months, in months. */
const CALENDAR_MONTHS: Readonly<Record<string, number>> = { year: 12, years: 12, month: 1, months: 1 };
/** The UCUM units that `year` / `month` are equivalent to (CQL 1.5 §2.5). */
const UCUM_YEAR_MONTH = new Set(['a', 'a_j', 'a_g', 'a_t', 'mo', 'mo_j', 'mo_g', 'mo_s']);
const CALENDAR_DIM = '{calendar-month}';

/** The CQL calendar duration word for a unit (`years` → `year`, `'d'` → `day`), or undefined. */
export function calendarWord(unit: string): string | undefined {
  if (unit in CALENDAR_MONTHS || unit in DEFINITE_WORDS) return unit.endsWith('s') ? unit.slice(0, -1) : unit;
  const ucum: Readonly<Record<string, string>> = { a: 'year', mo: 'month', wk: 'week', d: 'day', h: 'hour', min: 'minute', s: 'second', ms: 'millisecond' };
  return ucum[unit];
}

/** True for a calendar duration keyword (singular or plural), as opposed to a UCUM unit. */
export function isCalendarUnit(unit: string): boolean {
  return unit in CALENDAR_MONTHS || unit in DEFINITE_WORDS;
}

// ---------------------------------------------------------------------------------------------
// Native UCUM parsing

class UnitSyntaxError extends Error {}

function addDims(into: DimMap, from: DimMap, power: number): void {
  for (const [k, v] of from) {
    const n = (into.get(k) ?? 0) + v * power;
    if (n === 0) into.delete(k);
    else into.set(k, n);
  }
}

function dimsKey(d: DimMap): string {
  return [...d.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => (v === 1 ? k : `${k}${v}`))
    .join('.');
}

interface Parsed {
  factor: number;
  dims: DimMap;
}

const atomCache = new Map<string, Parsed>();

function resolveAtom(name: string, depth: number): Parsed {
  const cached = atomCache.get(name);
  if (cached) return cached;
  const a = ATOMS[name];
  let out: Parsed;
  if (a) {
    if (a.def === '') out = { factor: a.value, dims: new Map([[name, 1]]) };
    else {
      const inner = parseTerm(a.def, depth + 1);
      out = { factor: a.value * inner.factor, dims: inner.dims };
    }
  } else if (ARBITRARY.has(name)) {
    out = { factor: 1, dims: new Map([[ARBITRARY_ALIAS[name] ?? name, 1]]) };
  } else {
    throw new UnitSyntaxError(name);
  }
  atomCache.set(name, out);
  return out;
}

function isMetric(name: string): boolean {
  return ATOMS[name]?.metric ?? ARBITRARY.has(name);
}

/** A symbol without its exponent: an atom, or a prefix and a metric atom. */
function resolveSymbol(sym: string, depth: number): Parsed {
  if (sym in ATOMS || ARBITRARY.has(sym)) return resolveAtom(sym, depth);
  for (const len of [2, 1]) {
    const p = sym.slice(0, len);
    const exp = PREFIXES[p];
    const rest = sym.slice(len);
    if (exp !== undefined && rest !== '' && isMetric(rest)) {
      const base = resolveAtom(rest, depth);
      return { factor: 10 ** exp * base.factor, dims: base.dims };
    }
  }
  throw new UnitSyntaxError(sym);
}

/** Parses a UCUM term (c/s form) into a factor and dimensions; throws on a unit it does not know. */
function parseTerm(text: string, depth = 0): Parsed {
  if (depth > 12) throw new UnitSyntaxError(text);
  let i = 0;
  const factorDims: Parsed = { factor: 1, dims: new Map() };

  const component = (): Parsed => {
    if (text[i] === '(') {
      i++;
      const start = i;
      let level = 1;
      while (i < text.length && level > 0) {
        if (text[i] === '(') level++;
        else if (text[i] === ')') level--;
        i++;
      }
      if (level !== 0) throw new UnitSyntaxError(text);
      const inner = parseTerm(text.slice(start, i - 1), depth + 1);
      const m = /^[+-]?\d+/.exec(text.slice(i));
      const power = m ? Number(m[0]) : 1;
      if (m) i += m[0].length;
      skipAnnotation();
      const dims: DimMap = new Map();
      addDims(dims, inner.dims, power);
      return { factor: inner.factor ** power, dims };
    }
    if (text[i] === '{') {
      skipAnnotation();
      return { factor: 1, dims: new Map() };
    }
    const start = i;
    let bracket = 0;
    while (i < text.length) {
      const c = text[i];
      if (c === '[') bracket++;
      else if (c === ']') bracket--;
      else if (bracket === 0 && (c === '.' || c === '/' || c === '(' || c === ')' || c === '{')) break;
      i++;
    }
    if (bracket !== 0) throw new UnitSyntaxError(text);
    const sym = text.slice(start, i);
    skipAnnotation();
    if (sym === '') throw new UnitSyntaxError(text);
    if (/^\d+$/.test(sym)) return { factor: Number(sym), dims: new Map() };
    // Trailing exponent; `10*3` is the atom `10*` to the 3rd.
    const m = /^(.*?[^\d+-])([+-]?\d+)$/.exec(sym);
    const name = m?.[1] ?? sym;
    const power = m?.[2] !== undefined ? Number(m[2]) : 1;
    const base = resolveSymbol(name, depth);
    const dims: DimMap = new Map();
    addDims(dims, base.dims, power);
    return { factor: base.factor ** power, dims };
  };

  const skipAnnotation = (): void => {
    if (text[i] !== '{') return;
    const end = text.indexOf('}', i);
    if (end < 0) throw new UnitSyntaxError(text);
    i = end + 1;
  };

  const apply = (c: Parsed, power: number): void => {
    factorDims.factor *= c.factor ** power;
    addDims(factorDims.dims, c.dims, power);
  };

  if (text[0] === '/') {
    i = 1;
    apply(component(), -1);
  } else {
    apply(component(), 1);
  }
  while (i < text.length) {
    const op = text[i];
    i++;
    if (op === '.') apply(component(), 1);
    else if (op === '/') apply(component(), -1);
    else throw new UnitSyntaxError(text);
  }
  return factorDims;
}

const canonicalCache = new Map<string, Canonical | null>();

/** The unit's native canonical form (calendar words included), or null when the table cannot say. */
function nativeCanonical(unit: string): Canonical | null {
  const hit = canonicalCache.get(unit);
  if (hit !== undefined) return hit;
  let out: Canonical | null;
  const months = CALENDAR_MONTHS[unit];
  if (months !== undefined) out = { factor: months, dims: CALENDAR_DIM };
  else {
    const u = DEFINITE_WORDS[unit] ?? unit;
    try {
      const p = u === '' || u === '1' ? { factor: 1, dims: new Map<string, number>() } : parseTerm(u);
      out = Number.isFinite(p.factor) && p.factor !== 0 ? { factor: p.factor, dims: dimsKey(p.dims) } : null;
    } catch (e) {
      if (!(e instanceof UnitSyntaxError)) throw e;
      out = null;
    }
  }
  canonicalCache.set(unit, out);
  return out;
}

// ---------------------------------------------------------------------------------------------
// The ucum-lhc fallback

/** Converts `value` from one UCUM unit to another, or returns null; installed by {@link loadUcumLibrary}. */
export type UcumFallback = (value: number, from: string, to: string) => number | null;

let fallback: UcumFallback | undefined;
const factorCache = new Map<string, number | null>();

/** Installs a converter for the units the native table does not know (tests may install a fake). */
export function installUcumFallback(f: UcumFallback | undefined): void {
  fallback = f;
  factorCache.clear();
}

/** Whether the ucum-lhc fallback is installed. */
export function hasUcumFallback(): boolean {
  return fallback !== undefined;
}

interface UcumLhcModule {
  readonly UcumLhcUtils: {
    getInstance(): { convertUnitTo(from: string, value: number, to: string): { status: string; toVal: number | null } };
  };
}

/**
 * Imports `@lhncbc/ucum-lhc` (a separate chunk in the browser build) and installs it as the fallback
 * for units the native table does not know. Safe to call more than once.
 *
 * @example
 * await loadUcumLibrary();
 * convertUnit(98.6, '[degF]', 'Cel'); // 37
 */
export async function loadUcumLibrary(): Promise<void> {
  if (fallback) return;
  const mod = (await import('@lhncbc/ucum-lhc')) as unknown as Partial<UcumLhcModule> & { default?: UcumLhcModule };
  const lib = mod.UcumLhcUtils ?? mod.default?.UcumLhcUtils;
  if (!lib) throw new Error('ucum-lhc: UcumLhcUtils not found');
  const utils = lib.getInstance();
  installUcumFallback((value, from, to) => {
    const r = utils.convertUnitTo(from, value, to);
    return r.status === 'succeeded' && typeof r.toVal === 'number' && Number.isFinite(r.toVal) ? r.toVal : null;
  });
}

// ---------------------------------------------------------------------------------------------
// Public conversion

/** 15 significant digits: enough for any unit factor, and it removes binary noise (1e-6 / 1e-3). */
function clean(x: number): number {
  return x === 0 ? 0 : Number(x.toPrecision(15));
}

function ucumFor(unit: string): string {
  return unit === '' ? '1' : (DEFINITE_WORDS[unit] ?? unit);
}

/**
 * The multiplier from `from` to `to` (`value_in_to = value_in_from × factor`), or null when the units
 * are not comparable. Cached per unit pair and mode. Units with an offset (Celsius) have no factor.
 */
export function conversionFactor(from: string, to: string, mode: UnitMode = 'equal'): number | null {
  if (from === to) return 1;
  const key = `${mode}\u0000${from}\u0000${to}`;
  const hit = factorCache.get(key);
  if (hit !== undefined) return hit;
  const f = computeFactor(from, to, mode);
  factorCache.set(key, f);
  return f;
}

function computeFactor(from: string, to: string, mode: UnitMode): number | null {
  let a = from;
  let b = to;
  if (mode === 'equivalent') {
    // CQL 1.5 §2.5: year ~ 'a', month ~ 'mo'; otherwise year ~ 365 days, month ~ 30 days.
    [a, b] = [equivalentCalendar(a, b), equivalentCalendar(b, a)];
  }
  const ca = nativeCanonical(a);
  const cb = nativeCanonical(b);
  if (ca && cb) return ca.dims === cb.dims ? clean(ca.factor / cb.factor) : null;
  if (!fallback) return null;
  // Calendar years/months never go to UCUM in equal mode (they are not comparable with 'a').
  if (a in CALENDAR_MONTHS || b in CALENDAR_MONTHS) return null;
  const r = fallback(1, ucumFor(a), ucumFor(b));
  // Only ratio units have a factor; check it is linear through zero (Celsius is not).
  if (r === null) return null;
  const zero = fallback(0, ucumFor(a), ucumFor(b));
  return zero !== null && Math.abs(zero) < 1e-12 ? clean(r) : null;
}

function equivalentCalendar(unit: string, other: string): string {
  const months = CALENDAR_MONTHS[unit];
  if (months === undefined || other in CALENDAR_MONTHS) return unit;
  if (UCUM_YEAR_MONTH.has(other)) return months === 12 ? 'a' : 'mo';
  return months === 12 ? '365.d' : '30.d';
}

/**
 * Converts `value` from unit `from` to unit `to`: the converted value, or null when the units are not
 * comparable (different dimensions, unknown units, or calendar years/months against UCUM time units
 * in `equal` mode, CQL 1.5 Appendix B Equal). Handles units with an offset (Celsius) through the
 * ucum-lhc fallback when it is loaded.
 *
 * @example
 * convertUnit(5, 'mg', 'g'); // 0.005
 * convertUnit(1, 'year', 'months'); // 12
 * convertUnit(1, 'year', 'd'); // null
 * convertUnit(1, 'year', 'd', 'equivalent'); // 365
 */
export function convertUnit(value: number, from: string, to: string, mode: UnitMode = 'equal'): number | null {
  const f = conversionFactor(from, to, mode);
  if (f !== null) return value * f;
  if (!fallback || from in CALENDAR_MONTHS || to in CALENDAR_MONTHS) return null;
  if (nativeCanonical(from) && nativeCanonical(to)) return null;
  return fallback(value, ucumFor(from), ucumFor(to));
}

/** Whether quantities in the two units can be compared (and added) under `mode`. */
export function unitsComparable(a: string, b: string, mode: UnitMode = 'equal'): boolean {
  return conversionFactor(a, b, mode) !== null || (convertUnit(1, a, b, mode) !== null);
}

/** Whether the unit is a valid UCUM unit or calendar word as far as the engine can tell. */
export function isKnownUnit(unit: string): boolean {
  if (nativeCanonical(unit)) return true;
  return fallback ? fallback(1, ucumFor(unit), ucumFor(unit)) !== null : false;
}

/** The size of one `unit` in its base units (for choosing the more granular unit), or null. */
export function unitMagnitude(unit: string): number | null {
  return nativeCanonical(unit)?.factor ?? null;
}

// ---------------------------------------------------------------------------------------------
// Unit algebra for Multiply and Divide

/** Splits a unit into `symbol → power` (symbols keep prefixes and annotations), or null when it is not a plain product. */
function symbolPowers(unit: string): Map<string, number> | null {
  const out = new Map<string, number>();
  if (unit === '' || unit === '1') return out;
  const u = DEFINITE_WORDS[unit] ?? unit;
  if (u.includes('(')) return null;
  const parts = u.split(/(?=[./])/);
  for (const [idx, part] of parts.entries()) {
    let sign = 1;
    let p = part;
    if (p.startsWith('/')) {
      sign = -1;
      p = p.slice(1);
    } else if (p.startsWith('.')) p = p.slice(1);
    else if (idx !== 0) return null;
    if (p === '' || /^\d+$/.test(p)) {
      if (p === '1' || p === '') continue;
      return null;
    }
    const ann = /\{[^}]*\}$/.exec(p)?.[0] ?? '';
    const bare = p.slice(0, p.length - ann.length);
    const m = /^(.*?[^\d+-])([+-]?\d+)$/.exec(bare);
    const sym = (m?.[1] ?? bare) + ann;
    const pow = (m?.[2] !== undefined ? Number(m[2]) : 1) * sign;
    const n = (out.get(sym) ?? 0) + pow;
    if (n === 0) out.delete(sym);
    else out.set(sym, n);
  }
  return out;
}

function renderPowers(p: Map<string, number>): string {
  const num = [...p].filter(([, n]) => n > 0).map(([s, n]) => (n === 1 ? s : `${s}${n}`));
  const den = [...p].filter(([, n]) => n < 0).map(([s, n]) => (n === -1 ? s : `${s}${-n}`));
  if (num.length === 0 && den.length === 0) return '1';
  const d = den.length === 0 ? '' : den.length === 1 ? `/${den[0] ?? ''}` : `/(${den.join('.')})`;
  return num.join('.') + d;
}

function combine(a: string, b: string, sign: 1 | -1): string {
  const pa = symbolPowers(a);
  const pb = symbolPowers(b);
  if (pa && pb) {
    for (const [s, n] of pb) {
      const v = (pa.get(s) ?? 0) + n * sign;
      if (v === 0) pa.delete(s);
      else pa.set(s, v);
    }
    return renderPowers(pa);
  }
  const wrap = (u: string): string => (/[./]/.test(u) ? `(${u})` : u);
  if (sign === 1) return `${wrap(a)}.${wrap(b)}`;
  return a === b ? '1' : `${wrap(a)}/${wrap(b)}`;
}

/** The unit of a product (`'cm'` × `'cm2'` → `'cm3'`, `'1'` is neutral), CQL 1.5 Multiply. */
export function multiplyUnits(a: string, b: string): string {
  return combine(a, b, 1);
}

/** The unit of a quotient (`'cm2'` / `'cm'` → `'cm'`, equal units → `'1'`), CQL 1.5 Divide. */
export function divideUnits(a: string, b: string): string {
  return combine(a, b, -1);
}
