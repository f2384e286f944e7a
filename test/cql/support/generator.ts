/**
 * A seeded generator of synthetic FHIR R4 patients aimed at the edges clinical logic trips on: ages
 * on the day (birthdays the day before, on and after a boundary, leap days, partial birth dates),
 * dates on window boundaries at each precision (year, month, day, with times and offsets), choice
 * types (dateTime, Period, instant, string, missing), statuses (final and not), negation (not-done,
 * doNotPerform, refuted), codes inside and outside the value sets (and under alternate code-system
 * URIs), units and missing values. Deterministic for a seed: the same patients on every machine.
 *
 * Each patient is a person with a few clinical stories, chosen by age and sex, so that every library
 * of Careloop's CQL pack (src/rules/cql) reaches each of its outcomes in a share of patients:
 * qualifying visits; colorectal screening (colonoscopy, FOBT, FIT-DNA, sigmoidoscopy, CT
 * colonography, cancer, colectomy); diabetes and HbA1c / GMI; essential hypertension and blood
 * pressure (panels, separate systolic / diastolic Observations, pairs and lone halves); kidney failure
 * and replacement; pregnancy and breastfeeding; clinical ASCVD and statin orders with their
 * exceptions; tobacco screening and cessation; mammography and mastectomy; cervical cytology, HPV
 * and hysterectomy; influenza and pneumococcal immunization; and the shared exclusions (hospice,
 * palliative care, frailty, advanced illness, nursing-home residence). A patient has about 10–40
 * resources.
 */
import { BUILT_IN_VALUE_SETS, VS } from '../../../src/rules/valuesets.ts';

type Json = Record<string, unknown>;

/** mulberry32: a small, fast, seeded PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What the generated patients are dated against. */
export interface CorpusFrame {
  /** The measurement period's first and last day, `YYYY-MM-DD`. */
  readonly periodStart: string;
  readonly periodEnd: string;
}

const ALT_SYSTEMS: Readonly<Record<string, string>> = {
  'http://loinc.org': 'urn:oid:2.16.840.1.113883.6.1',
  'http://snomed.info/sct': 'urn:oid:2.16.840.1.113883.6.96',
  'https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets': 'http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets',
};

const LOINC = 'http://loinc.org';
const SNOMED = 'http://snomed.info/sct';
const UCUM = 'http://unitsofmeasure.org';

/** The Medical Reason value set's codes, and a reason outside it. */
const MEDICAL_REASONS = ['183932001', '397745006', '407563006', '410534003'] as const;
const NOT_A_MEDICAL_REASON = '182890002'; // patient requests alternative treatment: a patient reason

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

