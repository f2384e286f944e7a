/**
 * The comparable normal form of a CQL value: what both Careloop's ELM engine and the reference engine
 * (cql-execution) are reduced to before a differential test compares them.
 *
 * - Decimals are rounded to 8 decimal places ({@link roundDecimal}); integers stay as they are (CQL
 *   Integer and a whole Decimal are both a JavaScript number here, so `1` and `1.0` compare equal).
 * - Date/DateTime/Time values keep their precision: the string stops at the last known field.
 * - DateTime offsets are in hours (`-5.5` for -05:30), `null` when the value has none.
 * - Tuples keep their elements under keys in sorted order ({@link tuple} sorts them).
 * - FHIR resources reduce to their type and id; other FHIR elements to their raw JSON.
 * - An uncertainty (the result of a `duration`/`difference` between imprecise dates) is reported as
 *   the closed interval of its possible values, as the specification describes it.
 */
export type Comparable =
  | null
  | boolean
  | number
  | string
  | readonly Comparable[]
  | { readonly type: 'Date'; readonly value: string }
  | { readonly type: 'DateTime'; readonly value: string; readonly offset: number | null }
  | { readonly type: 'Time'; readonly value: string }
  | { readonly type: 'Quantity'; readonly value: number; readonly unit: string }
  | { readonly type: 'Ratio'; readonly numerator: Comparable; readonly denominator: Comparable }
  | {
      readonly type: 'Code';
      readonly code: string;
      readonly system: string | null;
      readonly version: string | null;
      readonly display: string | null;
    }
  | { readonly type: 'Concept'; readonly codes: readonly Comparable[]; readonly display: string | null }
  | {
      readonly type: 'Interval';
      readonly low: Comparable;
      readonly high: Comparable;
      readonly lowClosed: boolean;
      readonly highClosed: boolean;
    }
  | { readonly type: 'Tuple'; readonly elements: Readonly<Record<string, Comparable>> }
  | { readonly type: 'Resource'; readonly resourceType: string; readonly id: string | null }
  | { readonly type: 'FHIR'; readonly fhirType: string; readonly json: unknown };

/** A define whose evaluation failed: kept apart from values so one failure hides nothing else. */
export interface EvaluationError {
  readonly error: string;
}

/** The structured (object) members of {@link Comparable}. */
export type StructuredComparable = Extract<Comparable, { readonly type: string }>;

/**
 * Rounds a Decimal to 8 decimal places, the precision the CQL specification guarantees; integers
 * (and numbers too large to scale safely) are returned unchanged.
 */
export function roundDecimal(x: number): number {
  if (Number.isInteger(x) || Math.abs(x) >= 1e7) return x;
  const rounded = Math.round(x * 1e8) / 1e8;
  return Object.is(rounded, -0) ? 0 : rounded;
}

/** Builds a tuple with its keys in sorted order, so that key order never makes two tuples differ. */
export function tuple(elements: Readonly<Record<string, Comparable>>): StructuredComparable {
  const sorted: Record<string, Comparable> = {};
  for (const key of Object.keys(elements).sort()) sorted[key] = elements[key] ?? null;
  return { type: 'Tuple', elements: sorted };
}

/** True when `value` is a structured {@link Comparable} (an object with a `type`), not a list. */
export function isStructured(value: Comparable): value is StructuredComparable {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True when `value` is an {@link EvaluationError}. */
export function isEvaluationError(value: unknown): value is EvaluationError {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.keys(value).length === 1 &&
    typeof (value as { error?: unknown }).error === 'string'
  );
}

function kindOf(value: Comparable): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'List';
  if (isStructured(value)) return value.type;
  return typeof value;
}

/** JSON with object keys sorted at every level: the stable text of raw FHIR JSON. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record)
      .filter((k) => record[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stableJson(record[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

function quote(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function formatOffset(offset: number): string {
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  const hours = Math.floor(abs);
  const minutes = Math.round((abs - hours) * 60);
  return `${sign}${String(hours).padStart(2, '0')}:${String(minutes).padStart(2, '0')}`;
}

/**
 * A stable, CQL-like text of a {@link Comparable}: the same value always prints the same way, and
 * values that differ print differently (except `1` vs `1.0`, which the normal form does not tell apart).
 *
 * @example formatComparable({ type: 'Quantity', value: 5, unit: 'mg' }) // "5 'mg'"
 */
export function formatComparable(value: Comparable): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  if (typeof value === 'string') return quote(value);
  if (Array.isArray(value)) return `{${value.map(formatComparable).join(', ')}}`;
  const v = value as StructuredComparable;
  switch (v.type) {
    case 'Date':
      return `@${v.value}`;
    case 'DateTime': {
      const hasTime = v.value.includes('T');
      const text = hasTime ? v.value : `${v.value}T`;
      return `@${text}${v.offset === null ? '' : formatOffset(v.offset)}`;
    }
    case 'Time':
      return `@T${v.value}`;
    case 'Quantity':
      return `${v.value} ${quote(v.unit)}`;
    case 'Ratio':
      return `${formatComparable(v.numerator)}:${formatComparable(v.denominator)}`;
    case 'Code':
      return `Code { code: ${quote(v.code)}, system: ${v.system === null ? 'null' : quote(v.system)}, version: ${
        v.version === null ? 'null' : quote(v.version)
      }, display: ${v.display === null ? 'null' : quote(v.display)} }`;
    case 'Concept':
      return `Concept { codes: ${formatComparable(v.codes)}, display: ${v.display === null ? 'null' : quote(v.display)} }`;
    case 'Interval':
      return `Interval${v.lowClosed ? '[' : '('}${formatComparable(v.low)}, ${formatComparable(v.high)}${v.highClosed ? ']' : ')'}`;
    case 'Tuple': {
      const keys = Object.keys(v.elements).sort();
      if (keys.length === 0) return 'Tuple { }';
      return `Tuple { ${keys.map((k) => `${k}: ${formatComparable(v.elements[k] ?? null)}`).join(', ')} }`;
    }
    case 'Resource':
      return `${v.resourceType}/${v.id ?? '(no id)'}`;
    case 'FHIR':
      return `FHIR.${v.fhirType} ${stableJson(v.json)}`;
    default: {
      const unreachable: never = v;
      return String(unreachable);
    }
  }
}

