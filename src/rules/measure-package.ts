/**
 * Measure packages: a FHIR Bundle holding a Measure, its Libraries (ELM JSON as
 * `application/elm+json` content) and the ValueSets they use with their expansions — the form CMS
 * publishes eCQM content in. Loading needs no code: the ELM runs on Careloop's engine (src/cql).
 *
 * Evaluation follows the FHIR Measure scoring rules for proportion measures (patient-based and
 * resource-based) and reports the Da Vinci DEQM gap status: open-gap, closed-gap or not-applicable,
 * inverted for measures whose improvement notation is "decrease".
 */
import { createFhirProgram, createTerminology, codesOfValueSetResource, CqlDateTime, CqlInterval, ElmLoadError, evaluateFhir, FhirValue } from '../cql/index.ts';
import type { CqlCode, ElmLibrary, Program, Terminology } from '../cql/index.ts';
import { digestOf } from '../shared/digest.ts';
import type { GapStatus } from './types.ts';

type Json = Readonly<Record<string, unknown>>;

/** Why a package cannot be loaded or evaluated; the message names the library, node or value set. */
export class MeasurePackageError extends Error {
  override readonly name = 'MeasurePackageError';
}

/** The population codes of FHIR's measure-population code system. */
export type PopulationCode =
  | 'initial-population'
  | 'denominator'
  | 'denominator-exclusion'
  | 'denominator-exception'
  | 'numerator'
  | 'numerator-exclusion'
  | 'measure-population'
  | 'measure-population-exclusion'
  | 'measure-observation';

/** One group of a measure: its populations' criteria (define names). */
export interface MeasureGroup {
  readonly id: string | undefined;
  readonly populations: readonly { readonly code: PopulationCode; readonly expression: string; readonly id: string | undefined }[];
  /** True when the population basis is boolean (patient-based). */
  readonly patientBased: boolean;
  readonly scoring: string;
  /** `increase` or `decrease`. */
  readonly improvementNotation: string;
}

/** A loaded measure package. */
export interface MeasurePackage {
  readonly url: string;
  readonly version: string | undefined;
  readonly title: string;
  readonly name: string;
  readonly groups: readonly MeasureGroup[];
  readonly program: Program;
  readonly terminology: Terminology;
  /** The main library: name, version and the SHA-256 of the canonical JSON of its ELM as published. */
  readonly library: { readonly name: string; readonly version: string | undefined; readonly elmDigest: string };
  /** True when a lower score is better (`improvementNotation` decrease on the Measure). */
  readonly inverse: boolean;
}

/** One group's result for one patient. */
export interface GroupResult {
  readonly id: string | undefined;
  readonly counts: Readonly<Partial<Record<PopulationCode, number>>>;
  readonly gapStatus: GapStatus;
}

/** The URL of the extension carrying the DEQM gap status on a MeasureReport group. */
export const GAP_STATUS_EXTENSION = 'https://careloop.example/fhir/StructureDefinition/deqm-gap-status';
/** The DEQM gap status code system. */
export const GAP_STATUS_SYSTEM = 'http://hl7.org/fhir/us/davinci-deqm/CodeSystem/gaps-status';

/** A Measure's computable name (FHIR `name`: machine-processable; letters, digits, `_`, `.`, `-`). */
const COMPUTABLE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,119}$/;

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function decodeBase64Utf8(data: string): string {
  const bin = atob(data);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
}

function codeOf(concept: unknown): string | undefined {
  if (!isObj(concept) || !Array.isArray(concept['coding'])) return undefined;
  const c = (concept['coding'] as unknown[])[0];
  return isObj(c) && typeof c['code'] === 'string' ? c['code'] : undefined;
}

function resourcesOf(bundle: unknown): Json[] {
  if (!isObj(bundle) || bundle['resourceType'] !== 'Bundle' || !Array.isArray(bundle['entry'])) {
    throw new MeasurePackageError('a measure package must be a FHIR Bundle with entries');
  }
  return (bundle['entry'] as unknown[]).map((e) => (isObj(e) ? e['resource'] : undefined)).filter(isObj);
}

/**
 * Loads one or more measure package Bundles (a measure's Libraries and ValueSets may come in several
 * Bundles) into measure packages, one per Measure.
 *
 * @throws {MeasurePackageError} for a malformed package, ELM that does not load (library and node
 *   named), or a value set the ELM needs and the packages lack.
 */