function addDaysIso(day: string, n: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** Calendar months later (or earlier), clamped to the month's last day as CQL date arithmetic does. */
function addMonthsIso(day: string, n: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const total = y * 12 + (m - 1) + n;
  const year = Math.floor(total / 12);
  const month = (total % 12) + 1;
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return `${year}-${pad(month)}-${pad(Math.min(d, last))}`;
}

function addYearsIso(day: string, n: number): string {
  return addMonthsIso(day, 12 * n);
}

type TimeKind = 'dateTime' | 'Period' | 'instant' | 'none' | 'string';

class Gen {
  private seq = 0;
  /** The full birth date behind the Patient resource (which may show it partially or not at all). */
  birth = '1970-01-01';
  sex: 'female' | 'male' | 'other' = 'other';
  age = 50;
  /** Resources the patient's records point at (Medication). */
  readonly extra: Json[] = [];
  constructor(
    readonly rnd: () => number,
    readonly frame: CorpusFrame,
    readonly patientId: string,
  ) {}
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.rnd() * items.length)] as T;
  }
  chance(p: number): boolean {
    return this.rnd() < p;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.rnd() * (hi - lo + 1));
  }
  id(prefix: string): string {
    return `${this.patientId}-${prefix}-${++this.seq}`;
  }
  get subject(): Json {
    return { reference: `Patient/${this.patientId}` };
  }
  /** The period's last day: the as-of day of the point-of-care evaluation. */
  get today(): string {
    return this.frame.periodEnd;
  }
  /** A day near an edge of the period, or a lookback boundary before its end. */
  edgeDay(lookbackYears: readonly number[] = [0]): string {
    const { periodStart, periodEnd } = this.frame;
    const base = this.pick([periodStart, periodEnd, addYearsIso(periodEnd, -this.pick(lookbackYears)), addYearsIso(periodStart, -this.pick(lookbackYears))]);
    const shift = this.pick([-1, 0, 0, 1, -31, 30, this.int(-400, 400)]);
    return addDaysIso(base, shift);
  }
  /** A day on, or a day either side of, one of `bases`, or now and then a day well away from them. */
  near(bases: readonly string[], spread = 90): string {
    const base = this.pick(bases);
    return addDaysIso(base, this.pick([-1, 0, 0, 1, 1, this.int(-spread, spread)]));
  }
  /** A window edge: the day a validity of `months` ending on the as-of day begins (both sides), or inside. */
  validityEdge(months: number): string {
    const from = addMonthsIso(this.today, -months);
    const inside = (): string => addDaysIso(from, this.int(1, months * 30));
    return this.pick([from, addDaysIso(from, 1), addDaysIso(from, -1), inside(), inside(), inside(), addDaysIso(from, -this.int(2, 400))]);
  }
  /** The day the patient turns `years`, give or take. */
  birthday(years: number, spread = 0): string {
    const day = addYearsIso(this.birth, years);
    return addDaysIso(day, spread === 0 ? this.pick([-1, 0, 1]) : this.pick([-1, 0, 1, this.int(-spread, spread)]));
  }
  /** A FHIR dateTime for a day, at a random precision, sometimes with a time and offset. */
  dateTime(day: string): string {
    const r = this.rnd();
    if (r < 0.05) return day.slice(0, 4);
    if (r < 0.12) return day.slice(0, 7);
    if (r < 0.55) return day;
    // Times carry milliseconds: CQL 1.5 compares seconds and milliseconds as one decimal precision
    // (§2.7.5 / §22.6), which cql-execution does not (it finds 10:00:00 vs 10:00:00.000 uncertain);
    // that rule is covered by the conformance corpus instead (ConformanceDateTime).
    const time = this.pick(['00:00:00.000', '23:59:59.999', '12:30:00.000', '08:15:42.123', '23:30:00.000']);
    const offset = this.pick(['Z', '+00:00', '-05:00', '+05:30', '-08:00', '+14:00']);
    return `${day}T${time}${offset}`;
  }
  instant(day: string): string {
    return `${day}T${this.pick(['00:00:00.000', '11:59:59.999', '23:59:59.999'])}${this.pick(['Z', '-04:00', '+09:00'])}`;
  }
  /** A coding from a value set (mostly), or one outside it, or under an alternate system URI. */
  coding(vsUrl: string, outside = 0.1): Json {
    const vs = BUILT_IN_VALUE_SETS[vsUrl];
    const codes = vs?.codes ?? [];
    const r = this.rnd();
    if (codes.length === 0 || r < outside) return { system: SNOMED, code: String(this.int(100000, 999999)) };
    const c = this.pick(codes);
    const system = r < outside + 0.1 && ALT_SYSTEMS[c.system] ? (ALT_SYSTEMS[c.system] as string) : c.system;
    return c.display && this.chance(0.5) ? { system, code: c.code, display: c.display } : { system, code: c.code };
  }
  concept(vsUrl: string, outside = 0.1): Json {
    const codings = [this.coding(vsUrl, outside)];
    if (this.chance(0.2)) codings.push(this.coding(vsUrl, outside));
    return this.chance(0.3) ? { coding: codings, text: 'as recorded' } : { coding: codings };
  }
  /** A concept with one fixed coding (a direct-reference code). */
  code(system: string, code: string, display?: string): Json {
    return { coding: [display !== undefined && this.chance(0.5) ? { system, code, display } : { system, code }] };
  }
  /** An effective[x]/performed[x]/onset[x]/occurrence[x]: dateTime, Period (maybe open), instant, string, or none. */
  choiceTime(prefix: string, day: string, kinds: readonly TimeKind[]): Json {
    const kind = this.pick(kinds);
    switch (kind) {
      case 'dateTime':
        return { [`${prefix}DateTime`]: this.dateTime(day) };
      case 'instant':
        return { [`${prefix}Instant`]: this.instant(day) };
      case 'Period': {
        const start = addDaysIso(day, -this.int(0, 3));
        const period: Json = this.chance(0.15) ? { start: this.dateTime(start) } : this.chance(0.1) ? { end: this.dateTime(day) } : { start: this.dateTime(start), end: this.dateTime(day) };
        return { [`${prefix}Period`]: period };
      }
      case 'string':
        return { [`${prefix}String`]: 'some time ago' };
      case 'none':
        return {};
    }
  }
  meta(): Json {
    return this.chance(0.5) ? { meta: { versionId: String(this.int(1, 4)), lastUpdated: `${this.frame.periodEnd}T10:00:00Z` } } : {};
  }
  /** A statusReason / reasonCode pair for a negated record: a medical reason (mostly), another reason, or none. */
  negationReason(): Json {
    const r = this.rnd();
    const medical = this.code(SNOMED, this.pick(MEDICAL_REASONS));
    if (r < 0.45) return { statusReason: medical };
    if (r < 0.7) return { reasonCode: [this.code(SNOMED, NOT_A_MEDICAL_REASON), medical] };
    if (r < 0.85) return { statusReason: this.code(SNOMED, NOT_A_MEDICAL_REASON) };
    return {};
  }
}

// -------------------------------------------------------------------------------------------------
// Resources

/** Mostly a usable date; about one record in ten has none (or one of the wrong type). */
const OBS_TIMES: readonly TimeKind[] = ['dateTime', 'dateTime', 'dateTime', 'dateTime', 'dateTime', 'dateTime', 'Period', 'Period', 'instant', 'instant', 'none'];
const PROC_TIMES: readonly TimeKind[] = ['dateTime', 'dateTime', 'dateTime', 'dateTime', 'dateTime', 'dateTime', 'dateTime', 'Period', 'Period', 'none', 'string'];
const FINAL_OBS = ['final', 'final', 'final', 'final', 'final', 'final', 'amended', 'corrected', 'preliminary', 'cancelled', 'entered-in-error'] as const;
const FINAL_REPORT = ['final', 'final', 'final', 'final', 'final', 'amended', 'corrected', 'appended', 'preliminary', 'registered', 'cancelled'] as const;
const DONE_PROC = ['completed', 'completed', 'completed', 'completed', 'completed', 'completed', 'in-progress', 'entered-in-error'] as const;

