/**
 * `evaluatePack`: runs every rule of a pack over one patient's record and orders the results by
 * the next-best-action priority. Pure: no clock, no network, no exceptions out.
 */
import { digestOf } from '../shared/digest.ts';
import { checkDemographics, checkQualifyingVisit, makeContext, pointOfCareWindow } from './context.ts';
import type { Ctx, Outcome } from './context.ts';
import { addMonths, assertTimeZone, isDay } from './dates.ts';
import { evaluateRule } from './evaluators.ts';
import { evidenceOf } from './facts.ts';
import { indexRecord } from './record.ts';
import type { PatientRecord } from './record.ts';
import type {
  CareGapReason,
  EvaluateOptions,
  Evidence,
  PackResult,
  Populations,
  RuleDefinition,
  RulePack,
  RuleResult,
  RuleStatus,
} from './types.ts';

function isRecord(input: PatientRecord | readonly unknown[]): input is PatientRecord {
  return !Array.isArray(input);
}

/** Validates options; returns the problem, if any. */
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

const byRef = (a: Evidence, b: Evidence): number => {
  const ka = `${a.date ?? ''}\u0000${a.reference}\u0000${a.role}`;
  const kb = `${b.date ?? ''}\u0000${b.reference}\u0000${b.role}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
};


/** Point-of-care: the rule's guideline ages on the as-of day; measure: the measure's ages and a visit. */
function runRule(rule: RuleDefinition, ctx: Ctx): { outcome: Outcome; inPopulation: boolean } {
  if (ctx.mode === 'measure') {
    const m = rule.measure;
    if (!m) return { outcome: { kind: 'not-applicable', reason: 'No eCQM for this rule.', evidence: [] }, inPopulation: false };
    const ageDay = m.ageAt === 'period-start' ? ctx.periodStart : ctx.periodEnd;
    const demo = checkDemographics(ctx, m.eligibility, ageDay);
    if (demo) return { outcome: demo, inPopulation: false };
    const visit = checkQualifyingVisit(ctx, m.qualifyingVisits);
    if ('kind' in visit) return { outcome: visit, inPopulation: false };
    const outcome = evaluateRule(rule, ctx);
    if (outcome.kind === 'not-applicable') return { outcome, inPopulation: false };
    return { outcome: { ...outcome, evidence: [visit, ...outcome.evidence] } as Outcome, inPopulation: true };
  }
  const demo = checkDemographics(ctx, rule.eligibility, ctx.asOf);
  if (demo) return { outcome: demo, inPopulation: false };
  const outcome = evaluateRule(rule, ctx);
  if (ctx.currentEncounter?.status === 'ok' && (outcome.kind === 'open' || outcome.kind === 'closed')) {
    return { outcome: { ...outcome, evidence: [...outcome.evidence, evidenceOf(ctx.currentEncounter, 'visit', undefined, 'current encounter')] }, inPopulation: true };
  }
  return { outcome, inPopulation: outcome.kind !== 'not-applicable' };
}

function shape(rule: RuleDefinition, pack: RulePack, ctx: Ctx | undefined, outcome: Outcome, inPopulation: boolean): RuleResult {
  const evidence = [...outcome.evidence].sort(byRef);
  const base = {
    rule: rule.id,
    version: rule.version,
    measure: rule.measure?.id,
    title: rule.title,
    citation: rule.citation,
    reason: outcome.reason,
    evidence,
    evidenceDigest: digestOf(evidence),
    packDigest: pack.digest,
  };
  let measureFields: { populations: Populations; gapStatus: 'open-gap' | 'closed-gap' | 'not-applicable' } | undefined;
  if (ctx?.mode === 'measure') {
    const inverse = rule.measure?.inverse ?? false;
    const excl = outcome.kind === 'excluded' && !outcome.exception;
    const exc = outcome.kind === 'excluded' && outcome.exception;
    const closed = outcome.kind === 'closed';
    const counted = inPopulation && outcome.kind !== 'excluded';
    const numerator = counted && (inverse ? !closed : closed);
    const populations: Populations = {
      'initial-population': inPopulation,
      denominator: inPopulation,
      'denominator-exclusion': inPopulation && excl,
      'denominator-exception': inPopulation && exc,
      numerator,
    };
    const gapStatus = !counted ? 'not-applicable' : closed ? 'closed-gap' : 'open-gap';
    measureFields = { populations, gapStatus };
  }
  const withMeasure = <T extends object>(r: T): T => (measureFields ? { ...r, ...measureFields } : r);
  switch (outcome.kind) {
    case 'not-applicable':
      return withMeasure({ ...base, status: 'not-applicable', reasonCode: undefined });
    case 'excluded':
      return withMeasure({ ...base, status: 'excluded', reasonCode: undefined, exclusion: outcome.exclusion });
    case 'insufficient':
      return withMeasure({ ...base, status: 'insufficient-data', reasonCode: 'InvalidAttribute' as CareGapReason, missing: outcome.missing });
    case 'closed':
      return withMeasure({ ...base, status: 'satisfied', reasonCode: outcome.reasonCode, nextDueDate: outcome.nextDueDate });
    case 'open': {
      const asOf = ctx?.asOf ?? outcome.dueDate;
      // Measure mode reports an open gap as due by the period end; overdue is a point-of-care notion.
      const overdue = ctx?.mode !== 'measure' && (outcome.urgent || asOf >= addMonths(outcome.dueDate, rule.graceMonths));
      return withMeasure({
        ...base,
        status: overdue ? 'overdue' : 'due',
        reasonCode: outcome.reasonCode,
        dueDate: outcome.dueDate,
        action: outcome.action ?? rule.action,
        // Placeholder: rank() numbers the open gaps once they are ordered.
        priority: 0,
      });
    }
  }
}

const STATUS_ORDER: Readonly<Record<RuleStatus, number>> = {
  overdue: 0,
  due: 1,
  'insufficient-data': 2,
  satisfied: 3,
  excluded: 4,
  'not-applicable': 5,
};

/**
 * The documented prioritisation: overdue before due; then higher clinical weight; then the earlier
 * due date; then rule id. Results that are not open gaps follow (insufficient data, satisfied,
 * excluded, not applicable), by weight then id.
 */
export function compareResults(a: RuleResult, b: RuleResult, weights: ReadonlyMap<string, number>): number {
  const s = STATUS_ORDER[a.status] - STATUS_ORDER[b.status];
  if (s !== 0) return s;
  const w = (weights.get(b.rule) ?? 0) - (weights.get(a.rule) ?? 0);
  if (w !== 0) return w;
  const da = a.status === 'due' || a.status === 'overdue' ? a.dueDate : '';
  const db = b.status === 'due' || b.status === 'overdue' ? b.dueDate : '';
  if (da !== db) return da < db ? -1 : 1;
  return a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0;
}

function rank(results: RuleResult[], pack: RulePack): RuleResult[] {
  const weights = new Map(pack.rules.map((r) => [r.id, r.weight] as const));
  const sorted = [...results].sort((a, b) => compareResults(a, b, weights));
  let n = 0;
  return sorted.map((r) => (r.status === 'due' || r.status === 'overdue' ? { ...r, priority: ++n } : r));
}

/**
 * Evaluates every rule of `pack` for one patient.
 *
 * `input` is an indexed record (`indexRecord`) or the raw resources (indexed here). Never throws:
 * bad options or a failing rule become `insufficient-data` results with the reason.
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
    return failAll(pack, record, `the record could not be indexed: ${messageOf(e)}`);
  }
  const problem = optionsProblem(options);
  if (problem) return failAll(pack, record, `invalid options: ${problem}`);
  let ctx: Ctx;
  try {
    const window =
      options.mode === 'point-of-care'
        ? { mode: options.mode, ...pointOfCareWindow(options.asOf) }
        : { mode: options.mode, start: options.periodStart, end: options.periodEnd };
    ctx = makeContext(record, pack, window, options.timeZone, options.mode === 'point-of-care' ? options.encounterId : undefined);
  } catch (e) {
    return failAll(pack, record, `the record could not be read: ${messageOf(e)}`);
  }
  const results: RuleResult[] = [];
  for (const rule of pack.rules) {
    if (ctx.mode === 'measure' && !rule.measure) continue;
    try {
      const { outcome, inPopulation } = runRule(rule, ctx);
      results.push(shape(rule, pack, ctx, outcome, inPopulation));
    } catch (e) {
      results.push(shape(rule, pack, ctx, insufficient(`rule failed on this record: ${messageOf(e)}`), false));
    }
  }
  const ranked = rank(results, pack);
  const first = ranked[0];
  return {
    patient: record.patientId,
    pack: { id: pack.id, version: pack.version, digest: pack.digest },
    results: ranked,
    next: first && (first.status === 'due' || first.status === 'overdue') ? first.rule : null,
  };
}

function insufficient(reason: string): Outcome {
  return { kind: 'insufficient', reason, evidence: [], missing: [reason], demographic: false };
}

function failAll(pack: RulePack, record: PatientRecord, reason: string): PackResult {
  return {
    patient: record.patientId,
    pack: { id: pack.id, version: pack.version, digest: pack.digest },
    results: rank(
      pack.rules.map((r) => shape(r, pack, undefined, insufficient(reason), false)),
      pack,
    ),
    next: null,
  };
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
