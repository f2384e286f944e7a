/**
 * Types of the care-gap rules: codes, evidence, action templates, evaluation options and the results
 * (a discriminated union on `status`). The rules themselves are CQL (src/rules/cql).
 */

/** A calendar day, `YYYY-MM-DD`. */
export type Day = string;

/** A code in a code system, as FHIR `Coding` carries it. */
export interface CodeRef {
  readonly system: string;
  readonly code: string;
  readonly display?: string;
}

/** Plain-language guideline or measure citation shown in the why-panel. */
export interface Citation {
  readonly text: string;
  readonly url: string;
}

/**
 * Da Vinci DEQM care-gap reason codes
 * (`http://hl7.org/fhir/us/davinci-deqm/CodeSystem/care-gap-reason`).
 */
export type CareGapReason =
  | 'NotFound'
  | 'Missing'
  | 'Present'
  | 'InvalidAttribute'
  | 'DateInRange'
  | 'DateOutOfRange'
  | 'ValueInRange'
  | 'ValueOutOfRange';

/** The DEQM care-gap reason code system. */
export const CARE_GAP_REASON_SYSTEM = 'http://hl7.org/fhir/us/davinci-deqm/CodeSystem/care-gap-reason';

/** What a piece of evidence did for the result. */
export type EvidenceRole =
  | 'numerator'
  | 'most-recent'
  | 'exclusion'
  | 'exception'
  | 'negation'
  | 'diagnosis'
  | 'visit'
  | 'demographics'
  | 'invalid';

/** One resource that decided (part of) a result. */
export interface Evidence {
  /** `Type/id/_history/versionId` when the resource has a versionId, else `Type/id`. */
  readonly reference: string;
  readonly versionId?: string;
  /** The day used (the end of a Period, the local day of an instant). */
  readonly date?: Day;
  /** Human-readable value used, e.g. `9.4 %` or `142/88 mm[Hg]`. */
  readonly value?: string;
  readonly code?: CodeRef;
  readonly role: EvidenceRole;
  /** Why it was used or rejected, when not obvious from the role. */
  readonly note?: string;
}

/** Template of the write-back resource for an open gap. */
export interface ActionTemplate {
  readonly resourceType: 'Task' | 'ServiceRequest';
  readonly code: CodeRef;
  readonly intent: 'proposal' | 'plan' | 'order';
  readonly text: string;
  readonly reason: string;
  /**
   * The primary button's words: a verb for what will be written, at most 40 characters
   * ("Propose colorectal cancer screening", "Create a task to measure blood pressure"). Every
   * template of the built-in pack has one (test/rules/action-labels.test.ts).
   */
  readonly label?: string;
}

/** eCQM population membership for one patient. */
export interface Populations {
  readonly 'initial-population': boolean;
  readonly denominator: boolean;
  readonly 'denominator-exclusion': boolean;
  readonly 'denominator-exception': boolean;
  readonly numerator: boolean;
}

/** Da Vinci DEQM gap status (the MeasureReport extension's words; in Careloop an open gap is a due or overdue result, see isOpenGap). */
export type GapStatus = 'open-gap' | 'closed-gap' | 'not-applicable';

/** The logic that decided a result: a CQL library, its version and the SHA-256 of its ELM. */
export interface LogicRef {
  readonly library: string;
  readonly version: string;
  /** SHA-256 of the canonical JSON of the library's ELM. */
  readonly elmDigest: string;
  /** `careloop`: Careloop's own CQL; `measure-package`: official content an admin loaded. */
  readonly source: 'careloop' | 'measure-package';
}

/** Fields every result carries. */
export interface ResultBase {
  readonly rule: string;
  readonly version: string;
  readonly measure: string | undefined;
  readonly title: string;
  readonly citation: Citation;
  readonly reason: string;
  readonly reasonCode: CareGapReason | undefined;
  readonly evidence: readonly Evidence[];
  readonly evidenceDigest: string;
  readonly packDigest: string;
  /** Which logic decided. */
  readonly logic: LogicRef;
  /** Measure mode only. */
  readonly populations?: Populations;
  /** Measure mode only. */
  readonly gapStatus?: GapStatus;
}

/**
 * What an open gap's date is relative to, so it is never worded as more than the record says:
 * - `expired`: the last qualifying event ran out on `since` (a real date from the record);
 * - `never-done`: nothing on record; the patient has been eligible since `eligibleSince`
 *   (`eligibleAge` when an age makes the rule apply). Due, never overdue: there is no date to be
 *   late against;
 * - `out-of-range`: the most recent result (of `resultDay`) is out of range;
 * - `season`: a seasonal gap, overdue after `dueBy` (influenza: October 31).
 */
