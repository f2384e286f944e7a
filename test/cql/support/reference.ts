/**
 * The reference side of the differential tests: runs ELM through the JavaScript reference engine,
 * `cql-execution` 3.3.2 with `cql-exec-fhir` 2.2.0 (FHIR 4.0.1), and reduces every define's result to
 * the {@link Comparable} normal form that Careloop's own engine is reduced to as well.
 *
 * Each define is evaluated on its own, so a define that throws is recorded in `errors` and does not
 * hide the others (cql-execution's `Executor.exec` stops at the first error).
 *
 * Note on time zones: cql-execution gives a DateTime without an offset the offset of the evaluation
 * request (the execution date-time) and in a few places the machine's own zone; run with `TZ=UTC`
 * (the conformance build sets it) to keep results the same on every machine.
 */
import {
  Code,
  CodeService,
  Concept,
  Date as CqlDate,
  DateTime as CqlDateTime,
  Interval,
  Library,
  PatientContext,
  Quantity,
  Ratio,
  Repository,
  Results,
  UnfilteredContext,
} from 'cql-execution';
import { PatientSource } from 'cql-exec-fhir';
import { roundDecimal, tuple, type Comparable, type EvaluationError } from './comparable.ts';

/** The key under which unfiltered-context (population, no patient) results are recorded. */
export const UNFILTERED = '(unfiltered)';

/** Value-set expansions by OID (or URL), then by version (`''` for the unversioned expansion). */
export type ReferenceValueSets = Record<string, Record<string, { code: string; system: string; version?: string }[]>>;

/** What to evaluate and against which data. */
export interface ReferenceOptions {
  /** ELM JSON of the main library and every library it includes (any order). */
  readonly libraries: readonly object[];
  /** The identifier (`library.identifier.id`) of the main library. */
  readonly main: string;
  /** One FHIR Bundle, or one array of resources, per patient; each holds one Patient resource. */
  readonly patients?: readonly object[];
  readonly valueSets?: ReferenceValueSets;
  /**
   * Parameter values by name: {@link Comparable} values (converted to cql-execution's types), or
   * values already of cql-execution's types (passed as they are).
   */
  readonly parameters?: Record<string, unknown>;
  /** ISO-8601 date-time of the evaluation request, e.g. `2024-06-15T12:00:00.000Z`; defaults to now in UTC. */
  readonly executionDateTime?: string;
}

/**
 * Results by patient id (or {@link UNFILTERED}), then by define name. Defines that threw are not in
 * the map but in {@link ReferenceResults.errors}, under the same keys.
 */
export class ReferenceResults extends Map<string, Map<string, Comparable>> {
  readonly errors = new Map<string, Map<string, EvaluationError>>();

  /** The value or error of one define, `undefined` when it was not evaluated under `key`. */
  result(key: string, define: string): Comparable | EvaluationError | undefined {
    const error = this.errors.get(key)?.get(define);
    if (error !== undefined) return error;
    const values = this.get(key);
    return values?.has(define) === true ? (values.get(define) ?? null) : undefined;
  }

  put(key: string, define: string, result: Comparable | EvaluationError): void {
    if (isErrorResult(result)) {
      let errors = this.errors.get(key);
      if (errors === undefined) this.errors.set(key, (errors = new Map()));
      errors.set(define, result);
    } else {
      let values = this.get(key);
      if (values === undefined) this.set(key, (values = new Map()));
      values.set(define, result);
    }
  }
}

function isErrorResult(result: Comparable | EvaluationError): result is EvaluationError {
  return typeof result === 'object' && result !== null && !Array.isArray(result) && !('type' in result);
}

/** The part of cql-execution's ExpressionDef this module uses. */
interface ReferenceExpressionDef {
  readonly context: string;
  execute(ctx: unknown): Promise<unknown>;
}

interface ElmLibraryJson {
  readonly library: { readonly identifier?: { readonly id?: string; readonly version?: string } };
}

function isElmLibrary(json: object): json is ElmLibraryJson {
  const library = (json as { library?: unknown }).library;
  return typeof library === 'object' && library !== null;
}

function libraryId(json: object): string {
  if (!isElmLibrary(json)) throw new Error('not ELM JSON: no "library" member');
  const id = json.library.identifier?.id;
  if (id === undefined) throw new Error('ELM library without identifier.id');
  return id;
}

