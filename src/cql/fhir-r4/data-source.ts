/**
 * One patient's FHIR resources as an ELM data source: resources indexed by type once, Retrieve
 * filtered by code (value set or codes, on the Retrieve's code property or the type's primary code
 * path) and by QI-Core profile — a QI-Core type, or a FHIR type with the profile as `templateId` —
 * decided by content (see qicore.ts).
 */
import { splitQName, FHIR_NS, QICORE_NS } from '../elm.ts';
import type { DataSource, RetrieveRequest, Terminology } from '../compile/types.ts';
import { CqlRuntimeError } from '../errors.ts';
import { CqlCode } from '../values/code.ts';
import { markIdentityDistinct } from '../values/list.ts';
import { canonicalSystem } from '../terminology.ts';
import { FhirValue, elementInfo, jsonEqual, primaryCodePath } from './model.ts';

type Json = Readonly<Record<string, unknown>>;

/** Classifies resources into QI-Core profiles by content. Profiles are named by QI-Core model type name or canonical URL. */
export interface ProfileClassifier {
  /** The FHIR resource type a profile constrains, or undefined when the profile is unknown. */
  baseType(profile: string): string | undefined;
  /** Whether the resource conforms to the profile (by its content, whatever its meta.profile says). */
  conforms(profile: string, resource: Json): boolean;
}

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Codes at a property of a resource: CodeableConcept(s), Coding(s) or code strings, choice-aware. */
export function codesAt(resource: Json, fhirType: string, path: string): CqlCode[] {
  const out: CqlCode[] = [];
  codeReader(fhirType, path)(resource, (code, system) => out.push(new CqlCode(code, system)));
  return out;
}

/**
 * The reader of codes at `path` on resources of `fhirType`, calling `visit` with each code and its
 * system: the element's declared types are looked up once, not per resource (a Retrieve reads the
 * same property of thousands of resources).
 */
function codeReader(fhirType: string, path: string): (resource: Json, visit: (code: string, system: string | null) => void) => void {
  const info = elementInfo(fhirType, path);
  const keys = info && info.types.length > 1 ? info.types.map((t) => path + t.charAt(0).toUpperCase() + t.slice(1)) : [path];
  // Called for every resource of a type when a retrieve first filters it: no allocation per resource.
  const visitConcept = (v: unknown, visit: (code: string, system: string | null) => void): void => {
    if (typeof v === 'string') {
      visit(v, null);
      return;
    }
    if (!isObj(v)) return;
    const coding = v['coding'];
    if (Array.isArray(coding)) {
      for (let i = 0; i < coding.length; i++) {
        const c: unknown = coding[i];
        if (isObj(c) && typeof c['code'] === 'string') visit(c['code'], typeof c['system'] === 'string' ? c['system'] : null);
      }
    } else if (typeof v['code'] === 'string') {
      visit(v['code'], typeof v['system'] === 'string' ? v['system'] : null);
    }
  };
  return (resource, visit) => {
    let value: unknown;
    // A choice element present under several typed keys: the last one read wins.
    for (let i = 0; i < keys.length; i++) {
      const here = resource[keys[i] as string];
      if (here !== undefined) value = here;
    }
    if (value === undefined) return;
    if (Array.isArray(value)) for (let i = 0; i < value.length; i++) visitConcept(value[i], visit);
    else visitConcept(value, visit);
  };
}

/**
 * The codes at one property of every resource of one type, grouped: each distinct (system, code)
 * with the positions (in the type's resource list) of the resources that carry it. A chart repeats
 * a few hundred codes over thousands of resources, so a value set is asked about each code once.
 */
export interface CodeIndex {
  readonly distinct: readonly { readonly code: CqlCode; readonly at: readonly number[] }[];
}

/**
 * Builds the code index of one property of one resource type a resource at a time, so a host that
 * walks a record anyway (grouping it by type) indexes each resource while it has it in hand: at
 * 50,000 resources a second walk costs a cache miss per resource. Positions are given in
 * increasing order; a resource not of the type is skipped.
 */
export interface CodeIndexBuilder {
  add(resource: unknown, position: number): void;
  done(): CodeIndex;
}

