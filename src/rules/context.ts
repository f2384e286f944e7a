/**
 * The evaluation context shared by every rule of one evaluation, the outcome type rules return,
 * and the checks every rule starts with (demographics, exclusions).
 */
import { addDays, addMonths, ageOn, dayNumber, parseFhirDay } from './dates.ts';
import { evidenceOf, FactFinder, overlaps, within } from './facts.ts';
import type { Fact } from './facts.ts';
import { isObject } from './record.ts';
import type { PatientRecord } from './record.ts';
import type {
  ActionTemplate,
  CareGapReason,
  CodeRef,
  Criterion,
  Day,
  Eligibility,
  Evidence,
  RuleDefinition,
  RulePack,
  SharedExclusion,
} from './types.ts';
import { VS } from './valuesets.ts';

/** Everything a rule may read. */
export interface Ctx {
  readonly mode: 'point-of-care' | 'measure';
  /** Point-of-care: the as-of day; measure: the period end. */
  readonly asOf: Day;
  /** Point-of-care: the 12 months ending on asOf; measure: the measurement period. */
  readonly periodStart: Day;
  readonly periodEnd: Day;
  readonly finder: FactFinder;
  readonly record: PatientRecord;
  readonly birthDate: Day | undefined;
  readonly birthProblem: string | undefined;
  readonly sex: 'female' | 'male' | 'other' | 'unknown' | undefined;
  readonly currentEncounter: Fact | undefined;
  /** Shared-exclusion outcomes and visit checks, computed once per evaluation (same period for all rules). */
  readonly memo: Map<unknown, unknown>;
}

/** What a rule decides, before the engine adds identity, digests, populations and priority. */
export type Outcome =
  | { readonly kind: 'not-applicable'; readonly reason: string; readonly evidence: readonly Evidence[] }
  | {
      readonly kind: 'excluded';
      readonly reason: string;
      readonly evidence: readonly Evidence[];
      readonly exclusion: { readonly label: string; readonly code?: CodeRef; readonly reference?: string };
      /** A denominator exception rather than an exclusion. */
      readonly exception: boolean;
    }
  | {
      readonly kind: 'insufficient';
      readonly reason: string;
      readonly evidence: readonly Evidence[];
      readonly missing: readonly string[];
      /** True when the problem is about who the patient is (then not in the initial population). */
      readonly demographic: boolean;
    }
  | {
      readonly kind: 'closed';
      readonly reason: string;
      readonly reasonCode: CareGapReason;
      readonly evidence: readonly Evidence[];
      readonly nextDueDate: Day | null;
    }
  | {
      readonly kind: 'open';
      readonly reason: string;
      readonly reasonCode: CareGapReason;
      readonly evidence: readonly Evidence[];
      readonly dueDate: Day;
      /** Overdue regardless of grace (a value out of range, a season's due-by date passed). */
      readonly urgent: boolean;
      readonly action?: ActionTemplate;
    };

/** Builds the context; `mode` decides the period. */
export function makeContext(
  record: PatientRecord,
  pack: RulePack,
  window: { mode: 'point-of-care' | 'measure'; start: Day; end: Day },
  timeZone: string | undefined,
  encounterId: string | undefined,
): Ctx {
  const finder = new FactFinder(record, pack, timeZone, encounterId);
  const patient = record.patient?.resource;
  let birthDate: Day | undefined;
  let birthProblem: string | undefined;
  if (!record.patient) {
    birthProblem = record.byType.has('Patient') ? 'more than one Patient resource' : 'no Patient resource';
  } else if (patient?.['birthDate'] === undefined) {
    birthProblem = 'Patient.birthDate is missing';
  } else {
    const p = parseFhirDay(patient['birthDate']);
    if (!p.ok || p.precision !== 'day') birthProblem = `Patient.birthDate is not a full date (${String(patient['birthDate'])})`;
    else birthDate = p.day;
  }
  const current = encounterId === undefined ? undefined : (record.byType.get('Encounter') ?? []).find((e) => e.id === encounterId);
  return {
    mode: window.mode,
    asOf: window.end,
    periodStart: window.start,
    periodEnd: window.end,
    finder,
    record,
    birthDate,
    birthProblem,
    sex: patient ? sexOf(patient) : undefined,
    currentEncounter: current ? finder.factFor(current) : undefined,
    memo: new Map(),
  };
}

const BIRTH_SEX = 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex';

