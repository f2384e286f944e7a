/**
 * The synthetic patient cast: named, deterministic people with no real PHI, shared by the sandbox
 * EHR's seed and the tests. Every date is relative to a reference date passed in, so "Ada, 52,
 * colonoscopy 12 years ago" stays true on any day the tests run.
 *
 * @example
 * const cast = buildCast('2026-11-23');
 * const ada = cast.patients.find((p) => p.member.id === CAST_IDS.ada);
 */
import type {
  CodeableConcept,
  Condition,
  DiagnosticReport,
  Encounter,
  Immunization,
  MedicationRequest,
  Observation,
  Organization,
  Patient,
  Practitioner,
  Procedure,
  Resource,
  Task,
} from '@medplum/fhirtypes';
import { CODE } from './codes.ts';
import { instant, isoDate, parseReferenceDate, shift } from './dates.ts';

export { CODE, SYSTEM, cc } from './codes.ts';
export { isoDate, parseReferenceDate, shift, instant } from './dates.ts';

/** Patient ids of the cast, so tests say `CAST_IDS.ada` rather than a bare string. */
export const CAST_IDS = {
  ada: 'ada',
  grace: 'grace',
  margaret: 'margaret',
  alan: 'alan',
  katherine: 'katherine',
  claude: 'claude',
  barbara: 'barbara',
  donald: 'donald',
  john: 'john',
} as const;
export type CastId = (typeof CAST_IDS)[keyof typeof CAST_IDS];

/** The EHR user who launches the app (fhirUser `Practitioner/blackwell`). */
export const CAST_PRACTITIONER = { id: 'blackwell', given: 'Elizabeth', family: 'Blackwell', prefix: 'Dr.', display: 'Dr. Elizabeth Blackwell' } as const;
export const CAST_ORGANIZATION = { id: 'engine-clinic', name: 'Analytical Engine Family Practice' } as const;

/** Who the cast member is and what they demonstrate. */
export interface CastMember {
  readonly id: CastId;
  readonly given: string;
  readonly family: string;
  /** given + family, as the app shows it. */
  readonly displayName: string;
  readonly gender: 'female' | 'male';
  /** Age in whole years on the reference date. */
  readonly age: number;
  /** One line: which rule outcome this patient exercises. */
  readonly demonstrates: string;
}

function member(id: CastId, given: string, family: string, gender: 'female' | 'male', age: number, demonstrates: string): CastMember {
  return { id, given, family, displayName: `${given} ${family}`, gender, age, demonstrates };
}

/** The cast, in the order the EHR's patient list shows it. */
export const CAST_MEMBERS: readonly CastMember[] = [
  member('ada', 'Ada', 'Lovelace', 'female', 52, 'Colorectal screening overdue: last colonoscopy 12 years ago (breast screening satisfied: mammogram 6 months ago).'),
  member('grace', 'Grace', 'Murray', 'female', 60, 'No open care gaps: mammogram 1 year ago, FIT 5 months ago, cervical cytology and HPV co-test 2 years ago, never smoker, this season’s flu vaccine.'),
  member('margaret', 'Margaret', 'Hamilton', 'female', 70, 'Excluded: in hospice care (hospice admission 2 months ago, advanced illness).'),
  member('alan', 'Alan', 'Turing', 'male', 30, 'No open care gaps: a 30-year-old man is outside most screening populations; never smoker (screened 6 months ago), this season’s flu vaccine.'),
  member('katherine', 'Katherine', 'Johnson', 'female', 58, 'Insufficient data: diabetic, HbA1c result with no date and no unit.'),
  member('claude', 'Claude', 'Shannon', 'male', 64, 'Diabetes control gap: HbA1c 9.8% two months ago.'),
  member('barbara', 'Barbara', 'Liskov', 'female', 67, 'Blood pressure control gap: essential hypertension, BP 150/95 last month.'),
  member('donald', 'Donald', 'Knuth', 'male', 55, 'Open outreach Task (status requested) for overdue colorectal screening, to close.'),
  member('john', 'John', 'von Neumann', 'male', 75, 'Large record: 20 years of weekly vitals and monthly labs (>5,000 resources), for performance work.'),
];

