/**
 * The FHIR R4 data model for the ELM engine: resources and elements as `FhirValue`s (the JSON with
 * its FHIR type), property access by the R4 type table (choice elements such as `value[x]` found by
 * their typed key), primitives' `value` as CQL system values, and type tests with subtyping.
 * QI-Core types resolve to the FHIR types they profile (src/cql/fhir-r4/qicore.ts).
 */
import { FHIR_NS, QICORE_NS } from '../elm.ts';
import type { ModelAccess, Runtime } from '../compile/types.ts';
import type { ModelValue } from '../values/equality.ts';
import { parseDate, parseDateTime, parseTime } from '../values/datetime.ts';
import { FHIR_R4_TYPES } from './model-r4.ts';
import { conformsTo } from './qicore.ts';

type Json = Readonly<Record<string, unknown>>;

/** A FHIR resource or element with its FHIR type name (`Observation`, `CodeableConcept`, `dateTime`, `Observation.Component`). */
export class FhirValue implements ModelValue {
  constructor(
    readonly fhirType: string,
    /** The element's JSON (for a primitive, the JSON primitive; may be undefined when only `_x` is present). */
    readonly json: unknown,
    /** A primitive's `_x` sibling (id and extensions). */
    readonly ext?: unknown,
  ) {}
  modelEquals(other: unknown): boolean {
    return other instanceof FhirValue && jsonEqual(this.json, other.json);
  }
}

/** Deep equality of JSON values (object keys in any order). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && jsonEqual((a as Json)[k], (b as Json)[k]));
}

interface ElementInfo {
  /** One type, or the choices of a choice element. */
  readonly types: readonly string[];
  readonly list: boolean;
}

const elementCache = new Map<string, Map<string, ElementInfo | null>>();

/** The element's declared type on `fhirType` or its base types; null when unknown. */
export function elementInfo(fhirType: string, name: string): ElementInfo | null {
  let byName = elementCache.get(fhirType);
  if (byName === undefined) elementCache.set(fhirType, (byName = new Map()));
  const cached = byName.get(name);
  if (cached !== undefined) return cached;
  let t: string | undefined = fhirType;
  let found: ElementInfo | null = null;
  while (t) {
    const entry: (typeof FHIR_R4_TYPES)[string] | undefined = FHIR_R4_TYPES[t];
    if (!entry) break;
    const spec = entry[1][name];
    if (spec !== undefined) {
      const list = spec.startsWith('*');
      found = { types: (list ? spec.slice(1) : spec).split('|'), list };
      break;
    }
    t = entry[0] || undefined;
  }
  byName.set(name, found);
  return found;
}

/** The primary code path of a retrievable type (the Retrieve's default code property). */
export function primaryCodePath(fhirType: string): string | undefined {
  return FHIR_R4_TYPES[fhirType]?.[2];
}

/** Whether `fhirType` is `ancestor` or derives from it. */
export function derivesFrom(fhirType: string, ancestor: string): boolean {
  let t: string | undefined = fhirType;
  while (t) {
    if (t === ancestor) return true;
    t = FHIR_R4_TYPES[t]?.[0] || undefined;
  }
  return false;
}

/** The System type of a primitive's `value` (e.g. `System.DateTime` for `dateTime`), or undefined for complex types. */
export function primitiveSystemType(fhirType: string): string | undefined {
  const info = elementInfo(fhirType, 'value');
  const t = info?.types[0];
  return t && t.startsWith('System.') ? t : undefined;
}

const upperFirst = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * Parsed date/time primitives by text, one table per kind and offset: a chart repeats the same few
 * hundred days over thousands of resources, and the values are immutable. A table is cleared when
 * it grows past CACHE_LIMIT.
 */
const CACHE_LIMIT = 20_000;
const parsedDateTimes = new Map<number, Map<string, unknown>>();
const parsedDates = new Map<string, unknown>();
const parsedTimes = new Map<string, unknown>();

function cachedParse(table: Map<string, unknown>, text: string, parse: (text: string) => unknown): unknown {
  const hit = table.get(text);
  if (hit !== undefined) return hit;
  if (table.size >= CACHE_LIMIT) table.clear();
  const v = parse(text);
  table.set(text, v);
  return v;
}

function dateTimeTable(offset: number): Map<string, unknown> {
  let t = parsedDateTimes.get(offset);
  if (t === undefined) parsedDateTimes.set(offset, (t = new Map()));
  return t;
}