/** US Core birth sex when recorded, else administrative gender. */
function sexOf(patient: Readonly<Record<string, unknown>>): Ctx['sex'] {
  const ext = patient['extension'];
  if (Array.isArray(ext)) {
    for (const e of ext) {
      if (isObject(e) && e['url'] === BIRTH_SEX) {
        if (e['valueCode'] === 'F') return 'female';
        if (e['valueCode'] === 'M') return 'male';
      }
    }
  }
  const g = patient['gender'];
  return g === 'female' || g === 'male' || g === 'other' || g === 'unknown' ? g : undefined;
}

function patientEvidence(ctx: Ctx, note: string): Evidence[] {
  const p = ctx.record.patient;
  if (!p) return [];
  return [
    {
      reference: p.reference,
      ...(p.versionId === undefined ? {} : { versionId: p.versionId }),
      ...(ctx.birthDate === undefined ? {} : { date: ctx.birthDate }),
      role: 'demographics',
      note,
    },
  ];
}

/** Age and sex gate. Returns an outcome when the rule stops here. */
export function checkDemographics(ctx: Ctx, eligibility: Eligibility, ageOnDay: Day): Outcome | undefined {
  if (ctx.birthDate === undefined) {
    return {
      kind: 'insufficient',
      reason: `Cannot tell the patient's age: ${ctx.birthProblem ?? 'no birth date'}.`,
      evidence: patientEvidence(ctx, ctx.birthProblem ?? 'no birth date'),
      missing: ['Patient.birthDate'],
      demographic: true,
    };
  }
  const age = ageOn(ctx.birthDate, ageOnDay);
  const range = eligibility.maxAge === undefined ? `${eligibility.minAge} or older` : `${eligibility.minAge}–${eligibility.maxAge}`;
  if (eligibility.sex !== undefined) {
    if (ctx.sex !== 'female' && ctx.sex !== 'male') {
      return {
        kind: 'insufficient',
        reason: `Applies to ${eligibility.sex} patients aged ${range}; the record has no usable sex.`,
        evidence: patientEvidence(ctx, `sex: ${ctx.sex ?? 'missing'}`),
        missing: ['Patient.gender'],
        demographic: true,
      };
    }
    if (ctx.sex !== eligibility.sex) {
      return { kind: 'not-applicable', reason: `Applies to ${eligibility.sex} patients only.`, evidence: patientEvidence(ctx, `sex: ${ctx.sex}`) };
    }
  }
  if (age < eligibility.minAge || (eligibility.maxAge !== undefined && age > eligibility.maxAge)) {
    return {
      kind: 'not-applicable',
      reason: `Applies at ages ${range}; the patient is ${age} on ${ageOnDay}.`,
      evidence: patientEvidence(ctx, `age ${age} on ${ageOnDay}`),
    };
  }
  return undefined;
}

/** Measure mode: an encounter in a qualifying value set during the period (or none → not in IP). */
export function checkQualifyingVisit(ctx: Ctx, visits: readonly Criterion[]): Outcome | Evidence {
  const cached = ctx.memo.get(visits) as Outcome | Evidence | undefined;
  if (cached) return cached;
  const result = qualifyingVisit(ctx, visits);
  ctx.memo.set(visits, result);
  return result;
}

function qualifyingVisit(ctx: Ctx, visits: readonly Criterion[]): Outcome | Evidence {
  const found: Fact[] = [];
  for (const c of visits) {
    for (const f of ctx.finder.ok(c)) if (within(f, ctx.periodStart, ctx.periodEnd)) found.push(f);
  }
  found.sort((a, b) => ((a.day ?? '') < (b.day ?? '') ? 1 : (a.day ?? '') > (b.day ?? '') ? -1 : 0));
  const first = found[0];
  if (!first) {
    return { kind: 'not-applicable', reason: `No qualifying visit between ${ctx.periodStart} and ${ctx.periodEnd}.`, evidence: [] };
  }
  return evidenceOf(first, 'visit');
}

/** Lifetime exclusions recorded on or before the reference day. */
export function checkLifetimeExclusions(ctx: Ctx, rule: RuleDefinition): Outcome | undefined {
  for (const ex of rule.lifetimeExclusions) {
    const hit = ctx.finder.ok(ex).find((f) => (f.start ?? f.day) === undefined || (f.start ?? f.day ?? '') <= ctx.periodEnd);
    if (!hit) continue;
    if (ex.with) {
      const second = ctx.finder.ok(ex.with).find((f) => (f.start ?? f.day) === undefined || (f.start ?? f.day ?? '') <= ctx.periodEnd);
      if (!second) continue;
      return excluded(`${ex.label} and ${ex.with.label}`, hit, [evidenceOf(hit, 'exclusion'), evidenceOf(second, 'exclusion')]);
    }
    return excluded(ex.label, hit, [evidenceOf(hit, 'exclusion')]);
  }
  return undefined;
}