/** Looks a member up by id; throws for an unknown id (a typo in a test should fail loudly). */
export function castMember(id: CastId): CastMember {
  const m = CAST_MEMBERS.find((c) => c.id === id);
  if (!m) throw new Error(`No cast member ${id}`);
  return m;
}

/** One patient's record: the Patient first, then everything in their compartment. */
export interface CastChart {
  readonly member: CastMember;
  readonly patient: Patient;
  /** The in-progress visit the chart launches the app in. */
  readonly encounter: Encounter;
  /** Every resource of the patient, the Patient and encounter included. */
  readonly resources: readonly Resource[];
}

export interface Cast {
  readonly referenceDate: string;
  readonly practitioner: Practitioner;
  readonly organization: Organization;
  readonly patients: readonly CastChart[];
}

export interface BuildCastOptions {
  /** Leave out John's >5,000-resource record (for quick unit tests). Default false. */
  readonly skipLarge?: boolean;
}

/**
 * Builds the whole cast for a reference date (`YYYY-MM-DD`). Pure and deterministic: the same date
 * gives byte-identical resources.
 */
export function buildCast(referenceDate: string | Date, options: BuildCastOptions = {}): Cast {
  const ref = parseReferenceDate(referenceDate);
  const patients = CAST_MEMBERS.filter((m) => !(options.skipLarge && m.id === 'john')).map((m) => buildChart(m, ref));
  return {
    referenceDate: isoDate(ref),
    practitioner: {
      resourceType: 'Practitioner',
      id: CAST_PRACTITIONER.id,
      active: true,
      name: [{ use: 'official', prefix: [CAST_PRACTITIONER.prefix], given: [CAST_PRACTITIONER.given], family: CAST_PRACTITIONER.family }],
    },
    organization: { resourceType: 'Organization', id: CAST_ORGANIZATION.id, active: true, name: CAST_ORGANIZATION.name },
    patients,
  };
}

type Delta = { years?: number; months?: number; days?: number };