function patientResource(g: Gen): Json {
  const { periodEnd } = g.frame;
  g.age = g.pick([0, 12, 17, 18, 21, 22, 24, 29, 30, 31, 34, 35, 39, 40, 41, 44, 45, 46, 49, 50, 51, 52, 59, 60, 61, 64, 65, 66, 67, 70, 74, 75, 76, 80, 81, 85, 86]);
  g.birth = addDaysIso(addYearsIso(periodEnd, -g.age), g.pick([-1, 0, 1, 0, g.int(-200, 200)]));
  // Infants: influenza vaccination starts at 6 months (AgeInMonthsAt on the day).
  if (g.age === 0) g.birth = addDaysIso(addMonthsIso(periodEnd, -6), g.pick([-1, 0, 1, g.int(-150, 150)]));
  if (g.chance(0.03)) g.birth = g.pick(['1960-02-29', '1996-02-29']);
  g.age = Number(periodEnd.slice(0, 4)) - Number(g.birth.slice(0, 4)) - (periodEnd.slice(5) < g.birth.slice(5) ? 1 : 0);
  const r = g.rnd();
  const birthDate = r < 0.02 ? undefined : r < 0.04 ? g.birth.slice(0, 4) : r < 0.05 ? g.birth.slice(0, 7) : g.birth;
  const s = g.rnd();
  const gender = s < 0.5 ? 'female' : s < 0.94 ? 'male' : s < 0.96 ? 'other' : s < 0.98 ? 'unknown' : undefined;
  // US Core birth sex wins over administrative gender when it says F or M.
  const birthSex = g.chance(0.1) ? g.pick(['F', 'M', 'UNK']) : undefined;
  g.sex = birthSex === 'F' ? 'female' : birthSex === 'M' ? 'male' : gender === 'female' || gender === 'male' ? gender : 'other';
  return {
    resourceType: 'Patient',
    id: g.patientId,
    ...g.meta(),
    ...(birthSex ? { extension: [{ url: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex', valueCode: birthSex }] } : {}),
    ...(birthDate ? { birthDate } : {}),
    ...(gender ? { gender } : {}),
    identifier: [{ system: 'urn:careloop:corpus', value: g.patientId }],
    name: [{ family: 'Corpus', given: [g.pick(['Ada', 'Grace', 'Alan', 'Edsger'])] }],
    ...(g.chance(0.05) ? { deceasedBoolean: g.chance(0.5) } : {}),
  };
}

function encounter(g: Gen, vs: string, day = g.edgeDay(), extra: Json = {}): Json {
  const start = g.dateTime(addDaysIso(day, -g.int(0, 2)));
  return {
    resourceType: 'Encounter',
    id: g.id('enc'),
    ...g.meta(),
    status: g.pick(['finished', 'finished', 'finished', 'in-progress', 'cancelled', 'entered-in-error']),
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: g.pick(['AMB', 'AMB', 'VR', 'HH', 'IMP']) },
    type: [g.concept(vs)],
    subject: g.subject,
    ...(g.chance(0.9) ? { period: g.chance(0.85) ? { start, end: g.dateTime(day) } : { start } } : {}),
    ...extra,
  };
}

function procedure(g: Gen, vs: string, day: string, kinds: readonly TimeKind[] = PROC_TIMES, notDone = 0.1): Json {
  const status = g.chance(notDone) ? 'not-done' : g.pick(DONE_PROC);
  return {
    resourceType: 'Procedure',
    id: g.id('proc'),
    ...g.meta(),
    status,
    ...(status === 'not-done' ? g.negationReason() : {}),
    code: g.concept(vs),
    subject: g.subject,
    ...g.choiceTime('performed', day, kinds),
  };
}

function observationBase(g: Gen, category: string, day: string, kinds: readonly TimeKind[] = OBS_TIMES): Json {
  const status = g.pick(FINAL_OBS);
  return {
    resourceType: 'Observation',
    id: g.id('obs'),
    ...g.meta(),
    ...(g.chance(0.03) ? {} : { status }),
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: category }] }],
    subject: g.subject,
    ...g.choiceTime('effective', day, kinds),
    ...(g.chance(0.3) ? { issued: g.instant(day) } : {}),
  };
}

/** An Observation coded from a value set (or a fixed code), with an optional coded answer. */
function codedObservation(g: Gen, code: Json, category: string, day: string, value?: Json): Json {
  return { ...observationBase(g, category, day), code, ...(value ? { valueCodeableConcept: value } : {}) };
}

function diagnosticReport(g: Gen, vs: string, day: string): Json {
  return {
    resourceType: 'DiagnosticReport',
    id: g.id('dr'),
    ...g.meta(),
    status: g.pick(FINAL_REPORT),
    code: g.concept(vs),
    subject: g.subject,
    ...g.choiceTime('effective', day, PROC_TIMES),
    ...(g.chance(0.4) ? { issued: g.instant(addDaysIso(day, g.int(0, 3))) } : {}),
  };
}

function hba1cQuantity(g: Gen): Json | undefined {
  const r = g.rnd();
  const value = g.pick([5.6, 6.9, 7.0, 8.0, 8.99, 9.0, 9.01, 9.8, 12.4]);
  if (r < 0.6) return { value, unit: '%', system: UCUM, code: '%' };
  if (r < 0.7) return { value: 75, unit: 'mmol/mol', system: UCUM, code: 'mmol/mol' };
  if (r < 0.8) return { value, unit: 'percent' };
  if (r < 0.88) return { value, comparator: '>', unit: '%', system: UCUM, code: '%' };
  if (r < 0.94) return { unit: '%', system: UCUM, code: '%' };
  return undefined;
}

/** A blood pressure value: mostly UCUM mm[Hg] around the 140/90 cut-offs, sometimes the display unit mmHg, rarely no value or another unit. */
function bpQuantity(g: Gen, half: 'systolic' | 'diastolic'): Json | undefined {
  const value = half === 'systolic' ? g.pick([100, 118, 120, 124, 128, 132, 139, 139.5, 140, 141, 152, 178]) : g.pick([60, 70, 72, 78, 80, 84, 89, 89.5, 90, 91, 104]);
  const r = g.rnd();
  if (r < 0.82) return { value, unit: 'mm[Hg]', system: UCUM, code: 'mm[Hg]' };
  if (r < 0.9) return { value, unit: 'mmHg' };
  if (r < 0.94) return { value, unit: 'mmHg', system: UCUM, code: 'mm[Hg]' };
  if (r < 0.97) return { unit: 'mm[Hg]', system: UCUM, code: 'mm[Hg]' };
  if (r < 0.99) return { value, unit: 'kPa', system: UCUM, code: 'kPa' };
  return undefined;
}

const SYSTOLIC = '8480-6';
const DIASTOLIC = '8462-4';

function bpComponent(g: Gen, code: string): Json {
  const q = bpQuantity(g, code === SYSTOLIC ? 'systolic' : 'diastolic');
  return { code: g.code(LOINC, code), ...(q ? { valueQuantity: q } : {}) };
}