/** Exclusions that apply when they overlap the period (ESRD, pregnancy, …). */
export function checkPeriodExclusions(ctx: Ctx, criteria: readonly Criterion[]): Outcome | undefined {
  for (const c of criteria) {
    const hit = ctx.finder.ok(c).find((f) => overlaps(f, ctx.periodStart, ctx.periodEnd));
    if (hit) return excluded(c.label, hit, [evidenceOf(hit, 'exclusion')]);
  }
  return undefined;
}

function excluded(label: string, fact: Fact, evidence: Evidence[]): Outcome {
  return {
    kind: 'excluded',
    reason: `Excluded: ${label} (${fact.res.reference}${fact.day ? `, ${fact.day}` : ''}).`,
    evidence,
    exclusion: { label, code: fact.code, reference: fact.res.reference },
    exception: false,
  };
}

const C = (label: string, valueSet: string, types: Criterion['types']): Criterion => ({ label, valueSet, types });

/** The shared eCQM exclusion criteria (2025 eCQMs: Hospice, PalliativeCare, AdvancedIllnessandFrailty). */
export const SHARED = {
  hospiceEncounter: C('Hospice encounter', VS.hospiceEncounter, ['Encounter']),
  hospiceCare: C('Hospice care', VS.hospiceCareAmbulatory, ['Procedure', 'ServiceRequest']),
  palliativeAssessment: C('Palliative care assessment', VS.palliativeCareAssessment, ['Observation']),
  palliativeEncounter: C('Palliative care encounter', VS.palliativeCareEncounter, ['Encounter']),
  palliativeIntervention: C('Palliative care intervention', VS.palliativeCareIntervention, ['Procedure']),
  palliativeDiagnosis: C('Palliative care diagnosis', VS.palliativeCareDiagnosis, ['Condition']),
  frailtyDiagnosis: C('Frailty diagnosis', VS.frailtyDiagnosis, ['Condition']),
  frailtySymptom: C('Frailty symptom', VS.frailtySymptom, ['Condition', 'Observation']),
  frailtyEncounter: C('Frailty encounter', VS.frailtyEncounter, ['Encounter']),
  frailtyDevice: C('Frailty device', VS.frailtyDevice, ['DeviceRequest']),
  advancedIllness: C('Advanced illness', VS.advancedIllness, ['Condition']),
  nursingFacility: C('Nursing facility stay', VS.nursingFacilityVisit, ['Encounter']),
  longTermResidential: C('Long-term residential care', VS.longTermResidentialCare, ['Encounter']),
} as const;

/** SNOMED discharge dispositions meaning "to hospice". */
const HOSPICE_DISCHARGE = new Set(['428361000124107', '428371000124100']);

/** The shared exclusions, in the order the measures list them. */
export function checkSharedExclusions(ctx: Ctx, which: readonly SharedExclusion[]): Outcome | undefined {
  for (const kind of which) {
    const key = `shared:${kind}`;
    let outcome = ctx.memo.get(key) as Outcome | null | undefined;
    if (outcome === undefined) {
      outcome = sharedExclusion(ctx, kind) ?? null;
      ctx.memo.set(key, outcome);
    }
    if (outcome) return outcome;
  }
  return undefined;
}

