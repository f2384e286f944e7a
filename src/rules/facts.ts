/**
 * Turns indexed resources into "facts" a rule can reason about: the matching code, a clinical
 * status (usable, not done, void) and the days it happened — per resource type, the way QI-Core
 * profiles define them. Results are cached per evaluation so rules sharing a value set never
 * search twice.
 */
import { parseFhirDay } from './dates.ts';
import { codeKey, isObject } from './record.ts';
import type { IndexedResource, PatientRecord } from './record.ts';
import type { ClinicalType, CodeRef, Criterion, Day, Evidence, EvidenceRole, RulePack } from './types.ts';

/** One resource matching a criterion. */
export interface Fact {
  readonly res: IndexedResource;
  readonly code: CodeRef;
  /** ok = counts; not-done = a recorded negation; void = entered in error, cancelled, refuted, … */
  readonly status: 'ok' | 'not-done' | 'void';
  /** The day that decides windows (the end of a Period, else its start). */
  readonly day: Day | undefined;
  /** Start of the prevalence / encounter period. */
  readonly start: Day | undefined;
  /** End of the prevalence / encounter period (undefined = ongoing or unknown). */
  readonly end: Day | undefined;
  /** Set when the resource has a date element that cannot be read, or none where one is required. */
  readonly dateProblem: string | undefined;
}

type Raw = Readonly<Record<string, unknown>>;

function str(raw: Raw, key: string): string | undefined {
  const v = raw[key];
  return typeof v === 'string' ? v : undefined;
}

function conceptCodes(value: unknown): string[] {
  if (!isObject(value) || !Array.isArray(value['coding'])) return [];
  const out: string[] = [];
  for (const c of value['coding']) if (isObject(c) && typeof c['code'] === 'string') out.push(c['code']);
  return out;
}

const OBS_OK = new Set(['final', 'amended', 'corrected']);
const PROC_OK = new Set(['completed']);
const ENC_OK = new Set(['finished']);
const ENC_CURRENT = new Set(['in-progress', 'arrived', 'triaged', 'onleave', 'finished']);
const MED_OK = new Set(['active', 'completed']);
const DR_OK = new Set(['final', 'amended', 'corrected', 'appended']);

function classify(res: IndexedResource, currentEncounter: string | undefined): Fact['status'] {
  const raw = res.resource;
  const status = str(raw, 'status');
  switch (res.resourceType) {
    case 'Observation':
      return status === undefined || OBS_OK.has(status) ? 'ok' : 'void';
    case 'Procedure':
    case 'Immunization':
      if (status === 'not-done') return 'not-done';
      return status !== undefined && (PROC_OK.has(status) || status === 'completed') ? 'ok' : 'void';
    case 'Encounter':
      if (status === undefined) return 'void';
      if (res.id === currentEncounter) return ENC_CURRENT.has(status) ? 'ok' : 'void';
      return ENC_OK.has(status) ? 'ok' : 'void';
    case 'MedicationRequest':
    case 'DeviceRequest':
    case 'ServiceRequest':
      if (raw['doNotPerform'] === true) return 'not-done';
      return status !== undefined && MED_OK.has(status) ? 'ok' : 'void';
    case 'DiagnosticReport':
      return status !== undefined && DR_OK.has(status) ? 'ok' : 'void';
    case 'Condition':
    case 'AllergyIntolerance': {
      const verification = conceptCodes(raw['verificationStatus']);
      if (verification.includes('entered-in-error') || verification.includes('refuted')) return 'void';
      return 'ok';
    }
    default:
      return 'ok';
  }
}

interface Dates {
  day: Day | undefined;
  start: Day | undefined;
  end: Day | undefined;
  problem: string | undefined;
}

const choiceKeys = new Map<string, readonly string[]>();
function keysFor(prefix: string): readonly string[] {
  let keys = choiceKeys.get(prefix);
  if (!keys) {
    keys = [`${prefix}DateTime`, `${prefix}Instant`, prefix];
    choiceKeys.set(prefix, keys);
  }
  return keys;
}

