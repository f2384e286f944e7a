/**
 * Indexes a patient's resources once — by resource type and by `system|code` — so rules look codes
 * up instead of rescanning the record.
 */
import type { CodeRef } from './types.ts';

/** A resource of the record with what the engine reads from it precomputed. */
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

/** The indexed record of one patient. */
export interface PatientRecord {
  /** The Patient resource, if there is exactly one usable. */
  readonly patient: IndexedResource | undefined;
  /** The patient id (from the Patient resource, else from subject references, else ''). */
  readonly patientId: string;
  readonly byType: ReadonlyMap<string, readonly IndexedResource[]>;
  /** Keyed by `system|code`. */
  readonly byCode: ReadonlyMap<string, readonly IndexedResource[]>;
  readonly byReference: ReadonlyMap<string, IndexedResource>;
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

/** Codings of a CodeableConcept (or an array of them); malformed codings are reported, not thrown. */
export function codingsOf(concept: unknown, problems: string[], path: string): CodeRef[] {
  const out: CodeRef[] = [];
  const concepts = Array.isArray(concept) ? concept : [concept];
  for (const c of concepts) {
    if (c === undefined) continue;
    if (!isObject(c)) {
      problems.push(`${path} is not a CodeableConcept`);
      continue;
    }
    const codings = c['coding'];
    if (codings === undefined) continue;
    if (!Array.isArray(codings)) {
      problems.push(`${path}.coding is not an array`);
      continue;
    }
    for (const coding of codings) {
      if (!isObject(coding) || typeof coding['system'] !== 'string' || typeof coding['code'] !== 'string') {
        problems.push(`${path}.coding has an entry without a string system and code`);
        continue;
      }
      const display = coding['display'];
      out.push(
        typeof display === 'string'
          ? { system: coding['system'], code: coding['code'], display }
          : { system: coding['system'], code: coding['code'] },
      );
    }
  }
  return out;
}

/** `system|code`, the index key. */
export function codeKey(system: string, code: string): string {
  return `${system}|${code}`;
}

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
  const byCode = new Map<string, IndexedResource[]>();
  const byReference = new Map<string, IndexedResource>();
  const rejected: string[] = [];
  let subjectId: string | undefined;
  flat.forEach((raw, position) => {
    if (!isObject(raw) || typeof raw['resourceType'] !== 'string') {
      rejected.push(`entry ${position} is not a FHIR resource`);
      return;
    }
    const resourceType = raw['resourceType'];
    const id = typeof raw['id'] === 'string' && raw['id'] !== '' ? raw['id'] : `#${position}`;
    const meta = raw['meta'];
    const versionId = isObject(meta) && typeof meta['versionId'] === 'string' ? meta['versionId'] : undefined;
    const problems: string[] = [];
    const codes: CodeRef[] = [];
    for (const path of CODE_PATHS[resourceType] ?? []) codes.push(...codingsOf(raw[path], problems, path));
    if (resourceType === 'Observation' && raw['component'] !== undefined) {
      const components = raw['component'];
      if (Array.isArray(components)) {
        for (const comp of components) {
          if (isObject(comp)) codes.push(...codingsOf(comp['code'], problems, 'component.code'));
        }
      } else {
        problems.push('component is not an array');
      }
    }
    const entry: IndexedResource = {
      resourceType,
      id,
      versionId,
      reference: versionId === undefined ? `${resourceType}/${id}` : `${resourceType}/${id}/_history/${versionId}`,
      resource: raw,
      codes,
      problems,
    };
    push(byType, resourceType, entry);
    byReference.set(`${resourceType}/${id}`, entry);
    const seen = new Set<string>();
    for (const c of codes) {
      const key = codeKey(c.system, c.code);
      if (seen.has(key)) continue;
      seen.add(key);
      push(byCode, key, entry);
    }
    subjectId ??= subjectPatientId(raw);
  });
  const patients = byType.get('Patient') ?? [];
  const patient = patients.length === 1 ? patients[0] : undefined;
  return {
    patient,
    patientId: patient?.id ?? subjectId ?? '',
    byType,
    byCode,
    byReference,
    rejected,
    size: flat.length,
  };
}

/** Type guard for the raw JSON objects inside resources. */
export { isObject };