function sharedExclusion(ctx: Ctx, kind: SharedExclusion): Outcome | undefined {
  const { periodStart: s, periodEnd: e } = ctx;
  const age = ctx.birthDate === undefined ? undefined : ageOn(ctx.birthDate, e);
  {
    switch (kind) {
      case 'hospice': {
        const hit =
          ctx.finder.ok(SHARED.hospiceEncounter).find((f) => overlaps(f, s, e)) ??
          ctx.finder.ok(SHARED.hospiceCare).find((f) => overlaps(f, s, e)) ??
          hospiceDischarge(ctx);
        if (hit) return excluded('Hospice care during the period', hit, [evidenceOf(hit, 'exclusion')]);
        return undefined;
      }
      case 'palliative-care': {
        const hit =
          ctx.finder.ok(SHARED.palliativeAssessment).find((f) => within(f, s, e)) ??
          ctx.finder.ok(SHARED.palliativeEncounter).find((f) => overlaps(f, s, e)) ??
          ctx.finder.ok(SHARED.palliativeIntervention).find((f) => overlaps(f, s, e)) ??
          ctx.finder.ok(SHARED.palliativeDiagnosis).find((f) => overlaps(f, s, e));
        if (hit) return excluded('Palliative care during the period', hit, [evidenceOf(hit, 'exclusion')]);
        return undefined;
      }
      case 'frailty-advanced-illness': {
        if (age === undefined || age < 66) return undefined;
        const frail = frailtyIn(ctx, s, e);
        if (!frail) return undefined;
        const illness = ctx.finder.ok(SHARED.advancedIllness).find((f) => overlaps(f, addMonths(s, -12), e));
        if (!illness) return undefined;
        return excluded('Age 66 or older with frailty and advanced illness', frail, [
          evidenceOf(frail, 'exclusion'),
          evidenceOf(illness, 'exclusion'),
        ]);
      }
      case 'frailty-81': {
        // CMS165: 81 and older with frailty alone (no advanced illness needed).
        if (age === undefined || age < 81) return undefined;
        const frail = frailtyIn(ctx, s, e);
        return frail ? excluded('Age 81 or older with frailty', frail, [evidenceOf(frail, 'exclusion')]) : undefined;
      }
      case 'long-term-care': {
        if (age === undefined || age < 66) return undefined;
        const stays = [...ctx.finder.ok(SHARED.nursingFacility), ...ctx.finder.ok(SHARED.longTermResidential)].filter((f) =>
          overlaps(f, s, e),
        );
        const longest = stays.find((f) => {
          const from = (f.start ?? f.day ?? e) < s ? s : (f.start ?? f.day ?? e);
          const to = f.end === undefined || f.end > e ? e : f.end;
          return daysBetween(from, to) + 1 > 90;
        });
        if (longest) {
          return excluded('Age 66 or older living long term in a nursing home (more than 90 days)', longest, [
            evidenceOf(longest, 'exclusion'),
          ]);
        }
        return undefined;
      }
    }
  }
}

function frailtyIn(ctx: Ctx, s: Day, e: Day): Fact | undefined {
  return (
    ctx.finder.ok(SHARED.frailtyDiagnosis).find((f) => overlaps(f, s, e)) ??
    ctx.finder.ok(SHARED.frailtySymptom).find((f) => overlaps(f, s, e)) ??
    ctx.finder.ok(SHARED.frailtyEncounter).find((f) => overlaps(f, s, e)) ??
    ctx.finder.ok(SHARED.frailtyDevice).find((f) => within(f, s, e))
  );
}

function daysBetween(a: Day, b: Day): number {
  return dayNumber(b) - dayNumber(a);
}

function hospiceDischarge(ctx: Ctx): Fact | undefined {
  for (const res of ctx.record.byType.get('Encounter') ?? []) {
    const hosp = res.resource['hospitalization'];
    if (!isObject(hosp)) continue;
    const dispo = hosp['dischargeDisposition'];
    if (!isObject(dispo) || !Array.isArray(dispo['coding'])) continue;
    const hit = dispo['coding'].find((c: unknown) => isObject(c) && typeof c['code'] === 'string' && HOSPICE_DISCHARGE.has(c['code']));
    if (!hit) continue;
    const f = ctx.finder.factFor(res);
    if (f.status === 'ok' && f.day !== undefined && f.day >= ctx.periodStart && f.day <= ctx.periodEnd) return f;
  }
  return undefined;
}

/** The point-of-care window: the 12 months ending on the as-of day. */
export function pointOfCareWindow(asOf: Day): { start: Day; end: Day } {
  return { start: addDays(addMonths(asOf, -12), 1), end: asOf };
}

/** Evidence entries (role invalid) for facts whose date cannot be read. */
export function invalidEvidence(facts: readonly Fact[]): Evidence[] {
  return facts
    .filter((f) => f.status === 'ok' && f.dateProblem !== undefined && f.day === undefined)
    .map((f) => evidenceOf(f, 'invalid', undefined, f.dateProblem));
}

/** Facts whose date cannot be read, as `missing` entries. */
export function dateProblems(facts: readonly Fact[]): string[] {
  return facts.filter((f) => f.status === 'ok' && f.dateProblem !== undefined && f.day === undefined).map((f) => `${f.res.reference}: ${f.dateProblem ?? ''}`);
}