/** Reads `<prefix>DateTime | <prefix>Period | <prefix>Instant` (and `<prefix>` itself for plain dates). */
function readChoice(raw: Raw, prefix: string, tz: string | undefined, label: string): Dates {
  const none: Dates = { day: undefined, start: undefined, end: undefined, problem: undefined };
  for (const key of keysFor(prefix)) {
    const v = raw[key];
    if (v === undefined) continue;
    const p = parseFhirDay(v, tz);
    if (!p.ok) return { ...none, problem: `${label}: ${p.error}` };
    return { day: p.day, start: p.day, end: p.day, problem: undefined };
  }
  const period = raw[`${prefix}Period`];
  if (period !== undefined) {
    if (!isObject(period)) return { ...none, problem: `${label}: Period is not an object` };
    const s = period['start'] === undefined ? undefined : parseFhirDay(period['start'], tz);
    const e = period['end'] === undefined ? undefined : parseFhirDay(period['end'], tz);
    if (s && !s.ok) return { ...none, problem: `${label}: ${s.error}` };
    if (e && !e.ok) return { ...none, problem: `${label}: ${e.error}` };
    const start = s?.ok ? s.day : undefined;
    const end = e?.ok ? e.day : undefined;
    if (start === undefined && end === undefined) return { ...none, problem: `${label}: Period has no start or end` };
    return { day: end ?? start, start: start ?? end, end, problem: undefined };
  }
  for (const key of Object.keys(raw)) {
    if (key.startsWith(prefix) && key !== prefix) {
      return { ...none, problem: `${label}: ${key} is not a date, dateTime, instant or Period` };
    }
  }
  return { ...none, problem: `${label}: no date` };
}

function datesOf(res: IndexedResource, tz: string | undefined): Dates {
  const raw = res.resource;
  switch (res.resourceType) {
    case 'Observation':
    case 'DiagnosticReport':
      return readChoice(raw, 'effective', tz, 'effective date');
    case 'Procedure':
      return readChoice(raw, 'performed', tz, 'performed date');
    case 'Immunization':
      return readChoice(raw, 'occurrence', tz, 'occurrence date');
    case 'Encounter': {
      const p = raw['period'];
      if (p === undefined) return { day: undefined, start: undefined, end: undefined, problem: 'period: no date' };
      return readChoice({ periodPeriod: p }, 'period', tz, 'period');
    }
    case 'MedicationRequest':
    case 'DeviceRequest':
    case 'ServiceRequest': {
      const v = raw['authoredOn'];
      if (v === undefined) return { day: undefined, start: undefined, end: undefined, problem: 'authoredOn: no date' };
      const p = parseFhirDay(v, tz);
      return p.ok
        ? { day: p.day, start: p.day, end: p.day, problem: undefined }
        : { day: undefined, start: undefined, end: undefined, problem: `authoredOn: ${p.error}` };
    }
    case 'Condition': {
      const onset = readChoice(raw, 'onset', tz, 'onset');
      let start = onset.start;
      let problem = onset.problem?.endsWith('no date') ? undefined : onset.problem;
      if (start === undefined && raw['recordedDate'] !== undefined) {
        const r = parseFhirDay(raw['recordedDate'], tz);
        if (r.ok) start = r.day;
        else problem ??= `recordedDate: ${r.error}`;
      }
      const abatement = readChoice(raw, 'abatement', tz, 'abatement');
      let end = abatement.end ?? abatement.start;
      if (abatement.problem && !abatement.problem.endsWith('no date')) problem ??= abatement.problem;
      const clinical = conceptCodes(raw['clinicalStatus']);
      if (end === undefined && clinical.some((c) => c === 'inactive' || c === 'resolved' || c === 'remission')) {
        end = start;
      }
      // A condition with no dates at all is still a diagnosis ("ever"); windows treat it as unknown.
      return { day: start, start, end, problem };
    }
    default:
      return { day: undefined, start: undefined, end: undefined, problem: undefined };
  }
}

const NO_CODE: CodeRef = { system: '', code: '' };

/** Stable order of facts by resource type, then id (no string building: this runs in sorts). */
export function compareFacts(a: Fact, b: Fact): number {
  const ta = a.res.resourceType;
  const tb = b.res.resourceType;
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ia = a.res.id;
  const ib = b.res.id;
  return ia < ib ? -1 : ia > ib ? 1 : 0;
}

/** Per-evaluation fact finder with caches. */
export class FactFinder {
  private readonly byCriterion = new Map<string, readonly Fact[]>();
  private readonly factOf = new Map<IndexedResource, Omit<Fact, 'code'>>();
  private readonly expansions: ReadonlyMap<string, ReadonlySet<string>>;
  private readonly codeLists: ReadonlyMap<string, readonly string[]>;

  constructor(
    private readonly record: PatientRecord,
    pack: RulePack,
    private readonly tz: string | undefined,
    private readonly currentEncounter: string | undefined,
  ) {
    const compiled = compile(pack);
    this.expansions = compiled.sets;
    this.codeLists = compiled.lists;
  }

  /** Is `coding` in the value set at `url`? */
  inValueSet(url: string, coding: CodeRef): boolean {
    return this.expansions.get(url)?.has(codeKey(coding.system, coding.code)) ?? false;
  }

