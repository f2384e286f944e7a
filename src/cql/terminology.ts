/**
 * Value sets in memory: canonical URL → codes, with membership by (code system, code). Code systems
 * that are published under several URIs match as one through `CODE_SYSTEM_ALIASES`.
 */
import type { Terminology } from './compile/types.ts';
import { CqlCode } from './values/code.ts';

/**
 * Code systems known under several URIs (FHIR URL, HL7 OID, older URLs), each list's first entry
 * being the one Careloop normalises to. Sources: the FHIR R4 terminology page (§4.3.0 "External Code
 * Systems") and the URIs that VSAC expansions and CMS measure content use.
 */
export const CODE_SYSTEM_ALIASES: readonly (readonly string[])[] = [
  ['http://snomed.info/sct', 'urn:oid:2.16.840.1.113883.6.96'],
  ['http://loinc.org', 'urn:oid:2.16.840.1.113883.6.1'],
  ['http://hl7.org/fhir/sid/icd-10-cm', 'urn:oid:2.16.840.1.113883.6.90'],
  ['http://www.cms.gov/Medicare/Coding/ICD10', 'urn:oid:2.16.840.1.113883.6.4'],
  ['http://hl7.org/fhir/sid/icd-9-cm', 'urn:oid:2.16.840.1.113883.6.103', 'urn:oid:2.16.840.1.113883.6.104'],
  ['http://www.ama-assn.org/go/cpt', 'urn:oid:2.16.840.1.113883.6.12'],
  ['http://www.nlm.nih.gov/research/umls/rxnorm', 'urn:oid:2.16.840.1.113883.6.88'],
  ['http://hl7.org/fhir/sid/cvx', 'urn:oid:2.16.840.1.113883.12.292'],
  [
    'https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets',
    'http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets',
    'urn:oid:2.16.840.1.113883.6.285',
    'urn:oid:2.16.840.1.113883.6.14',
  ],
  ['http://ada.org/cdt', 'http://www.ada.org/cdt', 'urn:oid:2.16.840.1.113883.6.13'],
  ['https://nahdo.org/sopt', 'http://nahdo.org/sopt', 'urn:oid:2.16.840.1.113883.3.221.5'],
  ['http://unitsofmeasure.org', 'urn:oid:2.16.840.1.113883.6.8'],
  ['http://terminology.hl7.org/CodeSystem/v3-ActCode', 'urn:oid:2.16.840.1.113883.5.4'],
  ['http://terminology.hl7.org/CodeSystem/v3-AdministrativeGender', 'urn:oid:2.16.840.1.113883.5.1'],
  ['urn:oid:2.16.840.1.113883.6.238', 'http://terminology.hl7.org/CodeSystem/CDCREC'],
  ['https://www.usps.com/', 'urn:oid:2.16.840.1.113883.6.92'],
];

const CANONICAL = new Map<string, string>(CODE_SYSTEM_ALIASES.flatMap((aliases) => aliases.map((a) => [a, aliases[0] as string] as const)));

/** The code system URI Careloop compares codes under. */
export function canonicalSystem(system: string): string {
  return CANONICAL.get(system) ?? system;
}

const keyOf = (system: string | null, code: string): string => `${system === null ? '' : canonicalSystem(system)}|${code}`;

/**
 * An in-memory terminology over value set expansions.
 *
 * @example
 * const t = createTerminology(new Map([['http://cts.nlm.nih.gov/fhir/ValueSet/x', [new CqlCode('12345', 'http://loinc.org')]]]));
 * t.inValueSet(new CqlCode('12345', 'urn:oid:2.16.840.1.113883.6.1'), 'http://cts.nlm.nih.gov/fhir/ValueSet/x'); // true
 */
export function createTerminology(valueSets: ReadonlyMap<string, readonly CqlCode[]>): Terminology {
  const index = new Map<string, { keys: Set<string>; codes: Set<string>; list: readonly CqlCode[] }>();
  for (const [url, codes] of valueSets) {
    index.set(url, { keys: new Set(codes.map((c) => keyOf(c.system, c.code))), codes: new Set(codes.map((c) => c.code)), list: codes });
  }
  const find = (url: string): { keys: Set<string>; codes: Set<string>; list: readonly CqlCode[] } | undefined =>
    index.get(url) ?? index.get(url.split('|')[0] ?? url);
  return {
    inValueSet(code, url) {
      const vs = find(url);
      if (!vs) return false;
      // A code without a system matches by code alone (CQL 1.5 §23.7 InValueSet on a string).
      return code.system === null ? vs.codes.has(code.code) : vs.keys.has(keyOf(code.system, code.code));
    },
    expand: (url) => find(url)?.list,
    has: (url) => find(url) !== undefined,
  };
}

/** Codes of a FHIR ValueSet's expansion (`expansion.contains`, nested), or of its enumerated compose when it has none. */
export function codesOfValueSetResource(vs: Readonly<Record<string, unknown>>): CqlCode[] {
  const out: CqlCode[] = [];
  const walk = (list: unknown): void => {
    if (!Array.isArray(list)) return;
    for (const c of list as Readonly<Record<string, unknown>>[]) {
      if (typeof c !== 'object' || c === null) continue;
      if (typeof c['code'] === 'string' && c['abstract'] !== true) {
        out.push(new CqlCode(c['code'], typeof c['system'] === 'string' ? c['system'] : null, typeof c['version'] === 'string' ? c['version'] : null, typeof c['display'] === 'string' ? c['display'] : null));
      }
      walk(c['contains']);
    }
  };
  const expansion = vs['expansion'];
  if (typeof expansion === 'object' && expansion !== null) {
    walk((expansion as Readonly<Record<string, unknown>>)['contains']);
    return out;
  }
  const compose = vs['compose'];
  const include = typeof compose === 'object' && compose !== null ? (compose as Readonly<Record<string, unknown>>)['include'] : undefined;
  if (Array.isArray(include)) {
    for (const inc of include as Readonly<Record<string, unknown>>[]) {
      const system = typeof inc['system'] === 'string' ? inc['system'] : null;
      const version = typeof inc['version'] === 'string' ? inc['version'] : null;
      if (!Array.isArray(inc['concept'])) continue;
      for (const c of inc['concept'] as Readonly<Record<string, unknown>>[]) {
        if (typeof c['code'] === 'string') out.push(new CqlCode(c['code'], system, version, typeof c['display'] === 'string' ? c['display'] : null));
      }
    }
  }
  return out;
}
