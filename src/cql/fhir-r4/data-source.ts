/**
 * One patient's FHIR resources as an ELM data source: resources indexed by type once, Retrieve
 * filtered by code (value set or codes, on the Retrieve's code property or the type's primary code
 * path) and by QI-Core profile — a QI-Core type, or a FHIR type with the profile as `templateId` —
 * decided by content (see qicore.ts).
 */
import { splitQName, FHIR_NS, QICORE_NS } from '../elm.ts';
import type { DataSource, RetrieveRequest, Runtime } from '../compile/types.ts';
import { CqlRuntimeError } from '../errors.ts';
import { CqlCode } from '../values/code.ts';
import { canonicalSystem } from '../terminology.ts';
import { FhirValue, elementInfo, primaryCodePath } from './model.ts';

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
  let values: unknown[] = [];
  const info = elementInfo(fhirType, path);
  if (info && info.types.length > 1) {
    for (const t of info.types) {
      const v = resource[path + t.charAt(0).toUpperCase() + t.slice(1)];
      if (v !== undefined) values = Array.isArray(v) ? v : [v];
    }
  } else {
    const v = resource[path];
    values = Array.isArray(v) ? v : v === undefined ? [] : [v];
  }
  for (const v of values) {
    if (typeof v === 'string') out.push(new CqlCode(v, null));
    else if (isObj(v)) {
      const codings = Array.isArray(v['coding']) ? (v['coding'] as unknown[]) : [v];
      for (const c of codings) {
        if (isObj(c) && typeof c['code'] === 'string') out.push(new CqlCode(c['code'], typeof c['system'] === 'string' ? c['system'] : null));
      }
    }
  }
  return out;
}

function matchesCodes(codes: readonly CqlCode[], req: NonNullable<RetrieveRequest['codes']>, rt: Runtime): boolean {
  if ('valueSet' in req) {
    for (const c of codes) if (rt.terminology.inValueSet(c, req.valueSet)) return true;
    return false;
  }
  for (const c of codes) {
    for (const w of req.list) {
      if (c.code === w.code && (c.system === null || w.system === null || canonicalSystem(c.system) === canonicalSystem(w.system))) return true;
    }
  }
  return false;
}

/** A patient's data for the engine. */
export interface FhirDataSource extends DataSource {
  /** The Patient resource, or null. */
  readonly patient: FhirValue | null;
  /** Every resource, by type. */
  readonly byType: ReadonlyMap<string, readonly FhirValue[]>;
}

/**
 * Indexes one patient's resources (a Bundle's entries or an array) for retrieves.
 *
 * @example
 * const data = createFhirDataSource(bundle.entry.map((e) => e.resource), qicoreClassifier);
 */
export function createFhirDataSource(resources: readonly unknown[], profiles: ProfileClassifier): FhirDataSource {
  const byType = new Map<string, FhirValue[]>();
  let patient: FhirValue | null = null;
  for (const r of resources) {
    if (!isObj(r) || typeof r['resourceType'] !== 'string') continue;
    const type = r['resourceType'];
    const v = new FhirValue(type, r);
    if (type === 'Patient' && patient === null) patient = v;
    const list = byType.get(type);
    if (list) list.push(v);
    else byType.set(type, [v]);
  }
  return {
    patient,
    byType,
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
      const all = byType.get(fhirType) ?? [];
      if (!profile && !req.codes) return all;
      const codeProperty = req.codeProperty ?? primaryCodePath(fhirType);
      const out: FhirValue[] = [];
      for (const v of all) {
        const json = v.json as Json;
        if (profile && !profiles.conforms(profile, json)) continue;
        if (req.codes) {
          if (!codeProperty) continue;
          if (!matchesCodes(codesAt(json, fhirType, codeProperty), req.codes, rt)) continue;
        }
        out.push(v);
      }
      return out;
    },
  };
}