export function loadMeasurePackages(bundles: readonly unknown[]): MeasurePackage[] {
  const resources = bundles.flatMap(resourcesOf);
  const measures = resources.filter((r) => r['resourceType'] === 'Measure');
  if (measures.length === 0) throw new MeasurePackageError('the package holds no Measure');
  const libraries = new Map<string, { elm: ElmLibrary; url: string | undefined; version: string | undefined }>();
  for (const lib of resources.filter((r) => r['resourceType'] === 'Library')) {
    const content = Array.isArray(lib['content']) ? (lib['content'] as unknown[]).filter(isObj) : [];
    const elmContent = content.find((c) => c['contentType'] === 'application/elm+json' && typeof c['data'] === 'string');
    if (!elmContent) continue;
    let elm: ElmLibrary;
    try {
      elm = JSON.parse(decodeBase64Utf8(elmContent['data'] as string)) as ElmLibrary;
    } catch (e) {
      throw new MeasurePackageError(`Library ${String(lib['name'] ?? lib['id'])}: its ELM content is not base64 JSON (${e instanceof Error ? e.message : String(e)})`);
    }
    const id = elm.library?.identifier?.id;
    if (typeof id !== 'string') throw new MeasurePackageError(`Library ${String(lib['name'] ?? lib['id'])}: its ELM has no library identifier`);
    libraries.set(`${id}|${elm.library.identifier.version ?? ''}`, {
      elm,
      url: typeof lib['url'] === 'string' ? lib['url'] : undefined,
      version: typeof lib['version'] === 'string' ? lib['version'] : undefined,
    });
  }
  const valueSets = new Map<string, CqlCode[]>();
  for (const vs of resources.filter((r) => r['resourceType'] === 'ValueSet')) {
    if (typeof vs['url'] !== 'string') continue;
    valueSets.set(vs['url'], codesOfValueSetResource(vs));
  }
  const terminology = createTerminology(valueSets);
  const elms = [...libraries.values()];
  return measures.map((m) => loadOne(m, elms, terminology));
}