function describe(path: string, a: Comparable, b: Comparable, what?: string): string {
  return `${path}${what === undefined ? '' : ` (${what})`}: ${formatComparable(a)} ≠ ${formatComparable(b)}`;
}

function keyPath(path: string, key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function diffAt(path: string, a: Comparable, b: Comparable): string | undefined {
  if (a === b) return undefined;
  const ka = kindOf(a);
  const kb = kindOf(b);
  if (ka !== kb) return describe(path, a, b, `${ka} vs ${kb}`);
  if (typeof a === 'number' && typeof b === 'number') {
    return roundDecimal(a) === roundDecimal(b) ? undefined : describe(path, a, b);
  }
  if (!isStructured(a) || !isStructured(b)) {
    if (Array.isArray(a) && Array.isArray(b)) {
      const la = a as readonly Comparable[];
      const lb = b as readonly Comparable[];
      const n = Math.min(la.length, lb.length);
      for (let i = 0; i < n; i++) {
        const d = diffAt(`${path}[${i}]`, la[i] ?? null, lb[i] ?? null);
        if (d !== undefined) return d;
      }
      if (la.length !== lb.length) return describe(path, a, b, `length ${la.length} vs ${lb.length}`);
      return undefined;
    }
    return describe(path, a, b);
  }
  switch (a.type) {
    case 'Date':
    case 'Time':
      return a.value === (b as typeof a).value ? undefined : describe(path, a, b);
    case 'DateTime': {
      const other = b as typeof a;
      return a.value === other.value && a.offset === other.offset ? undefined : describe(path, a, b);
    }
    case 'Quantity': {
      const other = b as typeof a;
      if (a.unit !== other.unit) return describe(path, a, b, 'unit');
      return roundDecimal(a.value) === roundDecimal(other.value) ? undefined : describe(path, a, b);
    }
    case 'Ratio': {
      const other = b as typeof a;
      return diffAt(`${path}.numerator`, a.numerator, other.numerator) ?? diffAt(`${path}.denominator`, a.denominator, other.denominator);
    }
    case 'Code': {
      const other = b as typeof a;
      for (const field of ['code', 'system', 'version', 'display'] as const) {
        if (a[field] !== other[field]) return describe(`${path}.${field}`, a[field], other[field]);
      }
      return undefined;
    }
    case 'Concept': {
      const other = b as typeof a;
      if (a.display !== other.display) return describe(`${path}.display`, a.display, other.display);
      return diffAt(`${path}.codes`, a.codes, other.codes);
    }
    case 'Interval': {
      const other = b as typeof a;
      if (a.lowClosed !== other.lowClosed) return describe(path, a, b, 'lowClosed');
      if (a.highClosed !== other.highClosed) return describe(path, a, b, 'highClosed');
      return diffAt(`${path}.low`, a.low, other.low) ?? diffAt(`${path}.high`, a.high, other.high);
    }
    case 'Tuple': {
      const other = b as typeof a;
      const keys = [...new Set([...Object.keys(a.elements), ...Object.keys(other.elements)])].sort();
      for (const key of keys) {
        const inA = Object.prototype.hasOwnProperty.call(a.elements, key);
        const inB = Object.prototype.hasOwnProperty.call(other.elements, key);
        if (!inA || !inB) return describe(keyPath(path, key), a, b, `element ${key} only in ${inA ? 'left' : 'right'}`);
        const d = diffAt(keyPath(path, key), a.elements[key] ?? null, other.elements[key] ?? null);
        if (d !== undefined) return d;
      }
      return undefined;
    }
    case 'Resource': {
      const other = b as typeof a;
      return a.resourceType === other.resourceType && a.id === other.id ? undefined : describe(path, a, b);
    }
    case 'FHIR': {
      const other = b as typeof a;
      return a.fhirType === other.fhirType && stableJson(a.json) === stableJson(other.json) ? undefined : describe(path, a, b);
    }
    default: {
      const unreachable: never = a;
      return String(unreachable);
    }
  }
}

/**
 * Compares two comparable values; `undefined` when they are the same, otherwise the path of the first
 * difference and both values there. Lists compare in order; decimals after rounding to 8 places.
 *
 * @example diffComparable([1, 2], [1, 3]) // "$[1]: 2 ≠ 3"
 */
export function diffComparable(a: Comparable, b: Comparable): string | undefined {
  return diffAt('$', a, b);
}
