/**
 * A seeded generator of synthetic FHIR R4 patients aimed at the edges clinical logic trips on: ages
 * on the day (birthdays the day before, on and after a boundary, leap days, partial birth dates),
 * dates on window boundaries at each precision (year, month, day, with times and offsets), choice
 * types (dateTime, Period, instant, missing), statuses (final and not), negation, codes inside and
 * outside the value sets (and under alternate code-system URIs), units and missing values.
 * Deterministic for a seed: the same patients on every machine.
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

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

function addDaysIso(day: string, n: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

function addYearsIso(day: string, n: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const year = y + n;
  // 29 February in a non-leap year becomes 28 February.
  const last = new Date(Date.UTC(year, m, 0)).getUTCDate();
  return `${year}-${pad(m)}-${pad(Math.min(d, last))}`;
}

class Gen {
  private seq = 0;
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
  /** A day near an edge of the period, or a lookback boundary before its end. */
  edgeDay(lookbackYears: readonly number[] = [0]): string {
    const { periodStart, periodEnd } = this.frame;
    const base = this.pick([periodStart, periodEnd, addYearsIso(periodEnd, -this.pick(lookbackYears)), addYearsIso(periodStart, -this.pick(lookbackYears))]);
    const shift = this.pick([-1, 0, 0, 1, -31, 30, this.int(-400, 400)]);
    return addDaysIso(base, shift);
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
  coding(vsUrl: string): Json {
    const vs = BUILT_IN_VALUE_SETS[vsUrl];
    const codes = vs?.codes ?? [];
    const r = this.rnd();
    if (codes.length === 0 || r < 0.1) return { system: 'http://snomed.info/sct', code: String(this.int(100000, 999999)) };
    const c = this.pick(codes);
    const system = r < 0.2 && ALT_SYSTEMS[c.system] ? (ALT_SYSTEMS[c.system] as string) : c.system;
    return c.display && this.chance(0.5) ? { system, code: c.code, display: c.display } : { system, code: c.code };
  }
  concept(vsUrl: string): Json {
    const codings = [this.coding(vsUrl)];
    if (this.chance(0.2)) codings.push(this.coding(vsUrl));
    return this.chance(0.3) ? { coding: codings, text: 'as recorded' } : { coding: codings };
  }
  /** An effective[x]/performed[x]/onset[x]: dateTime, Period (maybe open), instant, or none. */
  choiceTime(prefix: string, day: string, kinds: readonly ('dateTime' | 'Period' | 'instant' | 'none')[]): Json {
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
      case 'none':
        return {};
    }
  }
  meta(): Json {
    return this.chance(0.5) ? { meta: { versionId: String(this.int(1, 4)), lastUpdated: `${this.frame.periodEnd}T10:00:00Z` } } : {};
  }
}

function patientResource(g: Gen): Json {
  const { periodEnd } = g.frame;
  const age = g.pick([17, 18, 21, 24, 29, 30, 44, 45, 46, 49, 50, 51, 52, 64, 65, 66, 67, 74, 75, 76, 80, 81, 85]);
  let birth = addDaysIso(addYearsIso(periodEnd, -age), g.pick([-1, 0, 1, 0, g.int(-200, 200)]));
  if (g.chance(0.03)) birth = '1960-02-29';
  const r = g.rnd();
  const birthDate = r < 0.03 ? undefined : r < 0.06 ? birth.slice(0, 4) : r < 0.09 ? birth.slice(0, 7) : birth;
  const gender = g.pick(['female', 'female', 'male', 'male', 'other', 'unknown', undefined]);
  return {
    resourceType: 'Patient',
    id: g.patientId,
    ...g.meta(),
    ...(birthDate ? { birthDate } : {}),
    ...(gender ? { gender } : {}),
    identifier: [{ system: 'urn:careloop:corpus', value: g.patientId }],
    name: [{ family: 'Corpus', given: [g.pick(['Ada', 'Grace', 'Alan', 'Edsger'])] }],
    ...(g.chance(0.05) ? { deceasedBoolean: g.chance(0.5) } : {}),
  };
}

function encounter(g: Gen, vs: string): Json {
  const day = g.edgeDay();
  const start = g.dateTime(addDaysIso(day, -g.int(0, 2)));
  return {
    resourceType: 'Encounter',
    id: g.id('enc'),
    ...g.meta(),
    status: g.pick(['finished', 'finished', 'finished', 'in-progress', 'cancelled', 'entered-in-error']),
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
    type: [g.concept(vs)],
    subject: { reference: `Patient/${g.patientId}` },
    ...(g.chance(0.9) ? { period: g.chance(0.85) ? { start, end: g.dateTime(day) } : { start } } : {}),
  };
}

function procedure(g: Gen, vs: string, lookbacks: readonly number[]): Json {
  const status = g.pick(['completed', 'completed', 'completed', 'not-done', 'in-progress', 'entered-in-error']);
  return {
    resourceType: 'Procedure',
    id: g.id('proc'),
    ...g.meta(),
    status,
    ...(status === 'not-done' && g.chance(0.7) ? { statusReason: { coding: [{ system: 'http://snomed.info/sct', code: '183932001', display: 'Procedure contraindicated' }] } } : {}),
    code: g.concept(vs),
    subject: { reference: `Patient/${g.patientId}` },
    ...g.choiceTime('performed', g.edgeDay(lookbacks), ['dateTime', 'dateTime', 'Period', 'none']),
  };
}

