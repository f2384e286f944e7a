/**
 * The careloop-preventive pack in CQL: Careloop's own libraries (src/rules/cql/*.cql, translated to
 * ELM in src/rules/elm/ by `npx tsx src/cli/cql-translate.ts src/rules/cql src/rules/elm`) evaluated
 * by Careloop's ELM engine (src/cql), their defines mapped to the `RuleResult` union the card reads.
 *
 * ## The define contract (every rule library, stable)
 *
 * Parameters:
 * - `"As Of" DateTime`: the point-of-care day (day precision, at the evaluation's offset); null in
 *   measure mode.
 * - `"Measurement Period" Interval<DateTime>`: measure mode's period, first to last millisecond at the
 *   evaluation's offset; null at the point of care.
 *
 * Every event is read as a calendar day at the evaluation request's offset (`date from`): the offset
 * of `timeZone` on the reference day, else UTC.
 *
 * Measure defines (eCQM 2025 population criteria): `"Initial Population"`, `"Denominator"`,
 * `"Denominator Exclusions"`, `"Denominator Exceptions"` (only where the measure has them),
 * `"Numerator"` — Booleans.
 *
 * Point-of-care defines (also evaluated in measure mode, where they describe the measure's answer):
 * - `"Applicable"` Boolean: the rule applies (age, sex, diagnosis, season; in measure mode the initial
 *   population). Null when the record cannot tell (e.g. no birth date).
 * - `"Exclusion"` `Tuple { label String, code Code, resource FHIR.Resource }` or null: the exclusion (or
 *   measure exception) that applies. A null `code` lets the host take the resource's code.
 * - `"Missing"` `List<String>`: what is missing or malformed; decides the rule (insufficient data)
 *   only when non-empty and nothing else decides it.
 * - `"Satisfied By"` FHIR.Resource or null: what closes the gap.
 * - `"Gap Open"` Boolean; `"Due Date"` Date; `"Next Due Date"` Date or null (null: never again);
 *   `"Urgent"` Boolean (an out-of-range value or a season past its due-by day: overdue at once).
 * - `"Action"` String: the key of an action template in pack-metadata.ts.
 * - `"Reason"` String: the clinician-facing sentence; `"Reason Code"` String: the DEQM care-gap reason.
 * - `"Evidence"` `List<Tuple { resource FHIR.Resource, role String, note String, "date" Date, value String }>`:
 *   roles as `EvidenceRole`; `date` is the day the rule used, `value` the value it read (e.g. `9.4 %`).
 *
 * The host decides the status in this order: not `"Applicable"` → insufficient-data when `"Missing"`
 * is non-empty, else not-applicable; `"Exclusion"` → excluded; not `"Gap Open"` → satisfied;
 * `"Missing"` non-empty → insufficient-data; else due, or overdue when `"Urgent"` or the due date
 * plus the rule's grace months has come (point of care only; measure mode reports open gaps as due).
 * In measure mode the populations come from the measure defines (an exclusion or exception removes
 * the patient from the numerator) and `gapStatus` from them.
 */
import { qicoreClassifier } from '../cql/fhir-r4/qicore.ts';
import { createFhirDataSourceByType, createFhirProgram, createTerminology, CqlCode, CqlDate, CqlDateTime, CqlInterval, CqlTuple, FhirValue } from '../cql/index.ts';
import type { ElmLibrary, FhirDataSource, Program } from '../cql/index.ts';
import { digestOf } from '../shared/digest.ts';
import { compareResults } from './ranking.ts';
import { dataTypesOf } from './data-requirements.ts';
import { addMonths, assertTimeZone, isDay } from './dates.ts';
import { parseValueSets } from './valueset-resources.ts';
import { evaluateMeasure } from './measure-package.ts';
import type { MeasurePackage } from './measure-package.ts';
import { PACK_RULES } from './pack-metadata.ts';
import type { RuleMeta } from './pack-metadata.ts';
import { indexRecord, isObject, recordGroups, referenceKey } from './record.ts';
import type { PatientRecord } from './record.ts';
import type {
  CareGapReason,
  CodeRef,
  Day,
  EvaluateOptions,
  Evidence,
  EvidenceRole,
  GapStatus,
  GapTiming,
  LogicRef,
  PackResult,
  Populations,
  RuleResult,
  RuleStatus,
  ValueSetDefinition,
} from './types.ts';
import { isOpenGap } from './types.ts';
import { BUILT_IN_VALUE_SETS } from './valuesets.ts';
import breastElm from './elm/CareloopBreastCancerScreening.json' with { type: 'json' };
import cervicalElm from './elm/CareloopCervicalCancerScreening.json' with { type: 'json' };
import colorectalElm from './elm/CareloopColorectalCancerScreening.json' with { type: 'json' };
import commonElm from './elm/CareloopCommon.json' with { type: 'json' };
import bloodPressureElm from './elm/CareloopControllingBloodPressure.json' with { type: 'json' };
import diabetesElm from './elm/CareloopDiabetesGlycemicStatus.json' with { type: 'json' };
import fhirHelpersElm from './elm/FHIRHelpers.json' with { type: 'json' };
import influenzaElm from './elm/CareloopInfluenzaVaccination.json' with { type: 'json' };
import pneumococcalElm from './elm/CareloopPneumococcalVaccination.json' with { type: 'json' };
import statinElm from './elm/CareloopStatinTherapy.json' with { type: 'json' };
import tobaccoElm from './elm/CareloopTobaccoScreening.json' with { type: 'json' };