export type GapTiming =
  | { readonly kind: 'expired'; readonly since: Day }
  | { readonly kind: 'never-done'; readonly eligibleSince: Day; readonly eligibleAge: number | null }
  | { readonly kind: 'out-of-range'; readonly resultDay: Day }
  | { readonly kind: 'season'; readonly dueBy: Day };

/** An open gap whose due date has come (and is within the rule's grace period). */
export interface DueResult extends ResultBase {
  readonly status: 'due';
  readonly dueDate: Day;
  /** What `dueDate` means (point of care; absent in measure mode and in older results). */
  readonly timing?: GapTiming;
  readonly action: ActionTemplate;
  /** 1 = the next-best action. */
  readonly priority: number;
}

/** An open gap past its due date plus the rule's grace period, or with an out-of-range value. */
export interface OverdueResult extends ResultBase {
  readonly status: 'overdue';
  readonly dueDate: Day;
  /** What `dueDate` means (see GapTiming). */
  readonly timing?: GapTiming;
  readonly action: ActionTemplate;
  readonly priority: number;
}

/** Closed: the guideline is met as of the date. */
export interface SatisfiedResult extends ResultBase {
  readonly status: 'satisfied';
  /** When the gap opens again; null when it never does (e.g. a once-in-a-lifetime vaccine). */
  readonly nextDueDate: Day | null;
}

/** The patient meets an exclusion (or a measure exception). */
export interface ExcludedResult extends ResultBase {
  readonly status: 'excluded';
  readonly exclusion: { readonly label: string; readonly code?: CodeRef; readonly reference?: string };
}

/** The rule does not apply (age, sex, no qualifying diagnosis, out of season). */
export interface NotApplicableResult extends ResultBase {
  readonly status: 'not-applicable';
}

/** The record cannot decide the rule: what is missing or malformed. */
export interface InsufficientDataResult extends ResultBase {
  readonly status: 'insufficient-data';
  readonly missing: readonly string[];
}

/** What evaluating one rule for one patient returns (a result; "outcome" is how an action ended). */
export type RuleResult =
  | DueResult
  | OverdueResult
  | SatisfiedResult
  | ExcludedResult
  | NotApplicableResult
  | InsufficientDataResult;

/** The status union. */
export type RuleStatus = RuleResult['status'];

/** An open gap: a result the clinician can act on (due or overdue). */
export type OpenGap = DueResult | OverdueResult;

/**
 * Whether a status is an open gap's: due or overdue. The one definition of "open" (the DEQM
 * MeasureReport's `open-gap` / `closed-gap` are that extension's words, see measure-package.ts).
 */
export function isOpenGapStatus(status: RuleStatus): status is OpenGap['status'] {
  return status === 'due' || status === 'overdue';
}

/** Whether a result is an open gap (due or overdue). */
export function isOpenGap(result: RuleResult): result is OpenGap {
  return isOpenGapStatus(result.status);
}

/** Evaluation options: a point-of-care date or a measurement period. */
export type EvaluateOptions =
  | {
      readonly mode: 'point-of-care';
      /** The as-of day, `YYYY-MM-DD`. */
      readonly asOf: Day;
      /** The current encounter: it counts as the visit even if unfinished. */
      readonly encounterId?: string;
      /** IANA zone used to turn instants into days; default: the day as written in the resource. */
      readonly timeZone?: string;
    }
  | {
      readonly mode: 'measure';
      readonly periodStart: Day;
      readonly periodEnd: Day;
      /** IANA zone used to turn instants into days; default: the day as written in the resource. */
      readonly timeZone?: string;
    };

/** What evaluating a whole pack for one patient returns. */
export interface PackResult {
  readonly patient: string;
  readonly pack: { readonly id: string; readonly version: string; readonly digest: string };
  /** Open gaps first in priority order, then the rest. */
  readonly results: readonly RuleResult[];
  /** Rule id of the next-best action, or null when no gap is open. */
  readonly next: string | null;
  /**
   * Rule id of a rule the record could not decide (insufficient data) that weighs more than the
   * next-best gap (or any, when no gap is open): the card shows it instead of hiding it. Point of
   * care only; absent or null otherwise.
   */
  readonly review?: string | null;
}

/** A value set as the pack holds it: canonical URL and (starter or loaded) expansion. */
export interface ValueSetDefinition {
  readonly url: string;
  readonly name: string;
  readonly version: string;
  /** `starter-subset` for the built-in expansions, `loaded` once an admin replaced it. */
  readonly source: 'starter-subset' | 'loaded' | 'careloop';
  readonly codes: readonly CodeRef[];
}