/** A resource array becomes a collection Bundle; a Bundle is used as it is. */
function toBundle(patient: object): object {
  if (Array.isArray(patient)) {
    return { resourceType: 'Bundle', type: 'collection', entry: patient.map((resource: unknown) => ({ resource })) };
  }
  return patient;
}

/** The message of the first cause: cql-execution wraps every failure in an AnnotatedError. */
export function errorMessage(e: unknown): string {
  let current: unknown = e;
  for (let depth = 0; depth < 10; depth++) {
    if (current instanceof Error) {
      const cause: unknown = (current as Error & { cause?: unknown }).cause;
      if (cause === undefined || cause === null) return current.message;
      current = cause;
    } else {
      break;
    }
  }
  return typeof current === 'string' ? current : current instanceof Error ? current.message : String(current);
}

async function evaluate(def: ReferenceExpressionDef, ctx: unknown): Promise<{ raw: unknown; result: Comparable | EvaluationError }> {
  let raw: unknown;
  try {
    raw = await def.execute(ctx);
  } catch (e) {
    return { raw: undefined, result: { error: errorMessage(e) } };
  }
  try {
    return { raw, result: toComparable(raw) };
  } catch (e) {
    return { raw, result: { error: `normalise: ${errorMessage(e)}` } };
  }
}

/**
 * Evaluates every define of the main library with cql-execution: the Patient-context defines for each
 * patient, then the Unfiltered-context defines once (with no patients at all for a library that has
 * no `context Patient`).
 *
 * @example
 * const results = await runReference({ libraries: [elm], main: 'ConformanceLogic', executionDateTime: '2024-06-15T12:00:00.000Z' });
 * results.get(UNFILTERED)?.get('And: true and null'); // null
 */
export async function runReference(opts: ReferenceOptions): Promise<ReferenceResults> {
  // cql-exec-fhir prints "Failed to locate element for X.y" for every read of an element its model
  // lacks (a choice read as another type): expected here, and thousands of lines on a large corpus.
  const consoleError = console.error;
  console.error = (...args: unknown[]): void => {
    if (typeof args[0] === 'string' && args[0].startsWith('Failed to locate element for ')) return;
    consoleError(...args);
  };
  try {
    return await runReferenceQuietly(opts);
  } finally {
    console.error = consoleError;
  }
}

async function runReferenceQuietly(opts: ReferenceOptions): Promise<ReferenceResults> {
  const byId: Record<string, object> = {};
  for (const json of opts.libraries) byId[libraryId(json)] = json;
  const mainJson = byId[opts.main];
  if (mainJson === undefined) throw new Error(`main library ${opts.main} is not among the libraries given`);
  const repository = new Repository(byId);
  const library = new Library(mainJson, repository);
  const codeService = new CodeService(opts.valueSets ?? {});
  const parameters: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(opts.parameters ?? {})) parameters[name] = toReferenceValue(value);
  const executionDateTime =
    opts.executionDateTime === undefined ? CqlDateTime.fromJSDate(new globalThis.Date(), 0) : CqlDateTime.parse(opts.executionDateTime);
  if (executionDateTime === null) throw new Error(`executionDateTime ${String(opts.executionDateTime)} is not an ISO-8601 date-time`);

  const defs = Object.entries(library.expressions as Record<string, ReferenceExpressionDef>);
  const results = new ReferenceResults();
  const patientResults = new Results();

  const source = PatientSource.FHIRv401();
  source.loadBundles((opts.patients ?? []).map(toBundle));
  for (let patient = source.currentPatient(); patient !== undefined; patient = source.nextPatient()) {
    const ctx = new PatientContext(library, patient, codeService, parameters, executionDateTime);
    const id = patient.getId();
    const raw: Record<string, unknown> = {};
    for (const [name, def] of defs) {
      if (def.context !== 'Patient') continue;
      const evaluated = await evaluate(def, ctx);
      raw[name] = evaluated.raw;
      results.put(id, name, evaluated.result);
    }
    patientResults.recordPatientResults(ctx, raw);
  }

  const unfiltered = new UnfilteredContext(library, patientResults, codeService, parameters, executionDateTime);
  for (const [name, def] of defs) {
    if (def.context !== 'Unfiltered') continue;
    results.put(UNFILTERED, name, (await evaluate(def, unfiltered)).result);
  }
  return results;
}