/** The converter of a primitive's JSON value to the CQL system value of `systemType`. */
function primitiveConverter(systemType: string | undefined): (json: unknown, rt: Runtime) => unknown {
  switch (systemType) {
    case 'System.DateTime': {
      // The last offset's table: an evaluation runs at one offset.
      let lastOffset = Number.NaN;
      let table = new Map<string, unknown>();
      return (json, rt) => {
        if (typeof json !== 'string') return null;
        const offset = rt.now.offset ?? 0;
        if (offset !== lastOffset) {
          lastOffset = offset;
          table = dateTimeTable(offset);
        }
        const hit = table.get(json);
        return hit !== undefined ? hit : cachedParse(table, json, (t) => parseDateTime(t, offset));
      };
    }
    case 'System.Date':
      return (json) => (typeof json === 'string' ? cachedParse(parsedDates, json, parseDate) : null);
    case 'System.Time':
      return (json) => (typeof json === 'string' ? cachedParse(parsedTimes, json, parseTime) : null);
    case 'System.Decimal':
    case 'System.Integer':
    case 'System.Long':
      return (json) => (typeof json === 'number' ? json : typeof json === 'string' && json.trim() !== '' && Number.isFinite(Number(json)) ? Number(json) : null);
    case 'System.Boolean':
      return (json) => (typeof json === 'boolean' ? json : null);
    case 'System.String':
      return (json) => (typeof json === 'string' ? json : null);
    default:
      return () => null;
  }
}

/** Converters by FHIR type: made once per type, not per conversion. */
const convertersByType = new Map<string, (json: unknown, rt: Runtime) => unknown>();

/** Converts a primitive's JSON value to the CQL system value of its type. */
export function primitiveValue(fhirType: string, json: unknown, rt: Runtime): unknown {
  if (json === null || json === undefined) return null;
  let convert = convertersByType.get(fhirType);
  if (convert === undefined) convertersByType.set(fhirType, (convert = primitiveConverter(primitiveSystemType(fhirType))));
  return convert(json, rt);
}

function wrap(type: string, json: unknown, ext: unknown): FhirValue | null {
  if ((json === undefined || json === null) && (ext === undefined || ext === null)) return null;
  // Elements typed as a resource (contained, Bundle.entry.resource) take their type from the JSON.
  if ((type === 'Resource' || type === 'DomainResource') && typeof json === 'object' && json !== null) {
    const rt = (json as Json)['resourceType'];
    if (typeof rt === 'string') return new FhirValue(rt, json);
  }
  return new FhirValue(type, json, ext);
}

/** Reads one element of values of one FHIR type. */
type ElementReader = (v: FhirValue, rt: Runtime) => unknown;

/**
 * The reader of element `name` on values of `fhirType`: the declared type, list flag and JSON keys
 * (a choice element's typed keys) are resolved once per type, not per value.
 */
function elementReader(fhirType: string, name: string): ElementReader {
  const systemType = name === 'value' ? primitiveSystemType(fhirType) : undefined;
  if (systemType !== undefined) {
    const convert = primitiveConverter(systemType);
    return (v, rt) => {
      const json = v.json;
      return json === null || json === undefined ? null : convert(json, rt);
    };
  }
  const onPrimitive = (v: FhirValue, rt: Runtime): unknown =>
    // A primitive's id and extensions live in its `_x` sibling.
    (name === 'extension' || name === 'id') && typeof v.ext === 'object' && v.ext !== null ? readElement(new FhirValue('Element', v.ext), name, rt) : null;
  const info = elementInfo(fhirType, name);
  if (!info) {
    // Not in the table (an unknown type): read the JSON as a generic element.
    const extKey = `_${name}`;
    return (v, rt) => {
      const json = v.json;
      if (typeof json !== 'object' || json === null) return onPrimitive(v, rt);
      const raw = (json as Json)[name];
      if (raw === undefined) return null;
      return Array.isArray(raw) ? raw.map((x) => wrap('Element', x, undefined)) : wrap('Element', raw, (json as Json)[extKey]);
    };
  }
  // A choice element: the JSON key names the type (valueQuantity, effectiveDateTime); the first present wins.
  const choices = info.types.map((t) => ({ type: t, key: info.types.length > 1 ? name + upperFirst(t) : name }));
  const keyed = choices.map((c) => ({ ...c, extKey: `_${c.key}` }));
  const list = info.list;
  return (v, rt) => {
    const json = v.json;
    if (typeof json !== 'object' || json === null) return onPrimitive(v, rt);
    const obj = json as Json;
    let raw: unknown;
    let ext: unknown;
    let type: string | undefined;
    for (let i = 0; i < keyed.length; i++) {
      const c = keyed[i] as (typeof keyed)[number];
      raw = obj[c.key];
      ext = obj[c.extKey];
      if (raw !== undefined || ext !== undefined) {
        type = c.type;
        break;
      }
    }
    if (type === undefined) return null;
    if (list) {
      const items = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
      const exts = Array.isArray(ext) ? ext : [];
      const n = Math.max(items.length, exts.length);
      const out: FhirValue[] = [];
      for (let i = 0; i < n; i++) {
        const w = wrap(type, items[i], exts[i]);
        if (w) out.push(w);
      }
      return out;
    }
    if (Array.isArray(raw)) return wrap(type, raw[0], Array.isArray(ext) ? ext[0] : ext);
    return wrap(type, raw, ext);
  };
}