/** A code index builder for `path` on `fhirType` (default: the type's primary code path), or undefined when the type has none. */
export function codeIndexBuilder(fhirType: string, path: string | undefined = primaryCodePath(fhirType)): CodeIndexBuilder | undefined {
  if (path === undefined) return undefined;
  const read = codeReader(fhirType, path);
  // By code, then by system (a code string nearly always has one system): no key string built per coding.
  const byCode = new Map<string, { code: CqlCode; at: number[] } | { code: CqlCode; at: number[] }[]>();
  const distinct: { code: CqlCode; at: number[] }[] = [];
  let i = 0;
  const add = (code: string, system: string | null): { code: CqlCode; at: number[] } => {
    const created = { code: new CqlCode(code, system), at: [i] };
    distinct.push(created);
    return created;
  };
  const visit = (code: string, system: string | null): void => {
    const hit = byCode.get(code);
    if (hit === undefined) {
      byCode.set(code, add(code, system));
      return;
    }
    if (!Array.isArray(hit)) {
      if (hit.code.system === system) {
        if (hit.at[hit.at.length - 1] !== i) hit.at.push(i);
      } else byCode.set(code, [hit, add(code, system)]);
      return;
    }
    for (const entry of hit) {
      if (entry.code.system === system) {
        if (entry.at[entry.at.length - 1] !== i) entry.at.push(i);
        return;
      }
    }
    hit.push(add(code, system));
  };
  return {
    add(resource, position) {
      if (!isObj(resource) || resource['resourceType'] !== fhirType) return;
      i = position;
      read(resource, visit);
    },
    done: () => ({ distinct }),
  };
}

function indexCodes(all: readonly Json[], fhirType: string, path: string): CodeIndex {
  const builder = codeIndexBuilder(fhirType, path) as CodeIndexBuilder;
  for (let i = 0; i < all.length; i++) builder.add(all[i], i);
  return builder.done();
}

function codeMatches(c: CqlCode, req: NonNullable<RetrieveRequest['codes']>, terminology: Terminology): boolean {
  if ('valueSet' in req) return terminology.inValueSet(c, req.valueSet);
  for (const w of req.list) {
    if (c.code === w.code && (c.system === null || w.system === null || canonicalSystem(c.system) === canonicalSystem(w.system))) return true;
  }
  return false;
}

/** The cache key of a Retrieve's code filter: the value set, or the codes listed. */
function codesKey(req: NonNullable<RetrieveRequest['codes']>): string {
  if ('valueSet' in req) return `vs\u0000${req.valueSet}`;
  return `list\u0000${req.list.map((c) => `${c.system ?? ''}|${c.code}`).join('\u0001')}`;
}

/** A patient's data for the engine. */
export interface FhirDataSource extends DataSource {
  /** The Patient resource, or null. */
  readonly patient: FhirValue | null;
  /** Every resource, by type (in the source's order, each once). */
  readonly byType: ReadonlyMap<string, readonly FhirValue[]>;
}

/** Options of a FHIR data source. */
export interface FhirDataSourceOptions {
  /**
   * The order of every list a Retrieve returns: by this key, ties in input order — the lists a
   * source over the input sorted (stably) by resource type and key would return, without sorting
   * the whole record (only what a Retrieve returns is put in order, when it is first asked for).
   * Asked once per resource type for that type's key function; `index` is the resource's position
   * in the input (in its group, for `createFhirDataSourceByType`). Equal resources (the same JSON)
   * with a non-empty id must have equal keys. Without it, lists keep input order.
   */
  readonly orderKey?: (resourceType: string) => (resource: Json, index: number) => string;
  /**
   * Code indexes the host built while walking the groups (`codeIndexBuilder`), by resource type
   * and code path, positions in the group as given (`createFhirDataSourceByType` only); any other
   * is built on first use.
   */
  readonly codeIndexes?: (resourceType: string, path: string) => CodeIndex | undefined;
}

/**
 * A sparse array by position in pages of 1024, each made on first write: no array the size of a
 * type (at 50,000 resources one would be a large object, hastening full collections), and cheaper
 * than a map for the positions retrieves return.
 */
class Paged<T> {
  readonly #pages: (T | undefined)[][] = [];

  get(position: number): T | undefined {
    return this.#pages[position >> 10]?.[position & 1023];
  }