function quantity(g: Gen, kind: 'hba1c' | 'bp'): Json | undefined {
  if (kind === 'hba1c') {
    const r = g.rnd();
    const value = g.pick([5.6, 6.9, 7.0, 8.0, 8.99, 9.0, 9.01, 9.8, 12.4]);
    if (r < 0.6) return { value, unit: '%', system: 'http://unitsofmeasure.org', code: '%' };
    if (r < 0.7) return { value: 75, unit: 'mmol/mol', system: 'http://unitsofmeasure.org', code: 'mmol/mol' };
    if (r < 0.8) return { value, unit: 'percent' };
    if (r < 0.88) return { value, comparator: '>', unit: '%', system: 'http://unitsofmeasure.org', code: '%' };
    if (r < 0.94) return { unit: '%', system: 'http://unitsofmeasure.org', code: '%' };
    return undefined;
  }
  const value = g.pick([89, 90, 120, 139, 140, 141, 159, 160]);
  return g.chance(0.9) ? { value, unit: 'mm[Hg]', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } : { value, unit: 'mmHg' };
}

function observation(g: Gen, vs: string, kind: 'hba1c' | 'fobt' | 'bp', lookbacks: readonly number[]): Json {
  const status = g.pick(['final', 'final', 'amended', 'corrected', 'preliminary', 'cancelled', 'entered-in-error']);
  const day = g.edgeDay(lookbacks);
  const base: Json = {
    resourceType: 'Observation',
    id: g.id('obs'),
    ...g.meta(),
    status,
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: kind === 'bp' ? 'vital-signs' : 'laboratory' }] }],
    subject: { reference: `Patient/${g.patientId}` },
    ...g.choiceTime('effective', day, ['dateTime', 'dateTime', 'Period', 'instant', 'none']),
    ...(g.chance(0.3) ? { issued: g.instant(day) } : {}),
  };
  if (kind === 'bp') {
    const comp = (code: string): Json => {
      const q = quantity(g, 'bp');
      return { code: { coding: [{ system: 'http://loinc.org', code }] }, ...(q ? { valueQuantity: q } : {}) };
    };
    return {
      ...base,
      code: { coding: [{ system: 'http://loinc.org', code: '85354-9', display: 'Blood pressure panel' }] },
      component: [comp('8480-6'), ...(g.chance(0.9) ? [comp('8462-4')] : [])],
    };
  }
  if (kind === 'fobt') {
    const v = g.rnd();
    return {
      ...base,
      code: g.concept(vs),
      ...(v < 0.5 ? { valueCodeableConcept: { coding: [{ system: 'http://snomed.info/sct', code: g.pick(['260385009', '10828004']) }] } } : v < 0.7 ? { valueString: 'negative' } : {}),
      ...(g.chance(0.3) ? { interpretation: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: g.pick(['N', 'A']) }] }] } : {}),
    };
  }
  const q = quantity(g, 'hba1c');
  return { ...base, code: g.concept(vs), ...(q ? { valueQuantity: q } : g.chance(0.3) ? { valueString: '>14%' } : {}) };
}

function condition(g: Gen, vs: string): Json {
  const day = g.edgeDay([1, 5]);
  const clinical = g.pick(['active', 'active', 'resolved', 'inactive', undefined]);
  return {
    resourceType: 'Condition',
    id: g.id('cond'),
    ...g.meta(),
    ...(clinical ? { clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: clinical }] } } : {}),
    ...(g.chance(0.3) ? { verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: g.pick(['confirmed', 'refuted', 'entered-in-error']) }] } } : {}),
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: g.pick(['problem-list-item', 'encounter-diagnosis']) }] }],
    code: g.concept(vs),
    subject: { reference: `Patient/${g.patientId}` },
    ...g.choiceTime('onset', day, ['dateTime', 'dateTime', 'Period', 'none']),
    ...(clinical === 'resolved' && g.chance(0.7) ? { abatementDateTime: g.dateTime(addDaysIso(day, g.int(1, 400))) } : {}),
    ...(g.chance(0.5) ? { recordedDate: g.dateTime(day) } : {}),
  };
}

function immunization(g: Gen, vs: string): Json {
  const day = g.edgeDay();
  return {
    resourceType: 'Immunization',
    id: g.id('imm'),
    ...g.meta(),
    status: g.pick(['completed', 'completed', 'not-done', 'entered-in-error']),
    vaccineCode: g.concept(vs),
    patient: { reference: `Patient/${g.patientId}` },
    ...(g.chance(0.9) ? { occurrenceDateTime: g.dateTime(day) } : { occurrenceString: 'last autumn' }),
  };
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
    const n = (max: number): number => g.int(0, max);
    for (let k = n(3); k > 0; k--) resources.push(encounter(g, VS.officeVisit));
    if (g.chance(0.08)) resources.push(encounter(g, VS.hospiceEncounter));
    for (let k = n(2); k > 0; k--) resources.push(procedure(g, VS.colonoscopy, [9, 10, 11]));
    for (let k = n(2); k > 0; k--) resources.push(observation(g, VS.fobt, 'fobt', [0, 1]));
    for (let k = n(3); k > 0; k--) resources.push(observation(g, VS.hba1cLabTest, 'hba1c', [0, 1]));
    for (let k = n(2); k > 0; k--) resources.push(observation(g, '', 'bp', [0]));
    for (let k = n(2); k > 0; k--) resources.push(condition(g, VS.diabetes));
    for (let k = n(2); k > 0; k--) resources.push(immunization(g, VS.influenzaVaccine));
    out.push(resources);
  }
  return out;
}