const ELM: readonly ElmLibrary[] = [
  commonElm,
  fhirHelpersElm,
  colorectalElm,
  breastElm,
  cervicalElm,
  diabetesElm,
  bloodPressureElm,
  statinElm,
  tobaccoElm,
  influenzaElm,
  pneumococcalElm,
] as unknown as readonly ElmLibrary[];

let ruleTypes: ReadonlyMap<string, readonly string[]> | undefined;

/**
 * The FHIR resource types each built-in rule reads (see ./data-requirements.ts), by rule id.
 * A rule not listed (an official measure package's) is taken to read every type.
 */
export function ruleDataTypes(): ReadonlyMap<string, readonly string[]> {
  if (!ruleTypes) {
    const libraries = new Map(ELM.map((doc) => [doc.library.identifier.id, doc] as const));
    ruleTypes = new Map(PACK_RULES.map((rule) => [rule.id, dataTypesOf(rule.library, libraries)] as const));
  }
  return ruleTypes;
}

/** A rule pack whose logic is CQL: rule metadata, the value sets its libraries name, the ELM digests. */
export interface RulePack {
  readonly id: string;
  readonly version: string;
  readonly rules: readonly RuleMeta[];
  /** Keyed by canonical URL: every value set the libraries name. */
  readonly valueSets: Readonly<Record<string, ValueSetDefinition>>;
  /** Library name → the SHA-256 of the canonical JSON of its ELM. */
  readonly elmDigests: Readonly<Record<string, string>>;
  /** Official measure packages an admin loaded (`withMeasurePackages`). */
  readonly measures: readonly MeasurePackage[];
  /** SHA-256 of the canonical JSON of id, version, rules, value sets, ELM digests and loaded measures. */
  readonly digest: string;
}

/** Library name → its version, as its ELM declares it. */
const LIBRARY_VERSIONS: ReadonlyMap<string, string> = new Map(ELM.map((doc) => [doc.library.identifier.id, doc.library.identifier.version ?? ''] as const));

let loaded: Program | undefined;
/** The program of every library, loaded once on first use (compiling ~1 MB of ELM). */
function program(): Program {
  loaded ??= createFhirProgram(ELM, { main: 'CareloopCommon' });
  return loaded;
}

/**
 * Each library's ELM digest as the production build computed it (vite.config.ts): hashing ~2 MB of
 * ELM on every launch would cost the browser far more than the evaluation. Undefined elsewhere.
 */
declare const __CARELOOP_ELM_DIGESTS__: Readonly<Record<string, string>> | undefined;

let elmDigestCache: Record<string, string> | undefined;
/** Library name → SHA-256 of the canonical JSON of its ELM. */
function elmDigests(): Record<string, string> {
  if (typeof __CARELOOP_ELM_DIGESTS__ === 'object' && __CARELOOP_ELM_DIGESTS__ !== null) return { ...__CARELOOP_ELM_DIGESTS__ };
  if (!elmDigestCache) {
    elmDigestCache = {};
    for (const doc of ELM) elmDigestCache[doc.library.identifier.id] = digestOf(doc);
  }
  return { ...elmDigestCache };
}

/** Value set URLs the libraries name, read from the ELM without compiling it. */
function valueSetUrls(): string[] {
  const urls = new Set<string>();
  for (const doc of ELM) {
    const defs = (doc.library as { valueSets?: { def?: readonly { id: string }[] } }).valueSets?.def ?? [];
    for (const d of defs) urls.add(d.id);
  }
  return [...urls].sort();
}

function assemble(
  id: string,
  version: string,
  rules: readonly RuleMeta[],
  valueSets: Readonly<Record<string, ValueSetDefinition>>,
  builtDigest?: string,
  measures: readonly MeasurePackage[] = [],
): RulePack {
  const inUse: Record<string, ValueSetDefinition> = {};
  for (const url of valueSetUrls()) {
    const vs = valueSets[url];
    if (vs) inUse[url] = vs;
  }
  const digests = elmDigests();
  const loaded = measures.map((m) => ({ url: m.url, version: m.version ?? null, library: m.library }));
  const digest = builtDigest !== undefined && measures.length === 0 ? builtDigest : digestOf(measures.length ? { id, version, rules, valueSets: inUse, elm: digests, measures: loaded } : { id, version, rules, valueSets: inUse, elm: digests });
  return { id, version, rules, valueSets: inUse, elmDigests: digests, measures, digest };
}

/** The careloop-preventive pack, its logic in CQL. */
/**
 * The built-in pack's digest as the production build computed it (vite.config.ts), from these same
 * modules: hashing the pack's canonical JSON costs a browser ~100 ms of main thread on every launch,
 * for a value fixed at build time. Undefined everywhere else (tests, Node, the dev server).
 */
declare const __CARELOOP_PREVENTIVE_DIGEST__: string | undefined;

/** The careloop-preventive pack: Careloop's CQL libraries, their rule metadata and value sets. */
export const careloopPreventive: RulePack = assemble(
  'careloop-preventive',
  '2.0.0',
  PACK_RULES,
  BUILT_IN_VALUE_SETS,
  typeof __CARELOOP_PREVENTIVE_DIGEST__ === 'string' ? __CARELOOP_PREVENTIVE_DIGEST__ : undefined,
);

