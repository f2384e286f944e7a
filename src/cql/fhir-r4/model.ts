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

function jsonEqual(a: unknown, b: unknown): boolean {
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

/** Converts a primitive's JSON value to the CQL system value of its type. */
export function primitiveValue(fhirType: string, json: unknown, rt: Runtime): unknown {
  if (json === null || json === undefined) return null;
  switch (primitiveSystemType(fhirType)) {
    case 'System.DateTime':
      return typeof json === 'string' ? parseDateTime(json, rt.now.offset ?? 0) : null;
    case 'System.Date':
      return typeof json === 'string' ? parseDate(json) : null;
    case 'System.Time':
      return typeof json === 'string' ? parseTime(json) : null;
    case 'System.Decimal':
    case 'System.Integer':
    case 'System.Long':
      return typeof json === 'number' ? json : typeof json === 'string' && json.trim() !== '' && Number.isFinite(Number(json)) ? Number(json) : null;
    case 'System.Boolean':
      return typeof json === 'boolean' ? json : null;
    case 'System.String':
      return typeof json === 'string' ? json : null;
    default:
      return null;
  }
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

function readElement(v: FhirValue, name: string, rt: Runtime): unknown {
  const json = v.json;
  if (name === 'value' && primitiveSystemType(v.fhirType) !== undefined) return primitiveValue(v.fhirType, json, rt);
  if (typeof json !== 'object' || json === null) {
    // A primitive's id and extensions live in its `_x` sibling.
    if ((name === 'extension' || name === 'id') && typeof v.ext === 'object' && v.ext !== null) {
      return readElement(new FhirValue('Element', v.ext), name, rt);
    }
    return null;
  }
  const obj = json as Json;
  const info = elementInfo(v.fhirType, name);
  if (!info) {
    // Not in the table (an unknown type): read the JSON as a generic element.
    const raw = obj[name];
    if (raw === undefined) return null;
    return Array.isArray(raw) ? raw.map((x) => wrap('Element', x, undefined)) : wrap('Element', raw, obj[`_${name}`]);
  }
  let type = info.types[0] as string;
  let key = name;
  if (info.types.length > 1) {
    // A choice element: the JSON key names the type (valueQuantity, effectiveDateTime).
    let hit: string | undefined;
    for (const t of info.types) {
      const k = name + upperFirst(t);
      if (obj[k] !== undefined || obj[`_${k}`] !== undefined) {
        hit = t;
        key = k;
        break;
      }
    }
    if (!hit) return null;
    type = hit;
  }
  const raw = obj[key];
  const ext = obj[`_${key}`];
  if (info.list) {
    // An absent list element is null, not an empty list (as cql-exec-fhir reads FHIR JSON).
    if (raw === undefined && ext === undefined) return null;
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
      return (value, rt) => (value instanceof FhirValue ? readElement(value, path, rt) : null);
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
    knowsType(ns, name) {
      if (ns === FHIR_NS || ns === 'FHIR') return FHIR_R4_TYPES[name] !== undefined;
      if (ns === QICORE_NS || ns === 'QICore') return qicore(name) !== undefined;
      return false;
    },
  };
}