/** A blood pressure panel (85354-9) with its components, one of them, or (rarely) none. */
function bpPanel(g: Gen, day: string): Json {
  const r = g.rnd();
  const components = r < 0.85 ? [bpComponent(g, SYSTOLIC), bpComponent(g, DIASTOLIC)] : r < 0.92 ? [bpComponent(g, g.pick([SYSTOLIC, DIASTOLIC]))] : [];
  return {
    ...observationBase(g, 'vital-signs', day),
    code: { coding: [{ system: LOINC, code: '85354-9', display: 'Blood pressure panel' }] },
    ...(components.length > 0 ? { component: components } : {}),
  };
}

/** A separate systolic or diastolic Observation (its own valueQuantity). */
function bpHalf(g: Gen, code: string, day: string): Json {
  const q = bpQuantity(g, code === SYSTOLIC ? 'systolic' : 'diastolic');
  return { ...observationBase(g, 'vital-signs', day), code: g.code(LOINC, code), ...(q ? { valueQuantity: q } : {}) };
}

function condition(g: Gen, vs: string, onset: string = g.edgeDay([1, 5]), abatement?: string): Json {
  const clinical = g.pick(['active', 'active', 'active', 'resolved', 'inactive', 'remission', undefined]);
  const abated = abatement ?? (clinical === 'resolved' && g.chance(0.7) ? addDaysIso(onset, g.int(1, 400)) : undefined);
  return {
    resourceType: 'Condition',
    id: g.id('cond'),
    ...g.meta(),
    ...(clinical ? { clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: clinical }] } } : {}),
    ...(g.chance(0.3) ? { verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: g.pick(['confirmed', 'confirmed', 'unconfirmed', 'refuted', 'entered-in-error']) }] } } : {}),
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: g.pick(['problem-list-item', 'encounter-diagnosis']) }] }],
    code: g.concept(vs),
    subject: g.subject,
    ...g.choiceTime('onset', onset, ['dateTime', 'dateTime', 'dateTime', 'Period', 'none']),
    ...(abated !== undefined ? (g.chance(0.85) ? { abatementDateTime: g.dateTime(abated) } : { abatementPeriod: { start: g.dateTime(abated) } }) : {}),
    ...(g.chance(0.5) ? { recordedDate: g.dateTime(onset) } : {}),
  };
}

function immunization(g: Gen, vs: string, day: string = g.edgeDay()): Json {
  return {
    resourceType: 'Immunization',
    id: g.id('imm'),
    ...g.meta(),
    status: g.pick(['completed', 'completed', 'completed', 'not-done', 'entered-in-error']),
    vaccineCode: g.concept(vs),
    patient: g.subject,
    ...(g.chance(0.92) ? { occurrenceDateTime: g.dateTime(day) } : { occurrenceString: 'last autumn' }),
    ...(g.chance(0.2) ? { recorded: g.dateTime(addDaysIso(day, g.int(0, 10))) } : {}),
  };
}

/** A MedicationRequest for a drug in a value set: coded inline or through a Medication resource. */
function medicationRequest(g: Gen, vs: string, day: string, opts: { readonly negated?: number } = {}): Json {
  const doNotPerform = g.chance(opts.negated ?? 0.08);
  const status = g.pick(['active', 'active', 'active', 'active', 'completed', 'completed', 'completed', 'stopped', 'on-hold', 'cancelled', 'draft', 'entered-in-error']);
  let medication: Json;
  if (g.chance(0.15)) {
    const med = { resourceType: 'Medication', id: g.id('med'), code: g.concept(vs) };
    g.extra.push(med);
    medication = { medicationReference: { reference: g.chance(0.9) ? `Medication/${String(med.id)}` : `Medication/${String(med.id)}-missing` } };
  } else {
    medication = { medicationCodeableConcept: g.concept(vs) };
  }
  const r = g.rnd();
  const authoredOn = r < 0.05 ? {} : r < 0.08 ? { authoredOn: day.slice(0, 4) } : { authoredOn: g.dateTime(day) };
  return {
    resourceType: 'MedicationRequest',
    id: g.id('mr'),
    ...g.meta(),
    status,
    ...(status === 'stopped' || status === 'cancelled' ? { statusReason: g.code(SNOMED, g.pick([...MEDICAL_REASONS, NOT_A_MEDICAL_REASON])) } : {}),
    intent: g.pick(['order', 'order', 'order', 'plan', 'original-order', 'proposal']),
    ...(doNotPerform ? { doNotPerform: true, ...g.negationReason() } : g.chance(0.05) ? { doNotPerform: false } : {}),
    ...medication,
    subject: g.subject,
    ...authoredOn,
  };
}

function allergy(g: Gen, vs: string, day: string): Json {
  return {
    resourceType: 'AllergyIntolerance',
    id: g.id('alg'),
    ...g.meta(),
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: g.pick(['active', 'active', 'inactive', 'resolved']) }] },
    ...(g.chance(0.4) ? { verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification', code: g.pick(['confirmed', 'unconfirmed', 'refuted', 'entered-in-error']) }] } } : {}),
    code: g.concept(vs),
    patient: g.subject,
    ...g.choiceTime('onset', day, ['dateTime', 'dateTime', 'Period', 'none']),
    ...(g.chance(0.5) ? { recordedDate: g.dateTime(addDaysIso(day, g.int(0, 30))) } : {}),
  };
}

const DEVICE_DO_NOT_PERFORM = ['http://hl7.org/fhir/5.0/StructureDefinition/extension-DeviceRequest.doNotPerform', 'http://hl7.org/fhir/us/qicore/StructureDefinition/qicore-doNotPerform'] as const;

function deviceRequest(g: Gen, vs: string, day: string): Json {
  const r = g.rnd();
  const negation = r < 0.15 ? [{ url: g.pick(DEVICE_DO_NOT_PERFORM), valueBoolean: true }] : r < 0.2 ? [{ url: g.pick(DEVICE_DO_NOT_PERFORM), valueBoolean: false }] : undefined;
  return {
    resourceType: 'DeviceRequest',
    id: g.id('dev'),
    ...g.meta(),
    ...(negation ? { modifierExtension: negation } : {}),
    status: g.pick(['active', 'active', 'completed', 'draft', 'revoked', 'entered-in-error']),
    intent: g.pick(['order', 'plan']),
    codeCodeableConcept: g.concept(vs),
    subject: g.subject,
    ...(g.chance(0.93) ? { authoredOn: g.dateTime(day) } : {}),
  };
}

