/**
 * Indexes a patient's resources once by resource type, with each resource's codes and any problem
 * reading them worked out when asked for (the engine's data source indexes codes for its retrieves
 * itself, over these same groups).
 */
import { codeIndexBuilder } from '../cql/fhir-r4/data-source.ts';
import type { CodeIndex, CodeIndexBuilder } from '../cql/fhir-r4/data-source.ts';
import { primaryCodePath } from '../cql/fhir-r4/model.ts';
import type { CodeRef } from './types.ts';

/** A resource of the record, with its id, version, reference and codes. */
export interface IndexedResource {
  readonly resourceType: string;
  readonly id: string;
  readonly versionId: string | undefined;
  /** `Type/id/_history/vid` or `Type/id`. */
  readonly reference: string;
  readonly resource: Readonly<Record<string, unknown>>;
  /** Codings of the resource's primary code (and Observation component codes). */
  readonly codes: readonly CodeRef[];
  /** Structural problems found while indexing (bad codings, …). */
  readonly problems: readonly string[];
}

/**
 * IndexedResource made when the record's `byType` is first read for its type: evaluation reads
 * the grouped resources themselves (`recordGroups`), so indexing a record is one pass that groups
 * it by type. The reference and the codes are worked out when asked for.
 */
class Entry implements IndexedResource {
  constructor(
    readonly resourceType: string,
    readonly id: string,
    readonly versionId: string | undefined,
    readonly resource: Readonly<Record<string, unknown>>,
  ) {}

  get reference(): string {
    const local = `${this.resourceType}/${this.id}`;
    return this.versionId === undefined ? local : `${local}/_history/${this.versionId}`;
  }

  get codes(): readonly CodeRef[] {
    return readCodes(this.resourceType, this.resource).codes;
  }

  get problems(): readonly string[] {
    return readCodes(this.resourceType, this.resource).problems;
  }
}

/** The id the record gives a resource: its own, or `#<position in the input>` without one. */
function idOf(raw: Readonly<Record<string, unknown>>, position: number): string {
  const rawId = raw['id'];
  return typeof rawId === 'string' && rawId !== '' ? rawId : `#${position}`;
}

function versionIdOf(raw: Readonly<Record<string, unknown>>): string | undefined {
  const meta = raw['meta'];
  return isObject(meta) && typeof meta['versionId'] === 'string' ? meta['versionId'] : undefined;
}

/**
 * A resource's reference without its `Type/` prefix (`id/_history/vid` or `id`): within one type,
 * the order of references. `position` is the resource's position in the record (see `recordGroups`).
 */
export function referenceKey(raw: Readonly<Record<string, unknown>>, position: number): string {
  const id = idOf(raw, position);
  const versionId = versionIdOf(raw);
  return versionId === undefined ? id : `${id}/_history/${versionId}`;
}

/** One type's resources as given, and where a resource without an id was in the (flattened) input. */
export interface RecordGroup {
  readonly resources: readonly Readonly<Record<string, unknown>>[];
  /** The input position of `resources[index]` when it has no usable id (it names it), else -1. */
  positionOf(index: number): number;
  /** The engine's index of the codes at `path` (positions in `resources`), when it was built while indexing. */
  codeIndex(path: string): CodeIndex | undefined;
}

/**
 * A group being filled: positions are kept only for resources without a usable id (few, if any),
 * and the codes at the type's primary code path are indexed for the engine while each resource is
 * in hand (a second walk over a large record costs a cache miss per resource).
 */
class Group implements RecordGroup {
  readonly resources: Record<string, unknown>[] = [];
  #unnamed: Map<number, number> | undefined;
  readonly #path: string | undefined;
  #codes: CodeIndexBuilder | undefined;
  #index: CodeIndex | undefined;

  constructor(type: string) {
    this.#path = primaryCodePath(type);
    this.#codes = codeIndexBuilder(type, this.#path);
  }