// ---------------------------------------------------------------------------------------------
// cql-execution values → Comparable

type Bag = Record<string, unknown>;

function isBag(value: unknown): value is Bag {
  return typeof value === 'object' && value !== null;
}

function flag(value: Bag, name: string): boolean {
  return value[name] === true;
}

function field(value: Bag, name: string): number | null {
  const v = value[name];
  return typeof v === 'number' ? v : null;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** 'YYYY[-MM[-DD]]' up to the first unknown field. */
function dateText(value: Bag): string {
  const year = field(value, 'year');
  if (year === null) throw new Error('date without a year');
  let text = pad(year, 4);
  const month = field(value, 'month');
  if (month === null) return text;
  text += `-${pad(month, 2)}`;
  const day = field(value, 'day');
  if (day === null) return text;
  return `${text}-${pad(day, 2)}`;
}

/** 'HH[:mm[:ss[.fff]]]' up to the first unknown field ('' when there is no hour). */
function timeText(value: Bag): string {
  const hour = field(value, 'hour');
  if (hour === null) return '';
  let text = pad(hour, 2);
  const minute = field(value, 'minute');
  if (minute === null) return text;
  text += `:${pad(minute, 2)}`;
  const second = field(value, 'second');
  if (second === null) return text;
  text += `:${pad(second, 2)}`;
  const millisecond = field(value, 'millisecond');
  return millisecond === null ? text : `${text}.${pad(millisecond, 3)}`;
}

function dateTimeText(value: Bag): string {
  const date = dateText(value);
  if (field(value, 'day') === null || field(value, 'month') === null) return date;
  const time = timeText(value);
  return time === '' ? date : `${date}T${time}`;
}

function isTimeValue(value: Bag): boolean {
  const isTime = value.isTime;
  return typeof isTime === 'function' && (isTime as (this: Bag) => unknown).call(value) === true;
}

/** The FHIR type of a cql-exec-fhir FHIRObject, and whether it is a primitive (a value holder). */
function fhirTypeOf(value: Bag): { name: string; primitive: boolean } | undefined {
  const getTypeInfo = value.getTypeInfo;
  if (typeof getTypeInfo !== 'function') return undefined;
  const info: unknown = (getTypeInfo as (this: Bag) => unknown).call(value);
  if (!isBag(info) || typeof info.name !== 'string') return undefined;
  const name = info.name.replace(/^FHIR\./, '');
  // FHIR primitives (string, dateTime…) and the model info's code-binding classes (e.g.
  // AdministrativeGender), which hold a single `value` element, as cql-exec-fhir treats them.
  const elements = info.elements;
  const onlyValue = Array.isArray(elements) && elements.length === 1 && isBag(elements[0]) && elements[0].name === 'value';
  return { name, primitive: /^[a-z]/.test(name) || onlyValue };
}

function isPlainObject(value: Bag): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Reduces a value produced by cql-execution (or cql-exec-fhir) to its {@link Comparable} form; throws
 * on values the normal form has no place for (a ValueSet or CodeSystem reference, a function).
 */
export function toComparable(value: unknown): Comparable {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`non-finite number ${value}`);
    return roundDecimal(value);
  }
  if (Array.isArray(value)) return value.map((item: unknown) => toComparable(item));
  if (!isBag(value)) throw new Error(`cannot normalise a ${typeof value}`);

  if (flag(value, 'isUncertainty')) {
    const low = toComparable(value.low);
    const high = toComparable(value.high);
    if (typeof low === 'number' && low === high) return low;
    return { type: 'Interval', low, high, lowClosed: true, highClosed: true };
  }
  if (flag(value, 'isDateTime')) {
    if (isTimeValue(value)) return { type: 'Time', value: timeText(value) };
    const offset = value.timezoneOffset;
    return { type: 'DateTime', value: dateTimeText(value), offset: typeof offset === 'number' ? offset : null };
  }
  if (flag(value, 'isDate')) return { type: 'Date', value: dateText(value) };
  if (flag(value, 'isInterval')) {
    return {
      type: 'Interval',
      low: toComparable(value.low),
      high: toComparable(value.high),
      lowClosed: value.lowClosed !== false,
      highClosed: value.highClosed !== false,
    };
  }
  if (flag(value, 'isQuantity')) {
    const amount = value.value;
    if (typeof amount !== 'number') throw new Error('quantity without a numeric value');
    return { type: 'Quantity', value: roundDecimal(amount), unit: typeof value.unit === 'string' ? value.unit : '1' };
  }
  if (flag(value, 'isRatio')) {
    return { type: 'Ratio', numerator: toComparable(value.numerator), denominator: toComparable(value.denominator) };
  }
  if (flag(value, 'isCode')) {
    const text = (name: string): string | null => (typeof value[name] === 'string' ? (value[name] as string) : null);
    return { type: 'Code', code: text('code') ?? '', system: text('system'), version: text('version'), display: text('display') };
  }
  if (flag(value, 'isConcept')) {
    const codes = Array.isArray(value.codes) ? value.codes.map((c: unknown) => toComparable(c)) : [];
    return { type: 'Concept', codes, display: typeof value.display === 'string' ? value.display : null };
  }
  if (flag(value, 'isValueSet')) throw new Error('a ValueSet reference has no comparable form');
  const fhirType = fhirTypeOf(value);
  if (fhirType !== undefined) {
    const json: unknown = value._json;
    if (isBag(json) && typeof json.resourceType === 'string') {
      return { type: 'Resource', resourceType: json.resourceType, id: typeof json.id === 'string' ? json.id : null };
    }
    const raw = fhirType.primitive && isBag(json) && 'value' in json ? json.value : json;
    return { type: 'FHIR', fhirType: fhirType.name, json: raw ?? null };
  }
  if (isPlainObject(value)) {
    const elements: Record<string, Comparable> = {};
    for (const [key, element] of Object.entries(value)) elements[key] = toComparable(element);
    return tuple(elements);
  }
  const ctor: unknown = value.constructor;
  const name = typeof ctor === 'function' ? ctor.name : 'object';
  throw new Error(`cannot normalise a ${name}`);
}