function serviceRequest(g: Gen, vs: string, day: string): Json {
  const negated = g.chance(0.12);
  return {
    resourceType: 'ServiceRequest',
    id: g.id('sr'),
    ...g.meta(),
    status: g.pick(['active', 'active', 'completed', 'draft', 'revoked']),
    intent: g.pick(['order', 'original-order', 'plan']),
    ...(negated ? { doNotPerform: true } : {}),
    code: g.concept(vs),
    subject: g.subject,
    ...(g.chance(0.93) ? { authoredOn: g.dateTime(day) } : {}),
  };
}

// -------------------------------------------------------------------------------------------------
// Stories

const QUALIFYING_VISITS = [VS.officeVisit, VS.officeVisit, VS.officeVisit, VS.annualWellnessVisit, VS.preventiveEstablished, VS.preventiveInitial, VS.homeHealthcare, VS.telephoneVisits, VS.virtualEncounter];

function visits(g: Gen, out: Json[]): void {
  for (let k = g.int(0, 3); k > 0; k--) out.push(encounter(g, g.pick(QUALIFYING_VISITS)));
}

function colorectal(g: Gen, out: Json[]): void {
  for (let k = g.int(0, 2); k > 0; k--) out.push(procedure(g, VS.colonoscopy, g.chance(0.5) ? g.validityEdge(120) : g.edgeDay([9, 10, 11])));
  for (let k = g.int(0, 2); k > 0; k--) {
    const day = g.chance(0.5) ? g.validityEdge(12) : g.edgeDay([0, 1]);
    if (g.chance(0.8)) {
      const v = g.rnd();
      out.push({
        ...codedObservation(g, g.concept(VS.fobt), 'laboratory', day, v < 0.5 ? g.code(SNOMED, g.pick(['260385009', '10828004'])) : undefined),
        ...(v >= 0.5 && v < 0.7 ? { valueString: 'negative' } : {}),
        ...(g.chance(0.3) ? { interpretation: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: g.pick(['N', 'A']) }] }] } : {}),
      });
    } else out.push(diagnosticReport(g, VS.fobt, day));
  }
  if (g.chance(0.2)) {
    const day = g.validityEdge(36);
    out.push(g.chance(0.6) ? codedObservation(g, g.concept(VS.fitDna), 'laboratory', day) : diagnosticReport(g, VS.fitDna, day));
  }
  if (g.chance(0.12)) out.push(procedure(g, VS.flexibleSigmoidoscopy, g.validityEdge(60)));
  if (g.chance(0.1)) {
    const day = g.validityEdge(60);
    const r = g.rnd();
    out.push(r < 0.4 ? procedure(g, VS.ctColonography, day) : r < 0.7 ? codedObservation(g, g.concept(VS.ctColonography), 'imaging', day) : diagnosticReport(g, VS.ctColonography, day));
  }
  if (g.chance(0.05)) out.push(condition(g, VS.malignantNeoplasmOfColon, g.near([g.today, addYearsIso(g.today, -3)], 400)));
  if (g.chance(0.04)) out.push(procedure(g, VS.totalColectomy, g.near([g.today, addYearsIso(g.today, -6)], 400), ['dateTime', 'Period', 'none'], 0.05));
}

function diabetes(g: Gen, out: Json[], diagnosed: boolean): void {
  if (diagnosed) for (let k = g.int(1, 2); k > 0; k--) out.push(condition(g, VS.diabetes, g.chance(0.4) ? g.near([g.today, g.frame.periodStart]) : g.edgeDay([1, 5])));
  for (let k = diagnosed ? (g.chance(0.85) ? g.int(1, 3) : 0) : g.int(0, 1); k > 0; k--) {
    const q = hba1cQuantity(g);
    // Retested every 6 months at the point of care: the half-year edge, recent days, the period's edges.
    const day = g.chance(0.6) ? g.near([addMonthsIso(g.today, -6), addDaysIso(addMonthsIso(g.today, -6), 1), addDaysIso(g.today, -g.int(0, 150))], 40) : g.edgeDay([0, 1]);
    out.push({ ...observationBase(g, 'laboratory', day), code: g.concept(VS.hba1cLabTest), ...(q ? { valueQuantity: q } : g.chance(0.3) ? { valueString: '>14%' } : {}) });
  }
  if (diagnosed && g.chance(0.1)) {
    const q = hba1cQuantity(g);
    out.push({ ...observationBase(g, 'laboratory', g.edgeDay([0])), code: g.code(LOINC, '97506-0', 'Glucose management indicator'), ...(q ? { valueQuantity: q } : {}) });
  }
}

/** Essential hypertension and blood pressure readings, by panel and by halves, on shared and separate days. */
function hypertension(g: Gen, out: Json[], diagnosed: boolean): void {
  if (diagnosed) {
    // The measure's cut-off is the end of the period's first six months (June 30 / July 1); at the
    // point of care the diagnosis must be active on the as-of day.
    const sixMonths = addMonthsIso(g.frame.periodStart, 6);
    const onset = g.near([addDaysIso(sixMonths, -1), sixMonths, g.today, addYearsIso(g.today, -4)], 200);
    const abatement = g.chance(0.15) ? g.near([g.today, g.frame.periodStart, addDaysIso(g.today, 1)], 30) : undefined;
    out.push(condition(g, VS.essentialHypertension, onset, abatement !== undefined && abatement > onset ? abatement : undefined));
  }
  const days = diagnosed ? (g.chance(0.9) ? g.int(1, 3) : 0) : g.int(0, 1);
  for (let k = 0; k < days; k++) {
    const r0 = g.rnd();
    const day = r0 < 0.5 ? addDaysIso(g.today, -g.int(0, 180)) : r0 < 0.8 ? g.near([g.today, addDaysIso(g.today, 1), g.frame.periodStart, addDaysIso(g.frame.periodStart, -1)], 30) : g.edgeDay([0]);
    const r = g.rnd();
    if (r < 0.45) out.push(bpPanel(g, day));
    else if (r < 0.75) {
      out.push(bpHalf(g, SYSTOLIC, day));
      out.push(bpHalf(g, DIASTOLIC, g.chance(0.8) ? day : addDaysIso(day, g.pick([-1, 1]))));
    } else if (r < 0.9) out.push(bpHalf(g, g.pick([SYSTOLIC, DIASTOLIC]), day));
    else {
      // Two readings on one day: the lowest of each half counts.
      out.push(bpPanel(g, day));
      out.push(g.chance(0.5) ? bpPanel(g, day) : bpHalf(g, g.pick([SYSTOLIC, DIASTOLIC]), day));
    }
  }
}