/** Resource factories bound to one patient and the reference date. */
class Chart {
  readonly resources: Resource[] = [];
  constructor(
    readonly pid: string,
    readonly ref: Date,
  ) {}
  get subject() {
    return { reference: `Patient/${this.pid}` };
  }
  add<T extends Resource>(r: T): T {
    this.resources.push(r);
    return r;
  }
  encounter(slug: string, ago: Delta, type = CODE.officeVisit, status: Encounter['status'] = 'finished'): Encounter {
    const start = instant(this.ref, neg(ago), '09:00:00');
    return this.add<Encounter>({
      resourceType: 'Encounter',
      id: `${this.pid}-${slug}`,
      status,
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB', display: 'ambulatory' },
      type: [type],
      subject: this.subject,
      participant: [{ individual: { reference: `Practitioner/${CAST_PRACTITIONER.id}`, display: CAST_PRACTITIONER.display } }],
      period: status === 'finished' ? { start, end: instant(this.ref, neg(ago), '09:30:00') } : { start },
    });
  }
  procedure(slug: string, ago: Delta, code = CODE.colonoscopy): Procedure {
    return this.add<Procedure>({ resourceType: 'Procedure', id: `${this.pid}-${slug}`, status: 'completed', code, subject: this.subject, performedDateTime: instant(this.ref, neg(ago)) });
  }
  condition(slug: string, onsetAgo: Delta, code: Condition['code']): Condition {
    return this.add<Condition>({
      resourceType: 'Condition',
      id: `${this.pid}-${slug}`,
      clinicalStatus: CODE.active,
      verificationStatus: CODE.confirmed,
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: 'problem-list-item' }] }],
      ...(code ? { code } : {}),
      subject: this.subject,
      onsetDateTime: isoDate(shift(this.ref, neg(onsetAgo))),
      recordedDate: isoDate(shift(this.ref, neg(onsetAgo))),
    });
  }
  quantity(slug: string, ago: Delta | null, code: Observation['code'], value: number, unit: string | null, category: CodeableConcept = CODE.laboratory): Observation {
    return this.add<Observation>({
      resourceType: 'Observation',
      id: `${this.pid}-${slug}`,
      status: 'final',
      category: [category],
      code,
      subject: this.subject,
      ...(ago ? { effectiveDateTime: instant(this.ref, neg(ago)) } : {}),
      valueQuantity: unit === null ? { value } : { value, unit, system: 'http://unitsofmeasure.org', code: unit },
    });
  }
  bloodPressure(slug: string, ago: Delta, systolic: number, diastolic: number): Observation {
    return this.add<Observation>({
      resourceType: 'Observation',
      id: `${this.pid}-${slug}`,
      status: 'final',
      category: [CODE.vitalSigns],
      code: CODE.bpPanel,
      subject: this.subject,
      effectiveDateTime: instant(this.ref, neg(ago)),
      component: [
        { code: CODE.systolic, valueQuantity: { value: systolic, unit: 'mm[Hg]', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } },
        { code: CODE.diastolic, valueQuantity: { value: diastolic, unit: 'mm[Hg]', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } },
      ],
    });
  }
  result(slug: string, ago: Delta, code: Observation['code'], text: string, category: CodeableConcept = CODE.laboratory): Observation {
    return this.add<Observation>({ resourceType: 'Observation', id: `${this.pid}-${slug}`, status: 'final', category: [category], code, subject: this.subject, effectiveDateTime: instant(this.ref, neg(ago)), valueString: text });
  }
  medication(slug: string, ago: Delta, code: MedicationRequest['medicationCodeableConcept'], status: MedicationRequest['status'] = 'active'): MedicationRequest {
    return this.add<MedicationRequest>({
      resourceType: 'MedicationRequest',
      id: `${this.pid}-${slug}`,
      status,
      intent: 'order',
      ...(code ? { medicationCodeableConcept: code } : {}),
      subject: this.subject,
      authoredOn: isoDate(shift(this.ref, neg(ago))),
      requester: { reference: `Practitioner/${CAST_PRACTITIONER.id}` },
    });
  }
  /** Tobacco smoking status: never smoked. */
  neverSmoker(slug: string, ago: Delta): Observation {
    return this.add<Observation>({
      resourceType: 'Observation',
      id: `${this.pid}-${slug}`,
      status: 'final',
      category: [CODE.socialHistory],
      code: CODE.smokingStatus,
      subject: this.subject,
      effectiveDateTime: instant(this.ref, neg(ago)),
      valueCodeableConcept: CODE.neverSmoked,
    });
  }
  /**
   * This flu season's vaccine (a season runs Aug 1 – Mar 31): a month ago, or on the season's first
   * day when that is nearer. Out of season there is nothing to give, so nothing is added.
   */
  fluThisSeason(slug: string): Immunization | null {
    const month = this.ref.getUTCMonth() + 1;
    if (month >= 4 && month <= 7) return null;
    const seasonYear = month >= 8 ? this.ref.getUTCFullYear() : this.ref.getUTCFullYear() - 1;
    const start = Date.UTC(seasonYear, 7, 1);
    const days = Math.min(30, Math.round((this.ref.getTime() - start) / 86_400_000));
    return this.immunization(slug, { days });
  }
  immunization(slug: string, ago: Delta): Immunization {
    return this.add<Immunization>({ resourceType: 'Immunization', id: `${this.pid}-${slug}`, status: 'completed', vaccineCode: CODE.fluVaccine, patient: this.subject, occurrenceDateTime: instant(this.ref, neg(ago)) });
  }
}

function neg({ years = 0, months = 0, days = 0 }: Delta): Delta {
  return { years: -years, months: -months, days: -days };
}