  /** All resources of the criterion's types with a code in its value set (void ones included). */
  find(criterion: Pick<Criterion, 'valueSet' | 'types'>): readonly Fact[] {
    const cacheKey = `${criterion.valueSet} ${criterion.types.join(',')}`;
    const cached = this.byCriterion.get(cacheKey);
    if (cached) return cached;
    const types = new Set<string>(criterion.types);
    const keys = this.codeLists.get(criterion.valueSet) ?? [];
    const set = this.expansions.get(criterion.valueSet);
    const found = new Map<IndexedResource, CodeRef>();
    let candidates = 0;
    for (const t of types) candidates += this.record.byType.get(t)?.length ?? 0;
    if (set && candidates < keys.length) {
      // Fewer resources than codes (large loaded expansions): scan the typed resources instead.
      for (const t of [...types].sort()) {
        for (const res of this.record.byType.get(t) ?? []) {
          const hit = res.codes.find((c) => set.has(codeKey(c.system, c.code)));
          if (hit && !found.has(res)) found.set(res, hit);
        }
      }
    } else {
      for (const key of keys) {
        for (const res of this.record.byCode.get(key) ?? []) {
          if (!types.has(res.resourceType) || found.has(res)) continue;
          const hit = res.codes.find((c) => codeKey(c.system, c.code) === key);
          if (hit) found.set(res, hit);
        }
      }
    }
    const facts: Fact[] = [];
    for (const [res, code] of found) {
      const b = this.baseFact(res);
      facts.push({ res, code, status: b.status, day: b.day, start: b.start, end: b.end, dateProblem: b.dateProblem });
    }
    facts.sort(compareFacts);
    this.byCriterion.set(cacheKey, facts);
    return facts;
  }

  /** Usable facts only. */
  ok(criterion: Pick<Criterion, 'valueSet' | 'types'>): readonly Fact[] {
    return this.find(criterion).filter((f) => f.status === 'ok');
  }

  /** The fact for an arbitrary resource (used for the current encounter). */
  factFor(res: IndexedResource): Fact {
    const b = this.baseFact(res);
    return { res, code: res.codes[0] ?? NO_CODE, status: b.status, day: b.day, start: b.start, end: b.end, dateProblem: b.dateProblem };
  }

  private baseFact(res: IndexedResource): Omit<Fact, 'code'> {
    let base = this.factOf.get(res);
    if (!base) {
      const d = datesOf(res, this.tz);
      base = { res, status: classify(res, this.currentEncounter), day: d.day, start: d.start, end: d.end, dateProblem: d.problem };
      this.factOf.set(res, base);
    }
    return base;
  }
}

interface Compiled {
  sets: Map<string, Set<string>>;
  lists: Map<string, string[]>;
}
const compiledPacks = new WeakMap<RulePack, Compiled>();

function compile(pack: RulePack): Compiled {
  let c = compiledPacks.get(pack);
  if (!c) {
    c = { sets: new Map(), lists: new Map() };
    for (const vs of Object.values(pack.valueSets)) {
      const list = [...new Set(vs.codes.map((x) => codeKey(x.system, x.code)))];
      c.lists.set(vs.url, list);
      c.sets.set(vs.url, new Set(list));
    }
    compiledPacks.set(pack, c);
  }
  return c;
}

/** Evidence entry for a fact. */
export function evidenceOf(fact: Fact, role: EvidenceRole, value?: string, note?: string): Evidence {
  const code: CodeRef =
    typeof fact.code.display !== 'string'
      ? { system: fact.code.system, code: fact.code.code }
      : { system: fact.code.system, code: fact.code.code, display: fact.code.display };
  return {
    reference: fact.res.reference,
    ...(fact.res.versionId === undefined ? {} : { versionId: fact.res.versionId }),
    ...(fact.day === undefined ? {} : { date: fact.day }),
    ...(value === undefined ? {} : { value }),
    ...(fact.code.code === '' ? {} : { code }),
    role,
    ...(note === undefined ? {} : { note }),
  };
}

/** Does the fact's period overlap [start, end]? Undated facts overlap nothing. */
export function overlaps(fact: Fact, start: Day, end: Day): boolean {
  const s = fact.start ?? fact.day;
  if (s === undefined) return false;
  return s <= end && (fact.end === undefined || fact.end >= start);
}

/** Is the fact's deciding day within [start, end]? */
export function within(fact: Fact, start: Day, end: Day): boolean {
  return fact.day !== undefined && fact.day >= start && fact.day <= end;
}

export type { ClinicalType };