const KIDNEY = [VS.endStageRenalDisease, VS.chronicKidneyDiseaseStage5, VS.kidneyTransplantRecipient] as const;

function kidney(g: Gen, out: Json[]): void {
  for (let k = g.int(1, 2); k > 0; k--) {
    const day = g.near([g.today, addDaysIso(g.today, 1), addYearsIso(g.today, -2)], 300);
    const r = g.rnd();
    if (r < 0.55) out.push(condition(g, g.pick(KIDNEY), day));
    else if (r < 0.7) out.push(procedure(g, VS.kidneyTransplant, day, ['dateTime', 'Period', 'none'], 0.05));
    else if (r < 0.82) out.push(procedure(g, VS.dialysisServices, day, ['dateTime', 'Period', 'none'], 0.05));
    else out.push(encounter(g, g.pick([VS.dialysisServices, VS.esrdMonthlyOutpatientServices]), day));
  }
}

function pregnancy(g: Gen, out: Json[]): void {
  const onset = g.near([g.frame.periodStart, addDaysIso(g.frame.periodStart, -270), g.today, addDaysIso(g.today, -200)], 60);
  const abatement = g.chance(0.5) ? addDaysIso(onset, g.pick([270, 280, g.int(30, 300)])) : undefined;
  out.push(condition(g, g.pick([VS.pregnancy, VS.pregnancyOrRelated]), onset, abatement));
  if (g.chance(0.3)) out.push(condition(g, VS.breastfeeding, abatement ?? addDaysIso(onset, 280)));
}

const ASCVD_CONDITIONS = [VS.myocardialInfarction, VS.ischemicHeartDisease, VS.angina, VS.cerebrovascularDisease, VS.atherosclerosisPad] as const;
// The built-in Low Intensity set is empty (official expansion only): its orders never match here.
const STATINS = [VS.highIntensityStatin, VS.highIntensityStatin, VS.moderateIntensityStatin, VS.moderateIntensityStatin, VS.moderateIntensityStatin, VS.lowIntensityStatin] as const;
const STATIN_EXCEPTIONS = [VS.rhabdomyolysis, VS.statinMuscleSymptoms, VS.endStageRenalDisease, VS.liverDisease, VS.hepatitisA, VS.hepatitisB] as const;

/** Clinical ASCVD, statin orders around the 12-month edges, and the exclusions and exceptions. */
function ascvd(g: Gen, out: Json[]): void {
  for (let k = g.int(1, 2); k > 0; k--) {
    const day = g.near([g.today, addDaysIso(g.today, 1), addYearsIso(g.today, -1), g.birthday(21, 0)], 1500);
    if (g.chance(0.75)) out.push(condition(g, g.pick(ASCVD_CONDITIONS), day));
    else out.push(procedure(g, g.pick([VS.pci, VS.cabg]), day, ['dateTime', 'dateTime', 'Period', 'none'], 0.05));
  }
  for (let k = g.chance(0.88) ? g.int(1, 3) : 0; k > 0; k--) {
    // authoredOn a year before the as-of day is the point-of-care edge; the period start the measure's.
    const day = g.near([addYearsIso(g.today, -1), addDaysIso(addYearsIso(g.today, -1), 1), g.frame.periodStart, g.today, addDaysIso(g.today, 1)], 500);
    out.push(medicationRequest(g, g.pick(STATINS), day, { negated: 0.12 }));
  }
  if (g.chance(0.08)) out.push(allergy(g, VS.statinAllergen, g.near([g.today, addDaysIso(g.today, 1), addYearsIso(g.today, -3)], 300)));
  if (g.chance(0.12)) out.push(condition(g, g.pick(STATIN_EXCEPTIONS), g.near([g.frame.periodStart, g.today, addDaysIso(g.frame.periodStart, -1)], 200)));
}

/** Tobacco screenings (user / non-user / unrecognised answers), cessation counselling and medication, and "not screened". */
function tobacco(g: Gen, out: Json[]): void {
  let lastDay: string | undefined;
  for (let k = g.chance(0.85) ? g.int(1, 3) : 0; k > 0; k--) {
    const day = g.chance(0.7) ? g.near([g.today, addDaysIso(g.today, -g.int(1, 300)), g.frame.periodStart, addDaysIso(g.frame.periodStart, -1), addDaysIso(g.today, 1)], 200) : g.edgeDay([1, 2]);
    const r = g.rnd();
    const answer = r < 0.35 ? g.concept(VS.tobaccoUser, 0) : r < 0.9 ? g.concept(VS.tobaccoNonUser, 0) : r < 0.95 ? g.code(SNOMED, '266927001', 'Tobacco smoking consumption unknown') : undefined;
    const obs: Json = { ...observationBase(g, 'social-history', day), code: g.concept(VS.tobaccoUseScreening, 0.05), ...(answer ? { valueCodeableConcept: answer } : g.chance(0.5) ? { valueString: 'smoker' } : {}) };
    out.push(obs);
    if (r < 0.35) lastDay = day;
  }
  if (lastDay !== undefined || g.chance(0.1)) {
    const screening = lastDay ?? g.today;
    const from = addMonthsIso(screening, -6);
    for (let k = g.int(0, 2); k > 0; k--) {
      const day = g.near([from, screening, g.today, addDaysIso(g.today, 1)], 120);
      if (g.chance(0.55)) out.push(procedure(g, VS.tobaccoCessationCounseling, day, ['dateTime', 'dateTime', 'Period', 'none'], 0.1));
      else out.push(medicationRequest(g, VS.tobaccoCessationPharmacotherapy, day));
    }
  }
  if (g.chance(0.06)) out.push(procedure(g, VS.tobaccoUseScreening, g.near([g.today, g.frame.periodStart, addDaysIso(g.frame.periodStart, -1)], 100), ['dateTime', 'Period', 'none'], 0.85));
}