function birthDate(ref: Date, age: number, pid: string): string {
  // A birthday a fixed number of days after the reference date's day, so the age is exact and
  // nobody turns a year older on the reference date itself.
  const offset = 30 + (hash(pid) % 300);
  return isoDate(shift(ref, { years: -(age + 1), days: offset }));
}

function hash(s: string): number {
  let h = 0;
  for (const ch of s) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return h;
}

function buildChart(m: CastMember, ref: Date): CastChart {
  const c = new Chart(m.id, ref);
  const patient = c.add<Patient>({
    resourceType: 'Patient',
    id: m.id,
    active: true,
    identifier: [{ system: 'http://careloop.example/fhir/sandbox-mrn', value: `MRN-${m.id.toUpperCase()}` }],
    name: [{ use: 'official', given: [m.given], family: m.family }],
    gender: m.gender,
    birthDate: birthDate(ref, m.age, m.id),
    generalPractitioner: [{ reference: `Practitioner/${CAST_PRACTITIONER.id}`, display: CAST_PRACTITIONER.display }],
    managingOrganization: { reference: `Organization/${CAST_ORGANIZATION.id}`, display: CAST_ORGANIZATION.name },
  });
  const encounter = c.encounter('visit', {}, CODE.wellnessVisit, 'in-progress');
  c.encounter('visit-last-year', { years: 1, months: 1 });

  switch (m.id) {
    case 'ada':
      c.procedure('colonoscopy', { years: 12 });
      c.result('mammogram', { months: 6 }, CODE.mammogram, 'BI-RADS 1: negative', CODE.imaging);
      break;
    case 'grace':
      c.result('mammogram', { years: 1 }, CODE.mammogram, 'BI-RADS 2: benign', CODE.imaging);
      c.result('fit', { months: 5 }, CODE.fit, 'Negative');
      c.result('cervical-cytology', { years: 2 }, CODE.cervicalCytology, 'Negative for intraepithelial lesion or malignancy');
      c.result('hpv', { years: 2 }, CODE.hpvTest, 'Not detected');
      c.neverSmoker('smoking-status', { months: 3 });
      c.fluThisSeason('flu');
      break;
    case 'margaret':
      c.condition('pancreas-cancer', { years: 1 }, CODE.pancreasCancer);
      c.encounter('hospice-admission', { months: 2 }, CODE.hospiceAdmission);
      c.procedure('hospice-care', { months: 2 }, CODE.hospiceCare);
      break;
    case 'alan':
      c.bloodPressure('bp', { years: 1, months: 1 }, 118, 76);
      c.neverSmoker('smoking-status', { months: 6 });
      c.fluThisSeason('flu');
      break;
    case 'katherine':
      c.condition('diabetes', { years: 6 }, CODE.diabetesT2);
      c.medication('metformin', { years: 6 }, CODE.metformin);
      // No effective date and no unit: the rules cannot tell when or in what it was measured.
      c.quantity('hba1c-undated', null, CODE.hba1c, 7.2, null);
      c.procedure('colonoscopy', { years: 4 });
      c.result('mammogram', { years: 1 }, CODE.mammogram, 'BI-RADS 1: negative', CODE.imaging);
      break;
    case 'claude':
      c.condition('diabetes', { years: 9 }, CODE.diabetesT2);
      c.medication('metformin', { years: 9 }, CODE.metformin);
      c.quantity('hba1c-older', { months: 8 }, CODE.hba1c, 8.9, '%');
      c.quantity('hba1c', { months: 2 }, CODE.hba1c, 9.8, '%');
      c.procedure('colonoscopy', { years: 3 });
      break;
    case 'barbara':
      c.condition('hypertension', { years: 10 }, CODE.hypertension);
      c.medication('lisinopril', { years: 10 }, CODE.lisinopril);
      c.bloodPressure('bp-older', { months: 7 }, 146, 92);
      c.bloodPressure('bp', { months: 1 }, 150, 95);
      c.procedure('colonoscopy', { years: 2 });
      c.result('mammogram', { months: 10 }, CODE.mammogram, 'BI-RADS 1: negative', CODE.imaging);
      break;
    case 'donald':
      c.procedure('colonoscopy', { years: 11 });
      c.add<Task>({
        resourceType: 'Task',
        id: 'donald-outreach',
        identifier: [{ system: 'http://careloop.example/fhir/sandbox-task', value: 'donald-outreach-crc' }],
        status: 'requested',
        intent: 'order',
        priority: 'routine',
        code: CODE.outreach,
        description: 'Call patient to arrange colorectal cancer screening (last colonoscopy 11 years ago).',
        for: c.subject,
        reasonCode: CODE.crcScreening,
        authoredOn: instant(ref, { months: -1 }),
        lastModified: instant(ref, { months: -1 }),
        requester: { reference: `Practitioner/${CAST_PRACTITIONER.id}`, display: CAST_PRACTITIONER.display },
      });
      break;
    case 'john':
      largeRecord(c);
      break;
  }
  return { member: m, patient, encounter, resources: c.resources };
}