  add(raw: Record<string, unknown>, position: number): void {
    const id = raw['id'];
    if (typeof id !== 'string' || id === '') (this.#unnamed ??= new Map()).set(this.resources.length, position);
    this.#codes?.add(raw, this.resources.length);
    this.resources.push(raw);
  }

  positionOf(index: number): number {
    return this.#unnamed?.get(index) ?? -1;
  }

  codeIndex(path: string): CodeIndex | undefined {
    if (path !== this.#path) return undefined;
    if (this.#index === undefined && this.#codes !== undefined) {
      this.#index = this.#codes.done();
      this.#codes = undefined;
    }
    return this.#index;
  }
}

/** `byType`, with each type's entries made on first use. */
class LazyByType implements ReadonlyMap<string, readonly IndexedResource[]> {
  readonly #groups: ReadonlyMap<string, RecordGroup>;
  readonly #made = new Map<string, readonly IndexedResource[]>();

  constructor(groups: ReadonlyMap<string, RecordGroup>) {
    this.#groups = groups;
  }

  get(type: string): readonly IndexedResource[] | undefined {
    let entries = this.#made.get(type);
    if (entries === undefined) {
      const group = this.#groups.get(type);
      if (group === undefined) return undefined;
      entries = group.resources.map((raw, i) => new Entry(type, idOf(raw, group.positionOf(i)), versionIdOf(raw), raw));
      this.#made.set(type, entries);
    }
    return entries;
  }

  has(type: string): boolean {
    return this.#groups.has(type);
  }

  get size(): number {
    return this.#groups.size;
  }

  *keys(): MapIterator<string> {
    yield* this.#groups.keys();
  }

  *values(): MapIterator<readonly IndexedResource[]> {
    for (const type of this.#groups.keys()) yield this.get(type) ?? [];
  }

  *entries(): MapIterator<[string, readonly IndexedResource[]]> {
    for (const type of this.#groups.keys()) yield [type, this.get(type) ?? []];
  }

  [Symbol.iterator](): MapIterator<[string, readonly IndexedResource[]]> {
    return this.entries();
  }

  forEach(callback: (value: readonly IndexedResource[], key: string, map: ReadonlyMap<string, readonly IndexedResource[]>) => void, thisArg?: unknown): void {
    for (const [type, entries] of this.entries()) callback.call(thisArg, entries, type, this);
  }
}

const groupsOfRecord = new WeakMap<PatientRecord, ReadonlyMap<string, RecordGroup>>();

/**
 * The record's resources by type as given, each with its position (which names a resource without
 * an id): what evaluation reads, without making an IndexedResource per resource. A record not made
 * by `indexRecord` is grouped from its `byType`.
 */
export function recordGroups(record: PatientRecord): ReadonlyMap<string, RecordGroup> {
  const known = groupsOfRecord.get(record);
  if (known !== undefined) return known;
  const groups = new Map<string, RecordGroup>();
  for (const [type, entries] of record.byType) {
    const positions = entries.map((e) => (e.id.startsWith('#') ? Number(e.id.slice(1)) : -1));
    groups.set(type, { resources: entries.map((e) => e.resource), positionOf: (i) => positions[i] ?? -1, codeIndex: () => undefined });
  }
  return groups;
}

/** The indexed record of one patient. */
export interface PatientRecord {
  /** The Patient resource, if there is exactly one usable. */
  readonly patient: IndexedResource | undefined;
  /** The patient id (from the Patient resource, else from subject references, else ''). */
  readonly patientId: string;
  readonly byType: ReadonlyMap<string, readonly IndexedResource[]>;
  /** Entries that are not resources at all (not objects, no resourceType). */
  readonly rejected: readonly string[];
  readonly size: number;
}

/** Where each resource type keeps the code rules match on. */
const CODE_PATHS: Readonly<Record<string, readonly string[]>> = {
  Observation: ['code'],
  Procedure: ['code'],
  Condition: ['code'],
  Encounter: ['type'],
  Immunization: ['vaccineCode'],
  MedicationRequest: ['medicationCodeableConcept'],
  MedicationStatement: ['medicationCodeableConcept'],
  DiagnosticReport: ['code'],
  ServiceRequest: ['code'],
  DeviceRequest: ['codeCodeableConcept'],
  AllergyIntolerance: ['code'],
};

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Codings of a CodeableConcept (or an array of them) appended to `out`; malformed codings are reported, not thrown. */
export function codingsOf(concept: unknown, problems: string[], path: string, out: CodeRef[] = []): CodeRef[] {
  if (concept === undefined) return out;
  if (Array.isArray(concept)) {
    for (const c of concept) codingsOf(c, problems, path, out);
    return out;
  }
  if (!isObject(concept)) {
    problems.push(`${path} is not a CodeableConcept`);
    return out;
  }
  const codings = concept['coding'];
  if (codings === undefined) return out;
  if (!Array.isArray(codings)) {
    problems.push(`${path}.coding is not an array`);
    return out;
  }
  for (const coding of codings) {
    if (!isObject(coding) || typeof coding['system'] !== 'string' || typeof coding['code'] !== 'string') {
      problems.push(`${path}.coding has an entry without a string system and code`);
      continue;
    }
    // The raw coding already has the CodeRef shape; keep it rather than copying (indexing is hot).
    out.push(coding as unknown as CodeRef);
  }
  return out;
}

function reusableCodings(paths: readonly string[] | undefined, raw: Record<string, unknown>): CodeRef[] | undefined {
  if (paths?.length !== 1) return undefined;
  const concept = raw[paths[0] ?? ''];
  if (!isObject(concept)) return undefined;
  const codings = concept['coding'];
  if (!Array.isArray(codings) || codings.length === 0) return undefined;
  for (const c of codings) {
    if (!isObject(c) || typeof c['system'] !== 'string' || typeof c['code'] !== 'string') return undefined;
  }
  return codings as CodeRef[];
}

/** `system|code`, the index key. */
export function codeKey(system: string, code: string): string {
  return `${system}|${code}`;
}

const NO_PROBLEMS: readonly string[] = Object.freeze([]);

function subjectPatientId(resource: Record<string, unknown>): string | undefined {
  for (const field of ['subject', 'patient']) {
    const ref = resource[field];
    if (isObject(ref) && typeof ref['reference'] === 'string') {
      const m = /(?:^|\/)Patient\/([^/]+)$/.exec(ref['reference']);
      if (m?.[1]) return m[1];
    }
  }
  return undefined;
}

/** The codings of a resource's primary code (and Observation component codes), and any problem reading them. */
function readCodes(resourceType: string, raw: Record<string, unknown>): { codes: readonly CodeRef[]; problems: readonly string[] } {
  const problems: string[] = [];
  const paths = CODE_PATHS[resourceType];
  // Common case: one CodeableConcept whose codings are all well formed — reuse its array as is.
  let codes: CodeRef[] = reusableCodings(paths, raw) ?? [];
  if (codes.length === 0 && paths) {
    codes = [];
    for (const path of paths) codingsOf(raw[path], problems, path, codes);
  }
  if (resourceType === 'Observation' && raw['component'] !== undefined) {
    const components = raw['component'];
    if (Array.isArray(components)) {
      codes = [...codes];
      for (const comp of components) {
        if (isObject(comp)) codingsOf(comp['code'], problems, 'component.code', codes);
      }
    } else {
      problems.push('component is not an array');
    }
  }
  return { codes, problems: problems.length === 0 ? NO_PROBLEMS : problems };
}

/**
 * Indexes one patient's resources (Bundles are unpacked). Never throws: entries that are not
 * resources are listed in `rejected`, resources with malformed codes carry `problems`.
 *
 * @example
 * const record = indexRecord(bundle.entry.map((e) => e.resource));
 * evaluatePack(careloopPreventive, record, { mode: 'point-of-care', asOf: '2025-06-01' });
 */
export function indexRecord(resources: readonly unknown[]): PatientRecord {
  const groups = new Map<string, Group>();
  const rejected: string[] = [];
  let subjectId: string | undefined;
  let lastType = '';
  let last: Group | undefined;
  let position = 0;
  // Bundles (any type) are unpacked in place: positions count the resources of the flattened input.
  const add = (list: readonly unknown[]): void => {
    for (let i = 0; i < list.length; i++) {
      const raw = list[i];
      if (isObject(raw) && raw['resourceType'] === 'Bundle') {
        const entries = raw['entry'];
        if (Array.isArray(entries)) add(entries.map((e: unknown) => (isObject(e) ? e['resource'] : e)));
        continue;
      }
      if (!isObject(raw) || typeof raw['resourceType'] !== 'string') {
        rejected.push(`entry ${position} is not a FHIR resource`);
        position++;
        continue;
      }
      const resourceType = raw['resourceType'];
      if (last === undefined || resourceType !== lastType) {
        lastType = resourceType;
        last = groups.get(resourceType);
        if (last === undefined) groups.set(resourceType, (last = new Group(resourceType)));
      }
      last.add(raw, position);
      subjectId ??= subjectPatientId(raw);
      position++;
    }
  };
  add(resources);
  const patients = groups.get('Patient');
  const only = patients?.resources.length === 1 ? patients.resources[0] : undefined;
  const patient = only === undefined ? undefined : new Entry('Patient', idOf(only, patients?.positionOf(0) ?? 0), versionIdOf(only), only);
  const record: PatientRecord = {
    patient,
    patientId: patient?.id ?? subjectId ?? '',
    byType: new LazyByType(groups),
    rejected,
    size: position,
  };
  groupsOfRecord.set(record, groups);
  return record;
}

/** Type guard for the raw JSON objects inside resources. */
export { isObject };