/** Mammograms (Observation, DiagnosticReport, Procedure) around the 24-month and 27-month edges, and mastectomies. */
function breast(g: Gen, out: Json[]): void {
  for (let k = g.chance(0.9) ? g.int(1, 3) : 0; k > 0; k--) {
    const day = g.chance(0.6) ? g.validityEdge(24) : g.near([addMonthsIso(g.frame.periodStart, -15), addDaysIso(g.today, 1), g.birthday(40)], 60);
    const r = g.rnd();
    out.push(r < 0.35 ? codedObservation(g, g.concept(VS.mammography), 'imaging', day) : r < 0.7 ? diagnosticReport(g, VS.mammography, day) : procedure(g, VS.mammography, day));
  }
  if (g.chance(0.12)) {
    const r = g.rnd();
    const day = (): string => g.near([g.today, addDaysIso(g.today, 1), addYearsIso(g.today, -8)], 900);
    if (r < 0.3) out.push(procedure(g, VS.bilateralMastectomy, day(), ['dateTime', 'Period', 'none'], 0.05));
    else if (r < 0.5) out.push(condition(g, VS.historyOfBilateralMastectomy, day()));
    else if (r < 0.85) {
      // Left and right on different days: excluded only when both are on record by the as-of day.
      out.push(condition(g, VS.statusPostLeftMastectomy, day()));
      out.push(condition(g, VS.statusPostRightMastectomy, day()));
    } else out.push(condition(g, g.pick([VS.statusPostLeftMastectomy, VS.statusPostRightMastectomy]), day()));
  }
}

/** Cervical cytology and HPV tests around the 36/60-month edges and the 21st/30th birthdays, and hysterectomy. */
function cervical(g: Gen, out: Json[]): void {
  for (let k = g.chance(0.85) ? g.int(1, 2) : 0; k > 0; k--) {
    const day = g.chance(0.6) ? g.validityEdge(36) : g.near([g.birthday(21), addMonthsIso(g.frame.periodStart, -24)], 60);
    out.push(g.chance(0.6) ? codedObservation(g, g.concept(VS.papTest), 'laboratory', day) : diagnosticReport(g, VS.papTest, day));
  }
  for (let k = g.int(0, 2); k > 0; k--) {
    const day = g.chance(0.5) ? g.birthday(30, 400) : g.chance(0.6) ? g.validityEdge(60) : g.near([addMonthsIso(g.frame.periodStart, -48)], 60);
    out.push(g.chance(0.6) ? codedObservation(g, g.concept(VS.hpvTest), 'laboratory', day) : diagnosticReport(g, VS.hpvTest, day));
  }
  if (g.chance(0.05)) out.push(procedure(g, g.pick([VS.papTest, VS.hpvTest]), g.near([g.today, g.frame.periodStart], 60), ['dateTime', 'none'], 0.9));
  if (g.chance(0.07)) out.push(procedure(g, VS.hysterectomyNoResidualCervix, g.near([g.today, addDaysIso(g.today, 1), addYearsIso(g.today, -10)], 900), ['dateTime', 'Period', 'none'], 0.05));
  if (g.chance(0.04)) out.push(condition(g, VS.absenceOfCervix, g.near([g.today, addDaysIso(g.today, 1), addYearsIso(g.today, -10)], 900)));
}

/** Influenza immunizations around the season's August 1 start and October 31 due date, and contraindications. */
function influenza(g: Gen, out: Json[]): void {
  const season = Number(g.today.slice(5, 7)) >= 8 ? Number(g.today.slice(0, 4)) : Number(g.today.slice(0, 4)) - 1;
  for (let k = g.int(0, 2); k > 0; k--) {
    const day = g.chance(0.7) ? g.near([`${season}-08-01`, `${season}-07-31`, `${season}-10-31`, `${season}-11-01`, g.today, addDaysIso(g.today, 1), `${season - 1}-10-15`], 60) : g.edgeDay();
    out.push(immunization(g, VS.influenzaVaccine, day));
  }
  if (g.chance(0.05)) {
    const day = g.edgeDay([1, 5]);
    out.push(g.chance(0.6) ? allergy(g, VS.influenzaVaccineAllergy, day) : condition(g, VS.influenzaVaccineAllergy, day));
  }
}

/** Pneumococcal immunizations around the 60th and 65th birthdays. */
function pneumococcal(g: Gen, out: Json[]): void {
  for (let k = g.chance(0.85) ? g.int(1, 2) : 0; k > 0; k--) {
    const day = g.chance(0.7) ? g.pick([g.birthday(60), g.birthday(65), g.birthday(60, 800)]) : g.near([g.today, addDaysIso(g.today, 1)], 300);
    out.push(immunization(g, VS.pneumococcalVaccine, day));
  }
}

/** The period's edges, for exclusions that must fall in (or overlap) it. */
function periodEdge(g: Gen): string {
  return g.near([g.frame.periodStart, addDaysIso(g.frame.periodStart, -1), g.today, addDaysIso(g.today, 1), addDaysIso(g.frame.periodStart, 180)], 60);
}