/** Twenty years of weekly vitals, monthly visits, labs and refills: 5,600+ resources. */
function largeRecord(c: Chart): void {
  c.condition('diabetes', { years: 20 }, CODE.diabetesT2);
  c.condition('hypertension', { years: 20 }, CODE.hypertension);
  c.procedure('colonoscopy', { years: 5 });
  const weeks = 20 * 52;
  for (let w = weeks; w >= 1; w--) {
    const ago = { days: w * 7 };
    const n = String(w).padStart(4, '0');
    const wave = Math.round(6 * Math.sin(w / 9));
    c.bloodPressure(`bp-w${n}`, ago, 128 + wave, 80 + Math.round(wave / 2));
    c.quantity(`weight-w${n}`, ago, CODE.bodyWeight, 82 + (w % 7) / 2, 'kg', CODE.vitalSigns);
    c.quantity(`hr-w${n}`, ago, CODE.heartRate, 68 + (w % 11), '/min', CODE.vitalSigns);
    c.quantity(`glucose-w${n}`, ago, CODE.glucose, 110 + ((w * 7) % 40), 'mg/dL');
  }
  for (let mo = 20 * 12; mo >= 1; mo--) {
    const ago = { months: mo };
    const n = String(mo).padStart(3, '0');
    c.encounter(`visit-m${n}`, ago);
    c.quantity(`hba1c-m${n}`, ago, CODE.hba1c, 6.4 + (mo % 9) / 10, '%');
    c.quantity(`ldl-m${n}`, ago, CODE.ldl, 90 + (mo % 30), 'mg/dL');
    c.quantity(`creatinine-m${n}`, ago, CODE.creatinine, 0.9 + (mo % 5) / 10, 'mg/dL');
    c.medication(`metformin-m${n}`, ago, CODE.metformin, mo === 1 ? 'active' : 'completed');
    c.medication(`lisinopril-m${n}`, ago, CODE.lisinopril, mo === 1 ? 'active' : 'completed');
    if (mo % 3 === 0) {
      c.add<DiagnosticReport>({
        resourceType: 'DiagnosticReport',
        id: `john-lipids-m${n}`,
        status: 'final',
        category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: 'LAB' }] }],
        code: CODE.lipidPanel,
        subject: c.subject,
        effectiveDateTime: instant(c.ref, neg(ago)),
        result: [{ reference: `Observation/john-ldl-m${n}` }],
      });
    }
  }
  for (let y = 20; y >= 1; y--) c.immunization(`flu-y${String(y).padStart(2, '0')}`, { years: y, months: 1 });
  c.fluThisSeason('flu-y00');
  c.neverSmoker('smoking-status', { months: 2 });
}

/** Every resource of the cast in load order: organization, practitioner, then each patient's record. */
export function castResources(cast: Cast): Resource[] {
  return [cast.organization, cast.practitioner, ...cast.patients.flatMap((p) => p.resources)];
}