/**
 * Replaces value set expansions by canonical URL (ValueSet resources, arrays, or Bundles), as
 * for an admin's official expansions; the digest is recomputed.
 *
 * @throws {ValueSetLoadError} for input that is not ValueSets.
 */
export function withValueSets(pack: RulePack, valueSetResources: unknown): RulePack {
  const next: Record<string, ValueSetDefinition> = { ...pack.valueSets };
  for (const [url, vs] of parseValueSets(valueSetResources)) if (Object.hasOwn(next, url)) next[url] = vs;
  return assemble(pack.id, pack.version, pack.rules, next, undefined, pack.measures);
}

const canonical = (url: string): string => url.split('|')[0] ?? url;

/** The loaded official measure that replaces a rule's measure logic, if any (by canonical URL). */
function officialFor(rule: RuleMeta, pack: RulePack): MeasurePackage | undefined {
  const urls = new Set([...(rule.measure?.canonicalUrls ?? []), ...(rule.measure ? [rule.measure.url] : [])]);
  return pack.measures.find((m) => urls.has(canonical(m.url)));
}

/**
 * Adds official measure packages (loaded with `loadMeasurePackages`): one whose Measure's canonical URL
 * is a rule's measure replaces that rule's measure logic (populations and gap status in measure
 * mode); any other is evaluated for the calendar year at the point of care (the measurement period
 * in measure mode) and, with no Careloop action template, shows on the card as "Review: <title>"
 * with a Task action. A package with the same canonical URL as one already loaded replaces it. The
 * digest covers the packages' URLs, versions and ELM digests.
 *
 * @example
 * const pack = withMeasurePackages(careloopPreventive, loadMeasurePackages([cms130Bundle]));
 */
export function withMeasurePackages(pack: RulePack, packages: readonly MeasurePackage[]): RulePack {
  const kept = pack.measures.filter((m) => !packages.some((p) => canonical(p.url) === canonical(m.url)));
  return assemble(pack.id, pack.version, pack.rules, pack.valueSets, undefined, [...kept, ...packages]);
}

/** The Task a loaded measure without a Careloop template proposes. */
const REVIEW_ACTION_CODE = { system: 'http://careloop.example/fhir/CodeSystem/care-gap-action', code: 'review-measure', display: 'Review care gap' } as const;

/** A rule that stands for a loaded measure no Careloop rule reports: "Review: <title>". */
export function reviewRuleFor(m: MeasurePackage): RuleMeta {
  const id = `measure:${m.name}`.slice(0, 128);
  return {
    id,
    library: m.library.name,
    version: m.version ?? m.library.version ?? '',
    title: `Review: ${m.title}`,
    citation: { text: `${m.title} (official measure ${m.version ? `${m.url}|${m.version}` : m.url})`, url: m.url },
    weight: 40,
    graceMonths: 0,
    actions: {
      screening: { resourceType: 'Task', code: REVIEW_ACTION_CODE, intent: 'proposal', text: `Review: ${m.title}`, reason: `Open gap in ${m.title}.`, label: 'Create a review task' },
    },
    measure: { id: m.name, version: m.version ?? '', url: m.url, canonicalUrls: [canonical(m.url)], inverse: m.inverse },
  };
}

/** The year of a day as a measurement period (`YYYY-01-01`–`YYYY-12-31`). */
function calendarYear(day: Day): { start: Day; end: Day } {
  const y = day.slice(0, 4);
  return { start: `${y}-01-01`, end: `${y}-12-31` };
}

/** A rule's result from an official measure package's first group. */
function officialShape(m: MeasurePackage, resources: readonly unknown[], period: { start: Day; end: Day }, now: CqlDateTime, measureMode: boolean): Shaped & { logic: LogicRef } {
  const [group] = evaluateMeasure(m, resources, { periodStart: period.start, periodEnd: period.end, now });
  const logic: LogicRef = { library: m.library.name, version: m.library.version ?? '', elmDigest: m.library.elmDigest, source: 'measure-package' };
  if (!group) return { ...failure(`${m.title}: no group`, measureMode), logic };
  const c = (code: string): boolean => (group.counts[code as keyof typeof group.counts] ?? 0) > 0;
  const populations: Populations = {
    'initial-population': c('initial-population'),
    denominator: c('denominator'),
    'denominator-exclusion': c('denominator-exclusion'),
    'denominator-exception': c('denominator-exception'),
    numerator: c('numerator'),
  };
  const measureFields = measureMode ? { populations, gapStatus: group.gapStatus } : {};
  const during = `${period.start} to ${period.end}`;
  if (!populations['initial-population']) return { status: 'not-applicable', reason: `Not in the population of ${m.title} for ${during}.`, reasonCode: undefined, evidence: [], logic, ...measureFields };
  if (populations['denominator-exclusion'] || populations['denominator-exception']) {
    const label = populations['denominator-exclusion'] ? 'Excluded by the official measure' : 'Exception in the official measure';
    return { status: 'excluded', reason: `${label} (${m.title}, ${during}).`, reasonCode: undefined, evidence: [], exclusion: { label }, logic, ...measureFields };
  }
  if (group.gapStatus === 'closed-gap') return { status: 'satisfied', reason: `${m.title}: met for ${during}.`, reasonCode: 'Present', evidence: [], nextDueDate: null, logic, ...measureFields };
  return { status: 'due', reason: `${m.title}: open gap for ${during}.`, reasonCode: 'NotFound', evidence: [], dueDate: period.end, logic, ...measureFields };
}