// ---------------------------------------------------------------------------------------------
// Comparable → cql-execution values (parameters)

const structuredTypes = new Set(['Date', 'DateTime', 'Time', 'Quantity', 'Ratio', 'Code', 'Concept', 'Interval', 'Tuple']);

function offsetText(offset: number): string {
  const abs = Math.abs(offset);
  const hours = Math.floor(abs);
  return `${offset < 0 ? '-' : '+'}${pad(hours, 2)}:${pad(Math.round((abs - hours) * 60), 2)}`;
}

/**
 * Converts a {@link Comparable} to the value cql-execution uses for it (for parameters). Values that
 * are not Comparable-shaped, such as cql-execution objects, are returned unchanged.
 */
export function toReferenceValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item: unknown) => toReferenceValue(item));
  if (!isBag(value) || !isPlainObject(value) || typeof value.type !== 'string' || !structuredTypes.has(value.type)) return value;
  const v = value as Exclude<Comparable, null | boolean | number | string | readonly Comparable[]>;
  switch (v.type) {
    case 'Date':
      return CqlDate.parse(v.value);
    case 'DateTime': {
      if (!v.value.includes('T')) {
        // Year, month or day precision: build it field by field so the offset is kept.
        const [y, m, d] = v.value.split('-').map(Number);
        return new CqlDateTime(y ?? null, m ?? null, d ?? null, null, null, null, null, v.offset);
      }
      const parsed = CqlDateTime.parse(v.offset === null ? v.value : `${v.value}${offsetText(v.offset)}`);
      if (parsed !== null && v.offset === null) parsed.timezoneOffset = null;
      return parsed;
    }
    case 'Time':
      return CqlDateTime.parse(`0000-01-01T${v.value}`)?.getTime() ?? null;
    case 'Quantity':
      return new Quantity(v.value, v.unit);
    case 'Ratio':
      return new Ratio(toReferenceValue(v.numerator) as Quantity, toReferenceValue(v.denominator) as Quantity);
    case 'Code':
      return new Code(v.code, v.system ?? undefined, v.version ?? undefined, v.display ?? undefined);
    case 'Concept':
      return new Concept(
        v.codes.map((c) => toReferenceValue(c)),
        v.display ?? undefined,
      );
    case 'Interval':
      return new Interval(toReferenceValue(v.low), toReferenceValue(v.high), v.lowClosed, v.highClosed);
    case 'Tuple': {
      const out: Record<string, unknown> = {};
      for (const [key, element] of Object.entries(v.elements)) out[key] = toReferenceValue(element);
      return out;
    }
    default:
      return value;
  }
}