function loadOne(measure: Json, elms: readonly { elm: ElmLibrary; url: string | undefined; version: string | undefined }[], terminology: Terminology): MeasurePackage {
  const url = typeof measure['url'] === 'string' ? measure['url'] : '';
  const title = typeof measure['title'] === 'string' ? measure['title'] : typeof measure['name'] === 'string' ? measure['name'] : url;
  const libRef = Array.isArray(measure['library']) ? (measure['library'] as unknown[])[0] : undefined;
  if (typeof libRef !== 'string') throw new MeasurePackageError(`Measure ${title}: no library`);
  const [libUrl, libVersion] = libRef.split('|');
  const mainEntry =
    elms.find((e) => e.url === libUrl && (libVersion === undefined || e.version === libVersion)) ??
    elms.find((e) => libUrl !== undefined && libUrl.endsWith(`/${e.elm.library.identifier.id}`));
  if (!mainEntry) throw new MeasurePackageError(`Measure ${title}: its library ${libRef} is not in the package`);
  const mainName = mainEntry.elm.library.identifier.id;
  const others = elms.filter((e) => e !== mainEntry).map((e) => e.elm);
  let program: Program;
  try {
    program = createFhirProgram([mainEntry.elm, ...others], { main: mainName });
  } catch (e) {
    if (e instanceof ElmLoadError) throw new MeasurePackageError(`Measure ${title}: ${e.message}`);
    throw e;
  }
  const missing = program.valueSetUrls.filter((u) => !terminology.has(u));
  if (missing.length > 0) throw new MeasurePackageError(`Measure ${title}: the package lacks value set${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);

  const measureScoring = codeOf(measure['scoring']) ?? 'proportion';
  const measureImprovement = codeOf(measure['improvementNotation']) ?? 'increase';
  const measureBasis = basisOf(measure);
  const groups: MeasureGroup[] = (Array.isArray(measure['group']) ? (measure['group'] as unknown[]) : []).filter(isObj).map((g) => {
    const populations = (Array.isArray(g['population']) ? (g['population'] as unknown[]) : []).filter(isObj).map((p) => {
      const code = codeOf(p['code']) as PopulationCode | undefined;
      const criteria = p['criteria'];
      const expression = isObj(criteria) && typeof criteria['expression'] === 'string' ? criteria['expression'] : undefined;
      if (!code || !expression) throw new MeasurePackageError(`Measure ${title}: a population without a code or criteria expression`);
      if (code !== 'measure-observation' && !program.main.defs.has(expression)) {
        throw new MeasurePackageError(`Measure ${title}: population ${code} names "${expression}", which library ${mainName} does not define`);
      }
      return { code, expression, id: typeof p['id'] === 'string' ? p['id'] : undefined };
    });
    const scoring = groupExtensionCode(g, 'scoring') ?? measureScoring;
    const basis = groupExtensionCode(g, 'populationBasis') ?? measureBasis;
    return {
      id: typeof g['id'] === 'string' ? g['id'] : undefined,
      populations,
      patientBased: basis === 'boolean',
      scoring,
      improvementNotation: groupExtensionCode(g, 'improvementNotation') ?? measureImprovement,
    };
  });
  if (groups.length === 0) throw new MeasurePackageError(`Measure ${title}: no groups`);
  return {
    url,
    version: typeof measure['version'] === 'string' ? measure['version'] : undefined,
    title,
    // The computable name (rule ids and audit entries use it); a Measure without one is named by its main library.
    name: typeof measure['name'] === 'string' && COMPUTABLE_NAME.test(measure['name']) ? measure['name'] : mainName,
    groups,
    program,
    terminology,
    library: { name: mainName, version: mainEntry.elm.library.identifier.version, elmDigest: digestOf(mainEntry.elm) },
    inverse: measureImprovement === 'decrease',
  };
}

function basisOf(r: Json): string {
  const ext = Array.isArray(r['extension']) ? (r['extension'] as unknown[]).filter(isObj) : [];
  const basis = ext.find((e) => typeof e['url'] === 'string' && e['url'].endsWith('/cqfm-populationBasis'));
  return basis && typeof basis['valueCode'] === 'string' ? basis['valueCode'] : 'boolean';
}

/** A group-level setting from its extensions (cqfm-scoring, cqfm-populationBasis, cqfm-improvementNotation). */
function groupExtensionCode(g: Json, what: 'scoring' | 'populationBasis' | 'improvementNotation'): string | undefined {
  const ext = Array.isArray(g['extension']) ? (g['extension'] as unknown[]).filter(isObj) : [];
  const hit = ext.find((e) => typeof e['url'] === 'string' && e['url'].endsWith(`/cqfm-${what}`));
  if (!hit) return undefined;
  if (typeof hit['valueCode'] === 'string') return hit['valueCode'];
  return codeOf(hit['valueCodeableConcept']);
}

/** The Measurement Period for `start`–`end` (whole days, inclusive) at a UTC offset in hours. */
export function measurementPeriod(start: string, end: string, offset = 0): CqlInterval {
  const parts = (d: string): number[] => d.split('-').map(Number);
  const [sy, sm, sd] = parts(start) as [number, number, number];
  const [ey, em, ed] = parts(end) as [number, number, number];
  return new CqlInterval(new CqlDateTime([sy, sm, sd, 0, 0, 0, 0], offset), new CqlDateTime([ey, em, ed, 23, 59, 59, 999], offset), true, true);
}

function identity(v: unknown): string {
  if (v instanceof FhirValue) {
    const json = v.json;
    if (isObj(json)) return `${String(json['resourceType'])}/${String(json['id'])}`;
  }
  return JSON.stringify(v);
}

function asSet(v: unknown): Set<string> {
  if (Array.isArray(v)) return new Set(v.filter((x) => x !== null && x !== undefined).map(identity));
  return v === null || v === undefined ? new Set() : new Set([identity(v)]);
}

/**
 * Evaluates every group of a proportion measure for one patient.
 *
 * @throws {MeasurePackageError} for a scoring other than proportion, or a population that fails.
 */
export function evaluateMeasure(pkg: MeasurePackage, resources: readonly unknown[], input: { readonly periodStart: string; readonly periodEnd: string; readonly now: CqlDateTime }): GroupResult[] {
  const defines = [...new Set(pkg.groups.flatMap((g) => g.populations.filter((p) => p.code !== 'measure-observation').map((p) => p.expression)))];
  const values = evaluateFhir(pkg.program, resources, {
    now: input.now,
    terminology: pkg.terminology,
    parameters: { 'Measurement Period': measurementPeriod(input.periodStart, input.periodEnd, input.now.offset ?? 0) },
    defines,
  });
  const valueOf = (name: string): unknown => {
    const r = values.get(name);
    if (!r) return null;
    if ('error' in r) throw new MeasurePackageError(`${pkg.title}: "${name}" failed: ${r.error.message}`);
    return r.value;
  };
  return pkg.groups.map((g) => {
    if (g.scoring !== 'proportion') throw new MeasurePackageError(`${pkg.title}: unsupported scoring "${g.scoring}" (proportion measures are supported)`);
    const pop = (code: PopulationCode): { present: boolean; value: unknown } => {
      const p = g.populations.find((x) => x.code === code);
      return p ? { present: true, value: valueOf(p.expression) } : { present: false, value: null };
    };
    const counts: Partial<Record<PopulationCode, number>> = {};
    let gapStatus: GapStatus;
    if (g.patientBased) {
      const t = (code: PopulationCode): boolean => pop(code).value === true;
      const ip = t('initial-population');
      const den = ip && (pop('denominator').present ? t('denominator') : true);
      const denex = den && t('denominator-exclusion');
      const numer = den && !denex && t('numerator');
      const numex = numer && t('numerator-exclusion');
      const denexcep = den && !denex && !(numer && !numex) && t('denominator-exception');
      for (const p of g.populations) {
        const v = { 'initial-population': ip, denominator: den, 'denominator-exclusion': denex, numerator: numer, 'numerator-exclusion': numex, 'denominator-exception': denexcep }[p.code as string];
        if (v !== undefined) counts[p.code] = v ? 1 : 0;
      }
      const inNumerator = numer && !numex;
      gapStatus = !den || denex || denexcep ? 'not-applicable' : inNumerator !== (g.improvementNotation === 'decrease') ? 'closed-gap' : 'open-gap';
    } else {
      const s = (code: PopulationCode): Set<string> => asSet(pop(code).value);
      const ip = s('initial-population');
      const den = pop('denominator').present ? new Set([...s('denominator')].filter((x) => ip.has(x))) : ip;
      const denex = new Set([...s('denominator-exclusion')].filter((x) => den.has(x)));
      const numer = new Set([...s('numerator')].filter((x) => den.has(x) && !denex.has(x)));
      const numex = new Set([...s('numerator-exclusion')].filter((x) => numer.has(x)));
      const denexcep = new Set([...s('denominator-exception')].filter((x) => den.has(x) && !denex.has(x) && !(numer.has(x) && !numex.has(x))));
      const sizes: Partial<Record<string, number>> = { 'initial-population': ip.size, denominator: den.size, 'denominator-exclusion': denex.size, numerator: numer.size, 'numerator-exclusion': numex.size, 'denominator-exception': denexcep.size };
      for (const p of g.populations) {
        const v = sizes[p.code];
        if (v !== undefined) counts[p.code] = v;
      }
      const open = den.size - denex.size - denexcep.size - (numer.size - numex.size);
      const eligible = den.size - denex.size - denexcep.size;
      const decrease = g.improvementNotation === 'decrease';
      gapStatus = eligible <= 0 ? 'not-applicable' : (decrease ? numer.size - numex.size > 0 : open > 0) ? 'open-gap' : 'closed-gap';
    }
    return { id: g.id, counts, gapStatus };
  });
}

/** The individual MeasureReport for one patient (FHIR R4), with the DEQM gap status on each group. */
export function measureReport(pkg: MeasurePackage, patientId: string, period: { readonly start: string; readonly end: string }, groups: readonly GroupResult[]): Json {
  return {
    resourceType: 'MeasureReport',
    status: 'complete',
    type: 'individual',
    measure: pkg.version ? `${pkg.url}|${pkg.version}` : pkg.url,
    subject: { reference: `Patient/${patientId}` },
    period: { start: period.start, end: period.end },
    group: groups.map((g, i) => ({
      ...(g.id ? { id: g.id } : {}),
      extension: [{ url: GAP_STATUS_EXTENSION, valueCodeableConcept: { coding: [{ system: GAP_STATUS_SYSTEM, code: g.gapStatus }] } }],
      population: (pkg.groups[i]?.populations ?? [])
        .filter((p) => g.counts[p.code] !== undefined)
        .map((p) => ({
          ...(p.id ? { id: p.id } : {}),
          code: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/measure-population', code: p.code }] },
          count: g.counts[p.code],
        })),
    })),
  };
}