function hospice(g: Gen, out: Json[]): void {
  const day = periodEdge(g);
  const r = g.rnd();
  if (r < 0.25) {
    const disposition = g.pick(['428361000124107', '428371000124100', '306689006']);
    out.push(encounter(g, VS.encounterInpatient, day, { hospitalization: { dischargeDisposition: g.code(SNOMED, disposition) } }));
  } else if (r < 0.45) out.push(encounter(g, VS.hospiceEncounter, day));
  else if (r < 0.6) out.push(codedObservation(g, g.code(LOINC, '45755-6', 'Hospice care [Minimum Data Set]'), 'survey', day, g.code(SNOMED, g.pick(['373066001', '373066001', '373067005']))));
  else if (r < 0.75) out.push(serviceRequest(g, VS.hospiceCareAmbulatory, day));
  else if (r < 0.88) out.push(procedure(g, VS.hospiceCareAmbulatory, day));
  else out.push(condition(g, VS.hospiceDiagnosis, day));
}

function palliative(g: Gen, out: Json[]): void {
  const day = periodEdge(g);
  const r = g.rnd();
  if (r < 0.25) out.push(codedObservation(g, g.concept(VS.palliativeCareAssessment), 'survey', day));
  else if (r < 0.5) out.push(encounter(g, VS.palliativeCareEncounter, day));
  else if (r < 0.75) out.push(procedure(g, VS.palliativeCareIntervention, day));
  else out.push(condition(g, VS.palliativeCareDiagnosis, day));
}

/** Frailty (diagnosis, symptom, encounter, device ordered or in use) and advanced illness or dementia medication. */
function frailty(g: Gen, out: Json[]): void {
  for (let k = g.int(1, 2); k > 0; k--) {
    const day = periodEdge(g);
    const r = g.rnd();
    if (r < 0.25) out.push(condition(g, VS.frailtyDiagnosis, day));
    else if (r < 0.4) out.push(condition(g, VS.frailtySymptom, day));
    else if (r < 0.5) out.push(codedObservation(g, g.concept(VS.frailtySymptom), 'exam', day));
    else if (r < 0.6) out.push(encounter(g, VS.frailtyEncounter, day));
    else if (r < 0.85) out.push(deviceRequest(g, VS.frailtyDevice, day));
    else out.push(codedObservation(g, g.code(LOINC, '98181-1', 'Medical equipment used'), 'survey', day, g.concept(VS.frailtyDevice)));
  }
}

function advancedIllness(g: Gen, out: Json[]): void {
  // The look-back starts a year before the period: its edge, and the as-of day.
  const from = addYearsIso(g.frame.periodStart, -1);
  const day = g.near([from, addDaysIso(from, -1), g.today, addDaysIso(g.today, 1)], 200);
  if (g.chance(0.8)) out.push(condition(g, VS.advancedIllness, day, g.chance(0.3) ? g.near([from, addDaysIso(from, -1)], 10) : undefined));
  // The built-in Dementia Medications set is empty (official expansion only): these never match here.
  else out.push(medicationRequest(g, VS.dementiaMedications, day));
}

const NOT_NURSING_HOME = ['160903007', '105529008', '224231008'] as const; // lives in own home, lives alone, sheltered housing

/** Housing status (LOINC 71802-3) answered nursing home or not, sometimes twice (the latest decides, ties too). */
function housing(g: Gen, out: Json[]): void {
  const first = g.near([g.today, addDaysIso(g.today, 1), addYearsIso(g.today, -2)], 400);
  for (let k = g.int(1, 2), day = first; k > 0; k--, day = g.chance(0.3) ? day : addDaysIso(day, -g.int(1, 500))) {
    const answer = g.chance(0.55) ? g.code(SNOMED, '160734000', 'Lives in nursing home') : g.code(SNOMED, g.pick(NOT_NURSING_HOME));
    out.push(codedObservation(g, g.code(LOINC, '71802-3', 'Housing status'), 'social-history', day, answer));
  }
}

/**
 * Generates `count` patients (each an array of resources, the Patient first) from `seed`.
 *
 * @example
 * const patients = generateCorpus(42, 100, { periodStart: '2025-01-01', periodEnd: '2025-12-31' });
 */
export function generateCorpus(seed: number, count: number, frame: CorpusFrame): Json[][] {
  const rnd = prng(seed);
  const out: Json[][] = [];
  for (let i = 0; i < count; i++) {
    const g = new Gen(rnd, frame, `p${seed}-${i}`);
    const resources: Json[] = [patientResource(g)];
    const { age, sex } = g;
    const female = sex === 'female' || (sex === 'other' && g.chance(0.5));
    visits(g, resources);
    if (g.chance(age >= 40 && age <= 80 ? 0.6 : 0.15)) colorectal(g, resources);
    diabetes(g, resources, g.chance(0.3));
    hypertension(g, resources, g.chance(age >= 30 ? 0.45 : 0.1));
    if (g.chance(0.08)) kidney(g, resources);
    if (female && age >= 16 && age <= 50 && g.chance(0.15)) pregnancy(g, resources);
    if (g.chance(age >= 40 ? 0.3 : 0.06)) ascvd(g, resources);
    if (g.chance(age >= 12 ? 0.75 : 0.02)) tobacco(g, resources);
    if (g.chance(female && age >= 35 ? 0.85 : 0.04)) breast(g, resources);
    if (g.chance(female && age >= 18 && age <= 70 ? 0.8 : 0.04)) cervical(g, resources);
    if (g.chance(0.7)) influenza(g, resources);
    if (g.chance(age >= 58 ? 0.8 : 0.05)) pneumococcal(g, resources);
    if (g.chance(0.06)) hospice(g, resources);
    if (g.chance(0.07)) palliative(g, resources);
    const old = age >= 60;
    const frail = g.chance(old ? 0.3 : 0.04);
    if (frail) frailty(g, resources);
    if (g.chance(frail ? 0.55 : old ? 0.15 : 0.04)) advancedIllness(g, resources);
    if (g.chance(old ? 0.25 : 0.03)) housing(g, resources);
    resources.push(...g.extra);
    out.push(resources);
  }
  return out;
}