const terminologies = new WeakMap<RulePack, { terminology: ReturnType<typeof createTerminology>; known: Set<string> }>();
function terminologyOf(pack: RulePack): { terminology: ReturnType<typeof createTerminology>; known: Set<string> } {
  let t = terminologies.get(pack);
  if (!t) {
    const map = new Map<string, CqlCode[]>();
    const known = new Set<string>();
    for (const vs of Object.values(pack.valueSets)) {
      map.set(vs.url, vs.codes.map((c) => new CqlCode(c.code, c.system, null, c.display ?? null)));
      for (const c of vs.codes) known.add(`${c.system}|${c.code}`);
    }
    t = { terminology: createTerminology(map), known };
    terminologies.set(pack, t);
  }
  return t;
}

// ---------------------------------------------------------------------------------------------
// Options and time

function optionsProblem(options: EvaluateOptions): string | undefined {
  try {
    if (options.timeZone !== undefined) assertTimeZone(options.timeZone);
  } catch {
    return `unknown time zone "${options.timeZone ?? ''}"`;
  }
  if (options.mode === 'point-of-care') return isDay(options.asOf) ? undefined : `asOf "${options.asOf}" is not YYYY-MM-DD`;
  if (options.mode === 'measure') {
    if (!isDay(options.periodStart) || !isDay(options.periodEnd)) return 'periodStart and periodEnd must be YYYY-MM-DD';
    if (options.periodStart > options.periodEnd) return 'periodStart is after periodEnd';
    return undefined;
  }
  return 'mode must be point-of-care or measure';
}

/** Offset formatters by time zone: building one costs more than evaluating a small record. */
const offsetFormats = new Map<string, Intl.DateTimeFormat>();

/** The UTC offset (hours) of `timeZone` at noon UTC on `day`; 0 without a zone. */
export function offsetOn(day: Day, timeZone: string | undefined): number {
  if (timeZone === undefined) return 0;
  const at = new Date(`${day}T12:00:00Z`);
  let format = offsetFormats.get(timeZone);
  if (format === undefined) offsetFormats.set(timeZone, (format = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' })));
  const parts = format.formatToParts(at);
  const name = parts.find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const m = /^GMT([+-])(\d{2}):(\d{2})$/.exec(name);
  if (!m) return 0;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) + Number(m[3]) / 60);
}

const ymd = (day: Day): [number, number, number] => [Number(day.slice(0, 4)), Number(day.slice(5, 7)), Number(day.slice(8, 10))];

interface Setting {
  readonly mode: 'point-of-care' | 'measure';
  readonly refDay: Day;
  readonly now: CqlDateTime;
  readonly parameters: Record<string, unknown>;
}

function settingOf(options: EvaluateOptions): Setting {
  if (options.mode === 'point-of-care') {
    const offset = offsetOn(options.asOf, options.timeZone);
    return {
      mode: 'point-of-care',
      refDay: options.asOf,
      now: new CqlDateTime([...ymd(options.asOf), 0, 0, 0, 0], offset),
      parameters: { 'As Of': new CqlDateTime(ymd(options.asOf), offset), 'Measurement Period': null },
    };
  }
  const offset = offsetOn(options.periodEnd, options.timeZone);
  const period = new CqlInterval(
    new CqlDateTime([...ymd(options.periodStart), 0, 0, 0, 0], offset),
    new CqlDateTime([...ymd(options.periodEnd), 23, 59, 59, 999], offset),
    true,
    true,
    'DateTime',
  );
  return {
    mode: 'measure',
    refDay: options.periodEnd,
    now: new CqlDateTime([...ymd(options.periodEnd), 0, 0, 0, 0], offset),
    parameters: { 'As Of': null, 'Measurement Period': period },
  };
}

// ---------------------------------------------------------------------------------------------
// Reading define values

const POC_DEFINES = [
  'Applicable',
  'Exclusion',
  'Missing',
  'Satisfied By',
  'Gap Open',
  'Due Date',
  'Next Due Date',
  'Urgent',
  'Action',
  'Reason',
  'Reason Code',
  'Evidence',
] as const;
const MEASURE_DEFINES = ['Initial Population', 'Denominator', 'Denominator Exclusions', 'Denominator Exceptions', 'Numerator'] as const;

const pad = (n: number, w: number): string => String(n).padStart(w, '0');