  set(position: number, value: T): void {
    const page = position >> 10;
    let p = this.#pages[page];
    if (p === undefined) {
      p = new Array<T | undefined>(1024).fill(undefined);
      while (this.#pages.length < page) this.#pages.push(undefined as unknown as (T | undefined)[]);
      this.#pages[page] = p;
    }
    p[position & 1023] = value;
  }
}

/**
 * One resource type's resources. Wrappers are made when a retrieve first returns a
 * resource: a retrieve by code reads the JSON through the code index and wraps only its matches.
 */
interface TypeData {
  readonly type: string;
  /**
   * The type's resources; with `repeats` (a source over groups), as given: a resource listed twice
   * may be here twice, and an entry that is not a resource of the type is skipped where read.
   */
  readonly json: readonly Json[];
  /** Each position's index in the input (its group), when not the position itself. */
  readonly index: readonly number[] | undefined;
  /** One wrapper per position, made on first use (so a resource is always the same value). */
  readonly values: FhirValue[] | Paged<FhirValue>;
  /** The order key of a resource (see `FhirDataSourceOptions.orderKey`); undefined when the source keeps input order. */
  readonly keyOf: ((resource: Json, index: number) => string) | undefined;
  /** Whether a resource listed twice may still be in `json` (each list a retrieve returns drops it). */
  readonly repeats: boolean;
  /** Every resource in the source's order, built on first use. */
  sorted: readonly FhirValue[] | undefined;
}

const isResourceOf = (r: unknown, type: string): r is Json => isObj(r) && r['resourceType'] === type;

/** The positions of a type's list that hold a resource of the type. */
function validPositions(td: TypeData): number[] {
  const out: number[] = [];
  for (let i = 0; i < td.json.length; i++) if (isResourceOf(td.json[i], td.type)) out.push(i);
  return out;
}

function valueAt(td: TypeData, position: number): FhirValue {
  const values = td.values;
  if (Array.isArray(values)) return values[position] as FhirValue;
  let v = values.get(position);
  if (v === undefined) values.set(position, (v = new FhirValue(td.type, td.json[position])));
  return v;
}

/**
 * Indexes one patient's resources (a Bundle's entries or an array) for retrieves.
 *
 * @example
 * const data = createFhirDataSource(bundle.entry.map((e) => e.resource), qicoreClassifier);
 */
export function createFhirDataSource(resources: readonly unknown[], profiles: ProfileClassifier, options: FhirDataSourceOptions = {}): FhirDataSource {
  const groups = new Map<string, { json: Json[]; values: FhirValue[]; index: number[]; seen: Map<string, FhirValue | FhirValue[]> }>();
  let last: { type: string; group: { json: Json[]; values: FhirValue[]; index: number[]; seen: Map<string, FhirValue | FhirValue[]> } } | undefined;
  let patient: FhirValue | null = null;
  for (let i = 0; i < resources.length; i++) {
    const r = resources[i];
    if (!isObj(r) || typeof r['resourceType'] !== 'string') continue;
    const type = r['resourceType'];
    if (last === undefined || last.type !== type) {
      let group = groups.get(type);
      if (group === undefined) groups.set(type, (group = { json: [], values: [], index: [], seen: new Map() }));
      last = { type, group };
    }
    const { group } = last;
    const v = new FhirValue(type, r);
    // The same resource listed twice (overlapping pages) counts once: a retrieve's list holds no
    // two equal resources, so queries over it can skip their distinct pass.
    const id = r['id'];
    if (typeof id === 'string') {
      const twins = group.seen.get(id);
      if (twins === undefined) group.seen.set(id, v);
      else if (Array.isArray(twins)) {
        if (twins.some((t) => t.modelEquals(v))) continue;
        twins.push(v);
      } else {
        if (twins.modelEquals(v)) continue;
        group.seen.set(id, [twins, v]);
      }
    }
    if (type === 'Patient' && patient === null) patient = v;
    group.json.push(r);
    group.values.push(v);
    group.index.push(i);
  }
  const types = new Map<string, TypeData>();
  for (const [type, g] of groups) {
    const keyOf = options.orderKey?.(type);
    types.set(type, { type, json: g.json, index: g.index, values: g.values, keyOf, repeats: false, sorted: undefined });
  }
  return sourceOver(types, patient, profiles);
}

/**
 * `createFhirDataSource` over resources already grouped by type (a record indexed once by the
 * host): the same retrieves as over the groups' resources in one list, without grouping them
 * again, and with an order key without sorting them: each group is taken as it is, and a resource
 * listed twice is dropped from the lists retrieves return. Entries of a group that are not
 * resources of its type are skipped.
 */
export function createFhirDataSourceByType(groups: Iterable<readonly [string, readonly unknown[]]>, profiles: ProfileClassifier, options: FhirDataSourceOptions = {}): FhirDataSource {
  if (options.orderKey === undefined) {
    const flat: unknown[] = [];
    for (const [type, resources] of groups) for (const r of resources) if (isObj(r) && r['resourceType'] === type) flat.push(r);
    return createFhirDataSource(flat, profiles);
  }
  const types = new Map<string, TypeData>();
  for (const [type, resources] of groups) {
    if (types.has(type)) throw new CqlRuntimeError(`resource type ${type} given twice`);
    if (resources.length === 0) continue;
    // Taken as given: an entry that is not a resource of the type is skipped where a resource is
    // read (a pass over every resource of a large record only to check it costs a cache miss each).
    const json = resources as readonly Json[];
    const keyOf = options.orderKey(type);
    types.set(type, { type, json, index: undefined, values: new Paged(), keyOf, repeats: true, sorted: undefined });
  }
  const patients = types.get('Patient');
  const first = patients === undefined ? -1 : patients.json.findIndex((r) => isResourceOf(r, 'Patient'));
  return sourceOver(types, patients !== undefined && first >= 0 ? valueAt(patients, first) : null, profiles, options.codeIndexes);
}

/**
 * Positions (in a type's list) as a retrieve returns them: in the source's order (by key, then
 * position), each resource once, and a resource listed twice (the same id and content) once.
 */
function ordered(td: TypeData, positions: number[], maybeUnsorted: boolean): FhirValue[] {
  const { keyOf, json, index } = td;
  const out: FhirValue[] = [];
  if (keyOf === undefined) {
    if (maybeUnsorted) positions.sort((x, y) => x - y);
    for (let k = 0; k < positions.length; k++) if (k === 0 || positions[k] !== positions[k - 1]) out.push(valueAt(td, positions[k] as number));
    return out;
  }
  // Positions sorted by (key, position): keys read into a list beside them (a key costs a property
  // read or two, so none is kept), no object per position.
  const n = positions.length;
  const ks = new Array<string>(n);
  for (let k = 0; k < n; k++) {
    const p = positions[k] as number;
    ks[k] = keyOf(json[p] as Json, index === undefined ? p : (index[p] as number));
  }
  const order = new Array<number>(n);
  for (let k = 0; k < n; k++) order[k] = k;
  order.sort((a, b) => {
    const ka = ks[a] as string;
    const kb = ks[b] as string;
    return ka < kb ? -1 : ka > kb ? 1 : (positions[a] as number) - (positions[b] as number);
  });
  // A resource listed twice has the same key as its twin (same id and meta), so it sorts right
  // after it; only an empty id (a key of its own per position) needs looking up.
  let runKey: string | undefined;
  let runStart = 0;
  let blank: FhirValue[] | undefined;
  outer: for (let k = 0; k < n; k++) {
    const o = order[k] as number;
    const p = positions[o] as number;
    const key = ks[o] as string;
    if (k > 0 && p === positions[order[k - 1] as number]) continue;
    if (key !== runKey) {
      runKey = key;
      runStart = out.length;
    }
    if (td.repeats) {
      const r = json[p] as Json;
      const id = r['id'];
      if (typeof id === 'string') {
        if (id === '') {
          if (blank?.some((b) => jsonEqual(b.json, r))) continue;
          (blank ??= []).push(valueAt(td, p));
        } else {
          for (let j = runStart; j < out.length; j++) if (jsonEqual((out[j] as FhirValue).json, r)) continue outer;
        }
      }
    }
    out.push(valueAt(td, p));
  }
  return out;
}

function sourceOver(types: ReadonlyMap<string, TypeData>, patient: FhirValue | null, profiles: ProfileClassifier, prebuilt?: FhirDataSourceOptions['codeIndexes']): FhirDataSource {
  const retrieved = new WeakMap<Terminology, Map<string, readonly FhirValue[]>>();
  const codeIndexes = new Map<string, CodeIndex>();
  const codeIndex = (td: TypeData, path: string): CodeIndex => {
    const key = `${td.type}\u0000${path}`;
    let index = codeIndexes.get(key);
    if (index === undefined) codeIndexes.set(key, (index = prebuilt?.(td.type, path) ?? indexCodes(td.json, td.type, path)));
    return index;
  };
  const conformances = new Map<string, readonly boolean[]>();
  const conformance = (profile: string, td: TypeData): readonly boolean[] => {
    const key = `${td.type}\u0000${profile}`;
    let flags = conformances.get(key);
    if (flags === undefined) conformances.set(key, (flags = td.json.map((r) => isResourceOf(r, td.type) && profiles.conforms(profile, r))));
    return flags;
  };
  /** Every resource of a type, in the source's order. */
  const everything = (td: TypeData): readonly FhirValue[] => {
    if (td.sorted === undefined) {
      td.sorted = markIdentityDistinct(
        td.keyOf === undefined && !td.repeats
          ? td.json.map((_, i) => valueAt(td, i))
          : ordered(td, validPositions(td), true),
      );
    }
    return td.sorted;
  };
  let byType: Map<string, readonly FhirValue[]> | undefined;
  return {
    patient,
    get byType() {
      if (byType === undefined) {
        byType = new Map();
        for (const [type, td] of types) if (td.json.length > 0) byType.set(type, everything(td));
      }
      return byType;
    },
    retrieve(req, rt) {
      const { ns, name } = splitQName(req.dataType);
      let fhirType: string;
      let profile: string | undefined;
      if (ns === FHIR_NS || ns === 'FHIR') {
        fhirType = name;
        // ELM translated against QI-Core 6 (CMS eCQMs) retrieves the FHIR type with the profile as
        // templateId; a profile the classifier does not know (the base FHIR StructureDefinition,
        // an unfamiliar IG) does not filter.
        const t = req.templateId;
        if (t !== undefined && profiles.baseType(t) === name) profile = t;
      } else if (ns === QICORE_NS || ns === 'QICore') {
        const base = profiles.baseType(name);
        if (base === undefined) throw new CqlRuntimeError(`Retrieve of unknown QI-Core type ${name}`);
        fhirType = base;
        profile = name;
      } else {
        throw new CqlRuntimeError(`Retrieve of a type outside the FHIR and QI-Core models: ${req.dataType}`);
      }
      if (req.dateRange !== undefined) throw new CqlRuntimeError('Retrieve with a date range is not supported');
      const td = types.get(fhirType);
      if (td === undefined || td.json.length === 0) return [];
      if (!profile && !req.codes) return everything(td);
      const codeProperty = req.codeProperty ?? primaryCodePath(fhirType);
      if (req.codes && !codeProperty) return [];
      // A Retrieve's answer depends only on the request, the terminology and this record: computed
      // once per patient, however many definitions and libraries repeat it.
      let cache = retrieved.get(rt.terminology);
      if (cache === undefined) retrieved.set(rt.terminology, (cache = new Map()));
      const key = `${fhirType}\u0000${profile ?? ''}\u0000${codeProperty ?? ''}\u0000${req.codes ? codesKey(req.codes) : ''}`;
      const hit = cache.get(key);
      if (hit !== undefined) return hit;
      const conforming = profile ? conformance(profile, td) : undefined;
      let out: FhirValue[];
      if (req.codes && codeProperty) {
        const positions: number[] = [];
        let runs = 0;
        for (const { code, at } of codeIndex(td, codeProperty).distinct) {
          if (!codeMatches(code, req.codes, rt.terminology)) continue;
          for (const i of at) if (!conforming || conforming[i] === true) positions.push(i);
          runs++;
        }
        // Several matching codes: back to the source's order, each resource once.
        out = ordered(td, positions, runs > 1);
      } else {
        const positions: number[] = [];
        for (let i = 0; i < td.json.length; i++) if (conforming?.[i] === true) positions.push(i);
        out = ordered(td, positions, false);
      }
      cache.set(key, markIdentityDistinct(out));
      return out;
    },
  };
}