const readers = new Map<string, Map<string, ElementReader>>();

/** The cached reader of `name` on `fhirType`. */
function readerFor(fhirType: string, name: string): ElementReader {
  let byType = readers.get(name);
  if (byType === undefined) readers.set(name, (byType = new Map()));
  let r = byType.get(fhirType);
  if (r === undefined) byType.set(fhirType, (r = elementReader(fhirType, name)));
  return r;
}

// An absent list element reads as null, not an empty list (as cql-exec-fhir reads FHIR JSON): the
// readers return null when no key of the element is present.
function readElement(v: FhirValue, name: string, rt: Runtime): unknown {
  return readerFor(v.fhirType, name)(v, rt);
}

/** Whether a FHIR value is of the FHIR type `name` (or derives from it). */
export function fhirIsType(v: FhirValue, name: string): boolean {
  return derivesFrom(v.fhirType, name);
}

/** Resolves a QI-Core type name to the FHIR type it profiles, or undefined. */
export type QiCoreResolver = (name: string) => string | undefined;

/**
 * The FHIR R4 model for the engine. QI-Core types resolve to the FHIR type they profile (`qicore`);
 * a resource is of a QI-Core type when it is of that FHIR type and its content meets the profile
 * (`conforms`, by default the QI-Core classifier of qicore.ts), so `X is QICore.ProcedureNotDone`
 * agrees with what a Retrieve of that type returns.
 */
export function createFhirModel(qicore: QiCoreResolver, conforms: (profile: string, resource: Json) => boolean = conformsTo): ModelAccess {
  return {
    property(path) {
      // The last type read and its reader: a property is nearly always read on one type.
      let lastType = '';
      let lastReader: ElementReader | undefined;
      return (value, rt) => {
        if (!(value instanceof FhirValue)) return undefined;
        if (value.fhirType !== lastType || lastReader === undefined) {
          lastType = value.fhirType;
          lastReader = readerFor(lastType, path);
        }
        return lastReader(value, rt);
      };
    },
    isType(value, ns, name) {
      if (ns === FHIR_NS || ns === 'FHIR') {
        if (!(value instanceof FhirValue)) return FHIR_R4_TYPES[name] ? false : undefined;
        return fhirIsType(value, name);
      }
      if (ns === QICORE_NS || ns === 'QICore') {
        const base = qicore(name);
        if (base === undefined) return undefined;
        if (!(value instanceof FhirValue) || !fhirIsType(value, base)) return false;
        const json = value.json;
        // Only whole resources carry what a profile constrains; an element of a profiled type is taken as it is.
        return typeof json === 'object' && json !== null && typeof (json as Json)['resourceType'] === 'string' ? conforms(name, json as Json) : true;
      }
      return undefined;
    },
    typeTester(ns, name) {
      if (ns === FHIR_NS || ns === 'FHIR') {
        const known = FHIR_R4_TYPES[name] !== undefined;
        // By the value's FHIR type, each answered once.
        const answers = new Map<string, boolean>();
        // The last type asked about: a test nearly always sees one type at a site.
        let lastType = '';
        let lastAnswer = false;
        return (value) => {
          if (!(value instanceof FhirValue)) return known ? false : undefined;
          const type = value.fhirType;
          if (type === lastType) return lastAnswer;
          let r = answers.get(type);
          if (r === undefined) answers.set(type, (r = derivesFrom(type, name)));
          lastType = type;
          lastAnswer = r;
          return r;
        };
      }
      return (value) => this.isType(value, ns, name);
    },
    knowsType(ns, name) {
      if (ns === FHIR_NS || ns === 'FHIR') return FHIR_R4_TYPES[name] !== undefined;
      if (ns === QICORE_NS || ns === 'QICore') return qicore(name) !== undefined;
      return false;
    },
    // A FHIR value is its type and JSON, plus a primitive's `_x` sibling: without one, two values of
    // one type over the same JSON (the same object, or an equal primitive) are interchangeable.
    memoType: (value) => (value instanceof FhirValue && value.ext === undefined ? value.fhirType : undefined),
    memoData: (value) => (value as FhirValue).json,
  };
}
