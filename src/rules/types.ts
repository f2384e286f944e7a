/**
 * Types of the care-gap rule engine: rule definitions (data), the indexed record, evaluation
 * options and the results (a discriminated union on `status`).
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
}

/** eCQM population membership for one patient. */
export interface Populations {
  readonly 'initial-population': boolean;
  readonly denominator: boolean;
  readonly 'denominator-exclusion': boolean;
  readonly 'denominator-exception': boolean;
  readonly numerator: boolean;
}

/** Da Vinci DEQM gap status. */
export type GapStatus = 'open-gap' | 'closed-gap' | 'not-applicable';

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
  /** Measure mode only. */
  readonly populations?: Populations;
  /** Measure mode only. */
  readonly gapStatus?: GapStatus;
}

/** An open gap whose due date has come (and is within the rule's grace period). */
export interface DueResult extends ResultBase {
  readonly status: 'due';
  readonly dueDate: Day;
  readonly action: ActionTemplate;
  /** 1 = the next-best action. */
  readonly priority: number;
}

/** An open gap past its due date plus the rule's grace period, or with an out-of-range value. */
export interface OverdueResult extends ResultBase {
  readonly status: 'overdue';
  readonly dueDate: Day;
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

/** One rule's outcome for one patient. */
export type RuleResult =
  | DueResult
  | OverdueResult
  | SatisfiedResult
  | ExcludedResult
  | NotApplicableResult
  | InsufficientDataResult;

/** The status union. */
export type RuleStatus = RuleResult['status'];

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

/** A whole pack's outcome for one patient. */
export interface PackResult {
  readonly patient: string;
  readonly pack: { readonly id: string; readonly version: string; readonly digest: string };
  /** Open gaps first in priority order, then the rest. */
  readonly results: readonly RuleResult[];
  /** Rule id of the next-best action, or null when no gap is open. */
  readonly next: string | null;
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

/** Resource types a criterion can be found in. */
export type ClinicalType =
  | 'Observation'
  | 'Procedure'
  | 'Condition'
  | 'Encounter'
  | 'Immunization'
  | 'MedicationRequest'
  | 'DiagnosticReport'
  | 'ServiceRequest'
  | 'DeviceRequest'
  | 'AllergyIntolerance';

/** "Something coded in this value set, of these types". */
export interface Criterion {
  readonly label: string;
  readonly valueSet: string;
  readonly types: readonly ClinicalType[];
}

/** A screening test that closes a gap for an interval. */
export interface ScreeningTest extends Criterion {
  /** Point-of-care: months the test keeps the gap closed; null = for life. */
  readonly intervalMonths: number | null;
  /** Measure mode: months before the period start that still count (0 = the period only). */
  readonly measureLookbackMonths: number | null;
  /** Only counts when done at or after this age (e.g. HPV at 30). */
  readonly minAgeAtTest?: number;
  /** An active MedicationRequest counts whatever its authoredOn date (an ongoing prescription). */
  readonly activeCounts?: boolean;
}

/** An exclusion that holds for life once recorded (e.g. total colectomy). */
export interface LifetimeExclusion extends Criterion {
  /** Needs a second criterion too (e.g. left and right unilateral mastectomy). */
  readonly with?: Criterion;
}

/** Shared eCQM exclusions, implemented once in shared-exclusions.ts. */
export type SharedExclusion = 'hospice' | 'palliative-care' | 'frailty-advanced-illness' | 'frailty-81' | 'long-term-care';

/** Demographic eligibility. */
export interface Eligibility {
  readonly sex?: 'female' | 'male';
  readonly minAge: number;
  /** Inclusive: eligible while age ≤ maxAge. */
  readonly maxAge?: number;
}

/** The eCQM side of a rule. */
export interface MeasureSpec {
  readonly id: string;
  readonly version: string;
  readonly url: string;
  /** Ages at the end of the period (CMS138: at the start, see ageAt). */
  readonly eligibility: Eligibility;
  readonly ageAt?: 'period-end' | 'period-start';
  /** Encounters in these value sets during the period qualify the patient. */
  readonly qualifyingVisits: readonly Criterion[];
  readonly sharedExclusions: readonly SharedExclusion[];
  /** CMS122: a numerator hit is the open gap. */
  readonly inverse: boolean;
  /** Denominator exceptions come from not-done records with a reason in this value set. */
  readonly exceptionReasons?: string;
}

/** Fields every rule definition has. */
export interface RuleCommon {
  readonly id: string;
  readonly version: string;
  readonly title: string;
  readonly citation: Citation;
  /** Clinical weight for prioritisation, 0–100 (higher first). */
  readonly weight: number;
  readonly eligibility: Eligibility;
  readonly lifetimeExclusions: readonly LifetimeExclusion[];
  readonly sharedExclusions: readonly SharedExclusion[];
  readonly action: ActionTemplate;
  /** Months after the due date before a due gap becomes overdue. */
  readonly graceMonths: number;
  readonly measure?: MeasureSpec;
}

/** Screening that any one of several tests closes for an interval (CMS130, CMS125, CMS124, pneumococcal, CMS347). */
export interface IntervalScreeningRule extends RuleCommon {
  readonly kind: 'interval-screening';
  readonly tests: readonly ScreeningTest[];
  /** The rule applies only with one of these on or before the period end (e.g. clinical ASCVD). */
  readonly requires?: readonly Criterion[];
  /** Exclusions that apply when they overlap the period (pregnancy, breastfeeding). */
  readonly periodExclusions?: readonly Criterion[];
  /** Reasons not to act recorded on or before the period end: a denominator exception in measure mode, excluded at the point of care. */
  readonly exceptions?: readonly Criterion[];
}

/** Most recent lab value must be at or under a threshold (CMS122, inverse). */
export interface GlycemicStatusRule extends RuleCommon {
  readonly kind: 'glycemic-status';
  readonly diagnosis: Criterion;
  readonly tests: readonly Criterion[];
  /** Percent; above it is poor control. */
  readonly thresholdPercent: number;
  /** Point-of-care: months a controlled result keeps the gap closed. */
  readonly retestMonths: number;
  readonly poorControlAction: ActionTemplate;
}

/** Most recent blood pressure below a threshold (CMS165). */
export interface BloodPressureRule extends RuleCommon {
  readonly kind: 'blood-pressure';
  readonly diagnosis: Criterion;
  readonly systolicBelow: number;
  readonly diastolicBelow: number;
  readonly panelCodes: readonly CodeRef[];
  readonly systolicCodes: readonly CodeRef[];
  readonly diastolicCodes: readonly CodeRef[];
  readonly recheckMonths: number;
  /** Diagnoses that exclude (ESRD, kidney transplant, pregnancy…), during the period. */
  readonly periodExclusions: readonly Criterion[];
  readonly uncontrolledAction: ActionTemplate;
}

/** Seasonal immunisation (influenza). */
export interface SeasonalImmunizationRule extends RuleCommon {
  readonly kind: 'seasonal-immunization';
  readonly vaccine: Criterion;
  /** `MM-DD`. */
  readonly seasonStart: string;
  /** `MM-DD`: due until this day, overdue after. */
  readonly dueBy: string;
  /** `MM-DD`: the season's last day (the next calendar year). */
  readonly seasonEnd: string;
  /** Contraindications recorded as conditions or allergies excluding the patient. */
  readonly contraindication: Criterion;
  readonly minAgeMonths: number;
}

/** Tobacco use screening and, for users, cessation intervention (CMS138). */
export interface TobaccoRule extends RuleCommon {
  readonly kind: 'tobacco';
  readonly screening: Criterion;
  readonly userAnswers: string;
  readonly nonUserAnswers: string;
  readonly interventions: readonly Criterion[];
  readonly screeningIntervalMonths: number;
  readonly interventionLookbackMonths: number;
  readonly cessationAction: ActionTemplate;
}

/** A rule definition: data a clinical informaticist can review in a diff. */
export type RuleDefinition =
  | IntervalScreeningRule
  | GlycemicStatusRule
  | BloodPressureRule
  | SeasonalImmunizationRule
  | TobaccoRule;

/** A versioned set of rules and the value sets they use. */
export interface RulePack {
  readonly id: string;
  readonly version: string;
  readonly rules: readonly RuleDefinition[];
  /** Keyed by canonical URL; only the value sets the rules use. */
  readonly valueSets: Readonly<Record<string, ValueSetDefinition>>;
  /** SHA-256 of the canonical JSON of id, version, rules and value sets. */
  readonly digest: string;
}
