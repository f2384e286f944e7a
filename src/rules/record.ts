/**
 * Indexes a patient's resources once by resource type, with each resource's codes and any problem
 * reading them worked out when asked for (the engine's data source indexes codes for its retrieves
 * itself, over these same groups).
 */
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
 * IndexedResource with the reference, the codes and the problems worked out only when asked for:
 * evaluation reads the resource itself, so indexing a record is one pass that groups it by type.
 */
class Entry implements IndexedResource {
  #codes: readonly CodeRef[] | undefined;
  #problems: readonly string[] | undefined;

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
    if (this.#codes === undefined) this.#read();
    return this.#codes as readonly CodeRef[];
  }

  get problems(): readonly string[] {
    if (this.#problems === undefined) this.#read();
    return this.#problems as readonly string[];
  }

  #read(): void {
    const { codes, problems } = readCodes(this.resourceType, this.resource);
    this.#codes = codes;
    this.#problems = problems;
  }
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

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

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

/** Flattens Bundles (any type) into their entries' resources. */
function flatten(input: readonly unknown[], out: unknown[]): void {
  for (const item of input) {
    if (isObject(item) && item['resourceType'] === 'Bundle') {
      const entries = item['entry'];
      if (Array.isArray(entries)) {
        flatten(
          entries.map((e: unknown) => (isObject(e) ? e['resource'] : e)),
          out,
        );
      }
    } else {
      out.push(item);
    }
  }
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
  const flat: unknown[] = [];
  flatten(resources, flat);
  const byType = new Map<string, IndexedResource[]>();
  const rejected: string[] = [];
  let subjectId: string | undefined;
  for (let position = 0; position < flat.length; position++) {
    const raw = flat[position];
    if (!isObject(raw) || typeof raw['resourceType'] !== 'string') {
      rejected.push(`entry ${position} is not a FHIR resource`);
      continue;
    }
    const resourceType = raw['resourceType'];
    const rawId = raw['id'];
    const id = typeof rawId === 'string' && rawId !== '' ? rawId : `#${position}`;
    const meta = raw['meta'];
    const versionId = isObject(meta) && typeof meta['versionId'] === 'string' ? meta['versionId'] : undefined;
    const entry: IndexedResource = new Entry(resourceType, id, versionId, raw);
    push(byType, resourceType, entry);
    subjectId ??= subjectPatientId(raw);
  }
  const patients = byType.get('Patient') ?? [];
  const patient = patients.length === 1 ? patients[0] : undefined;
  return {
    patient,
    patientId: patient?.id ?? subjectId ?? '',
    byType,
    rejected,
    size: flat.length,
  };
}

/** Type guard for the raw JSON objects inside resources. */
export { isObject };