function dayOf(v: unknown): Day | undefined {
  if (v instanceof CqlDate && v.f.length === 3) return `${pad(v.f[0] ?? 0, 4)}-${pad(v.f[1] ?? 0, 2)}-${pad(v.f[2] ?? 0, 2)}`;
  return undefined;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const bool = (v: unknown): boolean | null => (typeof v === 'boolean' ? v : null);

function resourceJson(v: unknown): Readonly<Record<string, unknown>> | undefined {
  return v instanceof FhirValue && isObject(v.json) ? v.json : undefined;
}

/** `Type/id/_history/versionId` (or `Type/id`) and the versionId of a resource. */
function referenceOf(json: Readonly<Record<string, unknown>>): { reference: string; versionId: string | undefined } {
  const type = typeof json['resourceType'] === 'string' ? json['resourceType'] : 'Resource';
  const id = typeof json['id'] === 'string' ? json['id'] : '?';
  const meta = json['meta'];
  const versionId = isObject(meta) && typeof meta['versionId'] === 'string' ? meta['versionId'] : undefined;
  return { reference: versionId === undefined ? `${type}/${id}` : `${type}/${id}/_history/${versionId}`, versionId };
}

const CODE_ELEMENT: Readonly<Record<string, string>> = {
  Immunization: 'vaccineCode',
  MedicationRequest: 'medicationCodeableConcept',
  Encounter: 'type',
};

/** The coding the rule most likely matched: the first in a pack value set, else the first. */
function codeOf(json: Readonly<Record<string, unknown>>, known: ReadonlySet<string>): CodeRef | undefined {
  const type = typeof json['resourceType'] === 'string' ? json['resourceType'] : '';
  const raw = json[CODE_ELEMENT[type] ?? 'code'];
  const concepts = Array.isArray(raw) ? raw : [raw];
  const codings: CodeRef[] = [];
  for (const c of concepts) {
    if (!isObject(c) || !Array.isArray(c['coding'])) continue;
    for (const x of c['coding']) {
      if (isObject(x) && typeof x['system'] === 'string' && typeof x['code'] === 'string') {
        codings.push(typeof x['display'] === 'string' ? { system: x['system'], code: x['code'], display: x['display'] } : { system: x['system'], code: x['code'] });
      }
    }
  }
  return codings.find((c) => known.has(`${c.system}|${c.code}`)) ?? codings[0];
}

function evidenceOf(v: unknown, known: ReadonlySet<string>): Evidence | undefined {
  if (!(v instanceof CqlTuple)) return undefined;
  const e = v.elements;
  const json = resourceJson(e['resource']);
  const role = str(e['role']);
  if (!json || role === undefined) return undefined;
  const { reference, versionId } = referenceOf(json);
  const code = codeOf(json, known);
  const date = dayOf(e['date']);
  const value = str(e['value']);
  const note = str(e['note']);
  return {
    reference,
    ...(versionId === undefined ? {} : { versionId }),
    ...(date === undefined ? {} : { date }),
    ...(value === undefined ? {} : { value }),
    ...(code === undefined ? {} : { code }),
    role: role as EvidenceRole,
    ...(note === undefined ? {} : { note }),
  };
}

const byRef = (a: Evidence, b: Evidence): number => {
  const ka = `${a.date ?? ''}\u0000${a.reference}\u0000${a.role}`;
  const kb = `${b.date ?? ''}\u0000${b.reference}\u0000${b.role}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
};

function dedupe(list: readonly Evidence[]): Evidence[] {
  const seen = new Set<string>();
  const out: Evidence[] = [];
  for (const e of list) {
    const k = JSON.stringify([e.reference, e.role, e.date ?? '', e.value ?? '', e.note ?? '']);
    if (!seen.has(k)) {
      seen.add(k);
      out.push(e);
    }
  }
  return out;
}

class DefineError extends Error {}

function valueOf(values: ReadonlyMap<string, { readonly value: unknown } | { readonly error: Error }>, name: string, required: boolean): unknown {
  const v = values.get(name);
  if (v === undefined) {
    if (required) throw new DefineError(`define "${name}" is missing`);
    return null;
  }
  if ('error' in v) throw new DefineError(`"${name}": ${v.error.message}`);
  return v.value;
}

// ---------------------------------------------------------------------------------------------
// Shaping results

interface Shaped {
  readonly status: RuleStatus;
  readonly reason: string;
  readonly reasonCode: CareGapReason | undefined;
  readonly evidence: readonly Evidence[];
  readonly dueDate?: Day;
  readonly timing?: GapTiming;
  readonly overdue?: boolean;
  readonly actionKey?: string;
  readonly nextDueDate?: Day | null;
  readonly exclusion?: { readonly label: string; readonly code?: CodeRef; readonly reference?: string };
  readonly missing?: readonly string[];
  readonly populations?: Populations;
  readonly gapStatus?: GapStatus;
  /** Set when other logic than the rule's own library decided (an official measure package). */
  readonly logic?: LogicRef;
}

function finish(rule: RuleMeta, pack: RulePack, s: Shaped): RuleResult {
  const evidence = [...s.evidence].sort(byRef);
  const base = {
    rule: rule.id,
    version: rule.version,
    measure: rule.measure?.id,
    title: rule.title,
    citation: rule.citation,
    reason: s.reason,
    reasonCode: s.reasonCode,
    evidence,
    evidenceDigest: digestOf(evidence),
    packDigest: pack.digest,
    logic: s.logic ?? { library: rule.library, version: LIBRARY_VERSIONS.get(rule.library) ?? '', elmDigest: pack.elmDigests[rule.library] ?? '', source: 'careloop' as const },
    ...(s.populations ? { populations: s.populations } : {}),
    ...(s.gapStatus ? { gapStatus: s.gapStatus } : {}),
  };
  switch (s.status) {
    case 'not-applicable':
      return { ...base, status: 'not-applicable', reasonCode: undefined };
    case 'excluded':
      return { ...base, status: 'excluded', reasonCode: undefined, exclusion: s.exclusion ?? { label: 'Excluded' } };
    case 'insufficient-data':
      return { ...base, status: 'insufficient-data', reasonCode: 'InvalidAttribute', missing: s.missing ?? [] };
    case 'satisfied':
      return { ...base, status: 'satisfied', nextDueDate: s.nextDueDate ?? null };
    case 'due':
    case 'overdue': {
      const action = rule.actions[s.actionKey ?? 'screening'] ?? rule.actions['screening'];
      if (!action) throw new DefineError(`no action template "${s.actionKey ?? ''}"`);
      // Placeholder priority: rank() numbers the open gaps once they are ordered.
      return { ...base, status: s.status, dueDate: s.dueDate ?? '', ...(s.timing ? { timing: s.timing } : {}), action, priority: 0 };
    }
  }
}

const REASON_CODES: ReadonlySet<string> = new Set(['NotFound', 'Missing', 'Present', 'InvalidAttribute', 'DateInRange', 'DateOutOfRange', 'ValueInRange', 'ValueOutOfRange']);

function shapeRule(rule: RuleMeta, values: ReadonlyMap<string, { readonly value: unknown } | { readonly error: Error }>, setting: Setting, known: ReadonlySet<string>): Shaped {
  const applicable = bool(valueOf(values, 'Applicable', true));
  const missingRaw = valueOf(values, 'Missing', true);
  const missing = Array.isArray(missingRaw) ? missingRaw.filter((m): m is string => typeof m === 'string').sort() : [];
  // Units as clinicians write them: UCUM's `mm[Hg]` is mmHg on the card.
  const reason = (str(valueOf(values, 'Reason', true)) ?? '').replaceAll('mm[Hg]', 'mmHg');
  const rc = str(valueOf(values, 'Reason Code', true));
  const reasonCode = rc !== undefined && REASON_CODES.has(rc) ? (rc as CareGapReason) : undefined;
  const evRaw = valueOf(values, 'Evidence', true);
  const evidence = dedupe((Array.isArray(evRaw) ? evRaw : []).map((e) => evidenceOf(e, known)).filter((e): e is Evidence => e !== undefined));

  let populations: Populations | undefined;
  let measureExcluded = false;
  let measureException = false;
  if (setting.mode === 'measure') {
    const ip = bool(valueOf(values, 'Initial Population', true)) === true;
    const denominator = ip && bool(valueOf(values, 'Denominator', true)) === true;
    const excl = denominator && bool(valueOf(values, 'Denominator Exclusions', true)) === true;
    const numer = denominator && !excl && bool(valueOf(values, 'Numerator', true)) === true;
    const exc = denominator && !excl && !numer && bool(valueOf(values, 'Denominator Exceptions', false)) === true;
    populations = { 'initial-population': ip, denominator, 'denominator-exclusion': excl, 'denominator-exception': exc, numerator: numer };
    measureExcluded = excl;
    measureException = exc;
  }
  const withPops = (s: Shaped): Shaped => {
    if (!populations) return s;
    const inverse = rule.measure?.inverse ?? false;
    const counted = populations.denominator && !populations['denominator-exclusion'] && !populations['denominator-exception'];
    const closed = inverse ? !populations.numerator : populations.numerator;
    return { ...s, populations, gapStatus: !counted ? 'not-applicable' : closed ? 'closed-gap' : 'open-gap' };
  };

  if (applicable !== true) {
    return withPops({ status: missing.length > 0 ? 'insufficient-data' : 'not-applicable', reason, reasonCode: undefined, evidence, missing });
  }
  const exclusionRaw = valueOf(values, 'Exclusion', true);
  if (exclusionRaw instanceof CqlTuple && (setting.mode === 'point-of-care' || measureExcluded || measureException)) {
    const json = resourceJson(exclusionRaw.elements['resource']);
    const codeValue = exclusionRaw.elements['code'];
    const code: CodeRef | undefined =
      codeValue instanceof CqlCode && codeValue.system !== null ? { system: codeValue.system, code: codeValue.code } : json ? codeOf(json, known) : undefined;
    const exclusion = {
      label: str(exclusionRaw.elements['label']) ?? 'Excluded',
      ...(code === undefined ? {} : { code }),
      ...(json === undefined ? {} : { reference: referenceOf(json).reference }),
    };
    return withPops({ status: 'excluded', reason, reasonCode: undefined, evidence, exclusion });
  }
  const gapOpen = bool(valueOf(values, 'Gap Open', true));
  if (gapOpen === false) {
    const next = valueOf(values, 'Next Due Date', true);
    return withPops({ status: 'satisfied', reason, reasonCode, evidence, nextDueDate: dayOf(next) ?? null });
  }
  if (missing.length > 0) return withPops({ status: 'insufficient-data', reason, reasonCode: undefined, evidence, missing });
  const dueDate = dayOf(valueOf(values, 'Due Date', true));
  if (dueDate === undefined) throw new DefineError('"Due Date" is not a full date');
  const urgent = bool(valueOf(values, 'Urgent', true)) === true;
  const actionKey = str(valueOf(values, 'Action', true)) ?? 'screening';
  // Measure mode reports an open gap as due by the period end; overdue is a point-of-care notion.
  if (setting.mode !== 'point-of-care') return withPops({ status: 'due', reason, reasonCode, evidence, dueDate, actionKey });
  const timing = timingOf(rule, reasonCode, dueDate);
  // Overdue only against a real date: a last test that ran out, a result out of range, or a season's
  // due-by day. Never done is due (since the patient became eligible), never "overdue since" a birthday.
  const overdue = timing.kind === 'never-done' ? false : urgent || setting.refDay >= addMonths(dueDate, rule.graceMonths);
  const worded = timing.kind === 'never-done' && timing.eligibleAge !== null ? `${reason.replace(/\.$/, '')} (eligible since ${timing.eligibleAge}).` : reason;
  return withPops({ status: overdue ? 'overdue' : 'due', reason: worded, reasonCode, evidence, dueDate, timing, actionKey });
}

/** What an open gap's due date is relative to (see GapTiming). */
function timingOf(rule: RuleMeta, reasonCode: CareGapReason | undefined, dueDate: Day): GapTiming {
  if (reasonCode === 'ValueOutOfRange') return { kind: 'out-of-range', resultDay: dueDate };
  if (rule.seasonDueBy !== undefined) return { kind: 'season', dueBy: `${dueDate.slice(0, 4)}-${rule.seasonDueBy}` };
  if (reasonCode === 'NotFound') return { kind: 'never-done', eligibleSince: dueDate, eligibleAge: rule.eligibleAge ?? null };
  return { kind: 'expired', since: dueDate };
}

const CURRENT_ENCOUNTER_STATUSES: ReadonlySet<string> = new Set(['in-progress', 'arrived', 'triaged', 'onleave', 'finished']);

/**
 * Point of care: the encounter in context, when it is live or finished, is named as the visit beside
 * an open or closed gap (context the card shows, not rule logic).
 */
function currentVisit(record: PatientRecord, encounterId: string | undefined, known: ReadonlySet<string>): Evidence | undefined {
  if (encounterId === undefined) return undefined;
  const enc = (record.byType.get('Encounter') ?? []).find((e) => e.id === encounterId);
  const status = enc?.resource['status'];
  if (!enc || typeof status !== 'string' || !CURRENT_ENCOUNTER_STATUSES.has(status)) return undefined;
  const period = enc.resource['period'];
  const at = isObject(period) ? (typeof period['end'] === 'string' ? period['end'] : typeof period['start'] === 'string' ? period['start'] : undefined) : undefined;
  const date = at !== undefined && isDay(at.slice(0, 10)) ? at.slice(0, 10) : undefined;
  const code = codeOf(enc.resource, known);
  return {
    reference: enc.reference,
    ...(enc.versionId === undefined ? {} : { versionId: enc.versionId }),
    ...(date === undefined ? {} : { date }),
    ...(code === undefined ? {} : { code }),
    role: 'visit',
    note: 'current encounter',
  };
}

function failure(reason: string, populations: boolean): Shaped {
  return {
    status: 'insufficient-data',
    reason,
    reasonCode: undefined,
    evidence: [],
    missing: [reason],
    ...(populations
      ? {
          populations: { 'initial-population': false, denominator: false, 'denominator-exclusion': false, 'denominator-exception': false, numerator: false },
          gapStatus: 'not-applicable' as const,
        }
      : {}),
  };
}

function rank(results: RuleResult[], pack: RulePack): RuleResult[] {
  const weights = new Map([...pack.rules, ...pack.measures.map(reviewRuleFor)].map((r) => [r.id, r.weight] as const));
  const sorted = [...results].sort((a, b) => compareResults(a, b, weights));
  let n = 0;
  return sorted.map((r) => (isOpenGap(r) ? { ...r, priority: ++n } : r));
}

function isRecord(input: PatientRecord | readonly unknown[]): input is PatientRecord {
  return !Array.isArray(input);
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * The record's resources for the engine, grouped by type; every list a retrieve returns is in
 * reference order (`Type/id/_history/vid`), so results never depend on input order. Only what a
 * retrieve returns is sorted, not the whole record.
 */
function dataSourceOf(record: PatientRecord): FhirDataSource {
  const groups = recordGroups(record);
  return createFhirDataSourceByType(
    [...groups].map(([type, group]) => [type, group.resources] as const),
    qicoreClassifier,
    {
      orderKey: (type) => {
        const group = groups.get(type);
        return (resource, index) => referenceKey(resource, group?.positionOf(index) ?? -1);
      },
      codeIndexes: (type, path) => groups.get(type)?.codeIndex(path),
    },
  );
}

/** The record's resources in a stable order (type, then reference), for official measure packages. */
function resourcesOf(record: PatientRecord): unknown[] {
  const out: unknown[] = [];
  for (const type of [...record.byType.keys()].sort()) {
    // Each reference built once, not twice per comparison.
    const keyed = (record.byType.get(type) ?? []).map((r) => ({ key: r.reference, resource: r.resource }));
    keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const k of keyed) out.push(k.resource);
  }
  return out;
}

/** The synthetic patient `warmPack` evaluates: no data of anyone, only enough to reach most definitions. */
const WARM_RECORD: readonly unknown[] = [{ resourceType: 'Patient', id: 'careloop-warm-up', gender: 'female', birthDate: '1960-01-01' }];

/**
 * Gets the pack ready before the first patient: loads the program and evaluates a one-resource
 * synthetic record once, so the definitions are compiled into closures and the JIT has run them
 * before a card waits on them. The app calls it when the rules chunk arrives, while the FHIR reads
 * are still in flight. Pure, and the result is dropped.
 */
export function warmPack(pack: RulePack): void {
  evaluatePack(pack, WARM_RECORD, { mode: 'point-of-care', asOf: '2025-01-01' });
}

/**
 * Evaluates every rule of the pack for one patient and orders the results by the next-best-action
 * priority (`compareResults`), with evidence and pack digests, and populations and gap status in
 * measure mode. Never throws: bad options, an unreadable record or a failing define become
 * `insufficient-data` results with the reason.
 *
 * @example
 * const result = evaluatePack(careloopPreventive, resources, { mode: 'point-of-care', asOf: '2025-06-01' });
 * result.next; // 'colorectal-cancer-screening'
 */
export function evaluatePack(pack: RulePack, input: PatientRecord | readonly unknown[], options: EvaluateOptions): PackResult {
  let record: PatientRecord;
  try {
    record = isRecord(input) ? input : indexRecord(input);
  } catch (e) {
    record = indexRecord([]);
    return failAll(pack, record, `the record could not be indexed: ${messageOf(e)}`, false);
  }
  const header = { patient: record.patientId, pack: { id: pack.id, version: pack.version, digest: pack.digest } };
  const problem = optionsProblem(options);
  if (problem) return failAll(pack, record, `invalid options: ${problem}`, false);
  const measure = options.mode === 'measure';
  const patients = recordGroups(record).get('Patient')?.resources.length ?? 0;
  if (patients > 1) {
    return failAll(pack, record, 'more than one Patient resource', measure, (r) => !measure || r.measure !== undefined, ['Patient.birthDate']);
  }
  const setting = settingOf(options);
  let sortedResources: unknown[] | undefined;
  const resources = (): unknown[] => (sortedResources ??= resourcesOf(record));
  let evaluateRule: (rule: RuleMeta) => Shaped;
  try {
    const prog = program();
    const data = dataSourceOf(record);
    const { terminology, known } = terminologyOf(pack);
    const defines = measure ? [...MEASURE_DEFINES, ...POC_DEFINES] : [...POC_DEFINES];
    const visit = options.mode === 'point-of-care' ? currentVisit(record, options.encounterId, known) : undefined;
    // One context for every rule: CareloopCommon's definitions (exclusions, visits) are computed once.
    const session = prog.session({ data, terminology, now: setting.now, parameters: setting.parameters, contextValue: data.patient });
    evaluateRule = (rule) => {
      const lib = prog.libraries.get(`${rule.library}|${rule.version}`) ?? [...prog.libraries.values()].find((l) => l.name === rule.library);
      if (!lib) throw new DefineError(`library ${rule.library} is not loaded`);
      const names = defines.filter((d) => lib.defs.has(d));
      const values = session.evaluateEach(rule.library, names);
      const shaped = shapeRule(rule, values, setting, known);
      const open = shaped.status === 'due' || shaped.status === 'overdue' || shaped.status === 'satisfied';
      return visit && open ? { ...shaped, evidence: [...shaped.evidence, visit] } : shaped;
    };
  } catch (e) {
    return failAll(pack, record, `the record could not be read: ${messageOf(e)}`, measure);
  }
  const results: RuleResult[] = [];
  const officialPeriod = options.mode === 'measure' ? { start: options.periodStart, end: options.periodEnd } : calendarYear(options.asOf);
  const official = (m: MeasurePackage): Shaped => {
    try {
      return officialShape(m, resources(), officialPeriod, setting.now, measure);
    } catch (e) {
      return { ...failure(`official measure logic failed on this record: ${messageOf(e)}`, measure), logic: { library: m.library.name, version: m.library.version ?? '', elmDigest: m.library.elmDigest, source: 'measure-package' } };
    }
  };
  for (const rule of pack.rules) {
    if (measure && !rule.measure) continue;
    let shaped: Shaped;
    const replacement = measure ? officialFor(rule, pack) : undefined;
    try {
      // An admin-loaded official package replaces the rule's measure logic.
      shaped = replacement ? official(replacement) : evaluateRule(rule);
    } catch (e) {
      shaped = failure(`rule failed on this record: ${messageOf(e)}`, measure);
    }
    results.push(finish(rule, pack, shaped));
  }
  // Loaded measures no Careloop rule reports: "Review: <title>".
  for (const m of pack.measures) {
    if (pack.rules.some((r) => officialFor(r, pack) === m)) continue;
    results.push(finish(reviewRuleFor(m), pack, official(m)));
  }
  const ranked = rank(results, pack);
  const first = ranked[0];
  const next = first && isOpenGap(first) ? first.rule : null;
  return { ...header, results: ranked, next, ...(measure ? {} : { review: reviewFirst(ranked, next, pack) }) };
}

/**
 * The undecided rule (insufficient data) that weighs more than the next-best gap, or the weightiest
 * one when no gap is open: a clinician should see it before a lesser gap, not miss it in a list.
 */
function reviewFirst(ranked: readonly RuleResult[], next: string | null, pack: RulePack): string | null {
  const weight = new Map(pack.rules.map((r) => [r.id, r.weight] as const));
  const bar = next === null ? -1 : (weight.get(next) ?? 0);
  const undecided = ranked.filter((r) => r.status === 'insufficient-data' && (weight.get(r.rule) ?? 0) > bar);
  return undecided.sort((a, b) => (weight.get(b.rule) ?? 0) - (weight.get(a.rule) ?? 0))[0]?.rule ?? null;
}

function failAll(
  pack: RulePack,
  record: PatientRecord,
  reason: string,
  measure: boolean,
  which: (r: RuleMeta) => boolean = () => true,
  missing?: readonly string[],
): PackResult {
  const results = pack.rules.filter(which).map((r) => finish(r, pack, { ...failure(reason, measure), ...(missing ? { missing } : {}) }));
  return {
    patient: record.patientId,
    pack: { id: pack.id, version: pack.version, digest: pack.digest },
    results: rank(results, pack),
    next: null,
  };
}
