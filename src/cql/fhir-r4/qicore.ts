/**
 * QI-Core 6.0.0 (and the US Core 6.1.0 vital-sign profiles it builds on) recognised by content.
 *
 * CMS publishes measure ELM whose Retrieves name a FHIR type plus the QI-Core profile as
 * `templateId` (e.g. `{http://hl7.org/fhir}Condition` with
 * `…/qicore-condition-problems-health-concerns`); ELM written against the QI-Core model by name
 * uses `{http://hl7.org/fhir/us/qicore}ConditionProblemsHealthConcerns`. Either way the engine must
 * decide which of a patient's Conditions the profile covers. Real EHR data carry no QI-Core
 * `meta.profile` tags, so the decision is made from what the profile fixes or constrains in the
 * resource itself — category, status, `doNotPerform`, code — and `meta.profile` is never consulted:
 * tagged and untagged copies of a resource classify alike.
 *
 * Choices (each profile's rule cites the constraint it comes from):
 * - Negation profiles pair with a positive profile. A resource meeting the negation profile's fixed
 *   value (status `not-done`, `doNotPerform = true` …) is a statement that something did *not*
 *   happen, so it is excluded from the positive profile, as QI-Core 6 separates "positive" and
 *   "negative" statements into distinct profiles (QI-Core 6 §Negation in QI-Core). Everything else
 *   about the positive profiles' status is left to the measure logic, which checks status itself.
 * - Condition categories decide between the problem-list / health-concern and the
 *   encounter-diagnosis profiles, matched on code and code system (`condition-clinical#active`
 *   mis-filed under `category` is not a category).
 * - Observation categories do not exclude (see the Observation rules below for why); the
 *   vital-sign profiles go by their fixed LOINC code.
 * - A profile URL this table does not know is not filtered on (the data source returns every
 *   resource of the type, as an engine without profile support would); see `knowsProfile`.
 */
import type { ProfileClassifier } from './data-source.ts';

type Json = Readonly<Record<string, unknown>>;

const QI = 'http://hl7.org/fhir/us/qicore/StructureDefinition/';
const USC = 'http://hl7.org/fhir/us/core/StructureDefinition/';

const OBSERVATION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';
const CONDITION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/condition-category';
const US_CORE_CONDITION_CATEGORY = 'http://hl7.org/fhir/us/core/CodeSystem/condition-category';
const LOINC = 'http://loinc.org';
const V2_0074 = 'http://terminology.hl7.org/CodeSystem/v2-0074';
/** The R5 DeviceRequest.doNotPerform carried into R4 as a modifier extension (QI-Core 6 DeviceNotRequested). */
const DEVICE_DO_NOT_PERFORM = 'http://hl7.org/fhir/5.0/StructureDefinition/extension-DeviceRequest.doNotPerform';

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);

/** The (system, code) pairs of a CodeableConcept-valued element (single or repeating). */
function codings(value: unknown): { system: string | undefined; code: string }[] {
  const out: { system: string | undefined; code: string }[] = [];
  for (const cc of asList(value)) {
    if (!isObj(cc)) continue;
    for (const c of asList(cc['coding'])) {
      if (isObj(c) && typeof c['code'] === 'string') out.push({ system: typeof c['system'] === 'string' ? c['system'] : undefined, code: c['code'] });
    }
  }
  return out;
}

const hasCoding = (value: unknown, systems: readonly string[], codes: readonly string[]): boolean =>
  codings(value).some((c) => c.system !== undefined && systems.includes(c.system) && codes.includes(c.code));

const category = (r: Json, codes: readonly string[], systems: readonly string[] = [OBSERVATION_CATEGORY]): boolean => hasCoding(r['category'], systems, codes);
const status = (r: Json): string | undefined => (typeof r['status'] === 'string' ? r['status'] : undefined);

// Negation tests, one per pair of positive and negative profiles.
const notDone = (r: Json): boolean => status(r) === 'not-done';
const doNotPerform = (r: Json): boolean => r['doNotPerform'] === true;
const deviceDoNotPerform = (r: Json): boolean =>
  asList(r['modifierExtension']).some((e) => isObj(e) && e['url'] === DEVICE_DO_NOT_PERFORM && e['valueBoolean'] === true);

/** An Observation with one of the LOINC codes a vital-sign profile fixes (FHIR R4 vital signs, US Core 6.1.0). */
const vital =
  (...loinc: string[]) =>
  (r: Json): boolean =>
    notCancelled(r) && hasCoding(r['code'], [LOINC], loinc);

const notCancelled = (r: Json): boolean => status(r) !== 'cancelled';

const CONDITION_CATEGORIES = [CONDITION_CATEGORY, US_CORE_CONDITION_CATEGORY];
const isEncounterDiagnosis = (r: Json): boolean => category(r, ['encounter-diagnosis'], CONDITION_CATEGORIES);
const isProblemOrConcern = (r: Json): boolean => category(r, ['problem-list-item', 'health-concern'], CONDITION_CATEGORIES);
/** Whether any category coding is from a condition-category code system (whatever its code). */
const hasConditionCategory = (r: Json): boolean => codings(r['category']).some((c) => c.system !== undefined && CONDITION_CATEGORIES.includes(c.system));

/** One profile: its canonical URL, its QI-Core (or US Core) model type name, the FHIR type it profiles and its content test. */
export interface ProfileRule {
  readonly url: string;
  readonly name: string;
  readonly type: string;
  /** Whether a resource of `type` conforms; absent when the profile constrains nothing the engine can see. */
  readonly test?: (resource: Json) => boolean;
}

const rule = (url: string, name: string, type: string, test?: (r: Json) => boolean): ProfileRule => (test ? { url, name, type, test } : { url, name, type });

/** The profiles recognised, with the constraint each test comes from. */
export const PROFILE_RULES: readonly ProfileRule[] = [
  // Conditions (US Core 6.1.0 Condition Encounter Diagnosis / Problems and Health Concerns, which
  // QI-Core 6 profiles): the `us-core` category slice is fixed to encounter-diagnosis, or bound to
  // problem-list-item | health-concern. A Condition with both categories meets both profiles; one
  // with no condition category at all (US Core requires one, but such data exist) is excluded by
  // neither, so a diagnosis is never dropped for a missing category.
  rule(`${QI}qicore-condition-encounter-diagnosis`, 'ConditionEncounterDiagnosis', 'Condition', (r) => isEncounterDiagnosis(r) || !hasConditionCategory(r)),
  rule(`${QI}qicore-condition-problems-health-concerns`, 'ConditionProblemsHealthConcerns', 'Condition', (r) => isProblemOrConcern(r) || !hasConditionCategory(r)),

  // Observations. The QI-Core 6 observation profiles differ by category (US Core 6.1.0 Laboratory
  // Result: laboratory; Clinical Result: laboratory | imaging | procedure; Screening Assessment:
  // survey or sdoh | functional-status | disability-status | cognitive-status; Simple Observation:
  // any). Category is not used to exclude: in EHR data (and in the CMS test cases, where 30% of the
  // Observations tagged with a lab or clinical-result profile carry another category: exam,
  // imaging, procedure, vital-signs) it is coded inconsistently, while every measure retrieve of
  // these profiles also filters by a value set of codes, which carries the clinical meaning. So the
  // four positive profiles take every Observation that is not a cancelled one (ObservationCancelled
  // is their negation profile, below).
  rule(`${QI}qicore-observation-lab`, 'LaboratoryResultObservation', 'Observation', notCancelled),
  rule(`${QI}qicore-observation-clinical-result`, 'ObservationClinicalResult', 'Observation', notCancelled),
  rule(`${QI}qicore-observation-screening-assessment`, 'ObservationScreeningAssessment', 'Observation', notCancelled),
  rule(`${QI}qicore-simple-observation`, 'SimpleObservation', 'Observation', notCancelled),
  // QI-Core 6 ObservationCancelled: status fixed to cancelled.
  rule(`${QI}qicore-observationcancelled`, 'ObservationCancelled', 'Observation', (r) => !notCancelled(r)),
  // QI-Core 6 NonPatientObservation: an Observation about something other than a patient.
  rule(`${QI}qicore-nonpatient-observation`, 'NonPatientObservation', 'Observation', (r) => {
    const subject = r['subject'];
    const ref = isObj(subject) && typeof subject['reference'] === 'string' ? subject['reference'] : '';
    return !ref.startsWith('Patient/') && !(isObj(subject) && subject['type'] === 'Patient');
  }),
  // Vital signs (US Core 6.1.0 profiles of the FHIR vital signs profile): the LOINC code the profile
  // fixes identifies the measurement; the vital-signs category is not required, for the reason above.
  rule(`${USC}us-core-blood-pressure`, 'USCoreBloodPressureProfile', 'Observation', vital('85354-9')),
  rule(`${USC}us-core-average-blood-pressure`, 'USCoreAverageBloodPressureProfile', 'Observation', vital('96607-7')),
  rule(`${USC}us-core-bmi`, 'USCoreBMIProfile', 'Observation', vital('39156-5')),
  rule(`${USC}us-core-body-height`, 'USCoreBodyHeightProfile', 'Observation', vital('8302-2')),
  rule(`${USC}us-core-body-temperature`, 'USCoreBodyTemperatureProfile', 'Observation', vital('8310-5')),
  rule(`${USC}us-core-body-weight`, 'USCoreBodyWeightProfile', 'Observation', vital('29463-7')),
  rule(`${USC}us-core-heart-rate`, 'USCoreHeartRateProfile', 'Observation', vital('8867-4')),
  rule(`${USC}us-core-respiratory-rate`, 'USCoreRespiratoryRateProfile', 'Observation', vital('9279-1')),
  rule(`${USC}head-circumference`, 'USCoreHeadCircumferenceProfile', 'Observation', vital('9843-4')),
  rule(`${USC}pediatric-bmi-for-age`, 'USCorePediatricBMIforAgeObservationProfile', 'Observation', vital('59576-9')),
  rule(`${USC}pediatric-weight-for-height`, 'USCorePediatricWeightForHeightObservationProfile', 'Observation', vital('77606-2')),
  // US Core 6.1.0 Pulse Oximetry: code slices for 59408-5 and 2708-6 (either names the measurement).
  rule(`${USC}us-core-pulse-oximetry`, 'USCorePulseOximetryProfile', 'Observation', vital('59408-5', '2708-6')),
  // US Core 6.1.0 Vital Signs: category vital-signs (here the category is all there is to go by).
  rule(`${USC}us-core-vital-signs`, 'USCoreVitalSignsProfile', 'Observation', (r) => category(r, ['vital-signs'])),
  // US Core 6.1.0 Pregnancy Status: code fixed to LOINC 82810-3.
  rule(`${USC}us-core-observation-pregnancystatus`, 'USCoreObservationPregnancyStatusProfile', 'Observation', vital('82810-3')),

  // Negation pairs (QI-Core 6: the negative profile fixes the status or doNotPerform; the positive
  // profile is for statements that the thing happened or was requested).
  rule(`${QI}qicore-procedure`, 'Procedure', 'Procedure', (r) => !notDone(r)),
  rule(`${QI}qicore-procedurenotdone`, 'ProcedureNotDone', 'Procedure', notDone),
  rule(`${QI}qicore-immunization`, 'Immunization', 'Immunization', (r) => !notDone(r)),
  rule(`${QI}qicore-immunizationnotdone`, 'ImmunizationNotDone', 'Immunization', notDone),
  rule(`${QI}qicore-medicationadministration`, 'MedicationAdministration', 'MedicationAdministration', (r) => !notDone(r)),
  rule(`${QI}qicore-medicationadministrationnotdone`, 'MedicationAdministrationNotDone', 'MedicationAdministration', notDone),
  rule(`${QI}qicore-communication`, 'Communication', 'Communication', (r) => !notDone(r)),
  rule(`${QI}qicore-communicationnotdone`, 'CommunicationNotDone', 'Communication', notDone),
  rule(`${QI}qicore-medicationdispense`, 'MedicationDispense', 'MedicationDispense', (r) => status(r) !== 'declined'),
  rule(`${QI}qicore-medicationdispensedeclined`, 'MedicationDispenseDeclined', 'MedicationDispense', (r) => status(r) === 'declined'),
  rule(`${QI}qicore-task`, 'Task', 'Task', (r) => status(r) !== 'rejected'),
  rule(`${QI}qicore-taskrejected`, 'TaskRejected', 'Task', (r) => status(r) === 'rejected'),
  rule(`${QI}qicore-medicationrequest`, 'MedicationRequest', 'MedicationRequest', (r) => !doNotPerform(r)),
  rule(`${QI}qicore-medicationnotrequested`, 'MedicationNotRequested', 'MedicationRequest', doNotPerform),
  rule(`${QI}qicore-servicerequest`, 'ServiceRequest', 'ServiceRequest', (r) => !doNotPerform(r)),
  rule(`${QI}qicore-servicenotrequested`, 'ServiceNotRequested', 'ServiceRequest', doNotPerform),
  rule(`${QI}qicore-devicerequest`, 'DeviceRequest', 'DeviceRequest', (r) => !deviceDoNotPerform(r)),
  rule(`${QI}qicore-devicenotrequested`, 'DeviceNotRequested', 'DeviceRequest', deviceDoNotPerform),

  // DiagnosticReport (US Core 6.1.0): the lab profile's category slice is fixed to v2-0074 LAB.
  rule(`${QI}qicore-diagnosticreport-lab`, 'DiagnosticReportLab', 'DiagnosticReport', (r) => hasCoding(r['category'], [V2_0074], ['LAB'])),
  rule(`${QI}qicore-diagnosticreport-note`, 'DiagnosticReportNote', 'DiagnosticReport', (r) => !hasCoding(r['category'], [V2_0074], ['LAB'])),

  // Profiles that constrain nothing the retrieve can tell apart: every resource of the type.
  ...(
    [
      ['qicore-patient', 'Patient'],
      ['qicore-encounter', 'Encounter'],
      ['qicore-adverseevent', 'AdverseEvent'],
      ['qicore-allergyintolerance', 'AllergyIntolerance'],
      ['qicore-bodystructure', 'BodyStructure'],
      ['qicore-careplan', 'CarePlan'],
      ['qicore-careteam', 'CareTeam'],
      ['qicore-claim', 'Claim'],
      ['qicore-claimresponse', 'ClaimResponse'],
      ['qicore-communicationrequest', 'CommunicationRequest'],
      ['qicore-coverage', 'Coverage'],
      ['qicore-device', 'Device'],
      ['qicore-familymemberhistory', 'FamilyMemberHistory'],
      ['qicore-goal', 'Goal'],
      ['qicore-imagingstudy', 'ImagingStudy'],
      ['qicore-immunizationevaluation', 'ImmunizationEvaluation'],
      ['qicore-immunizationrecommendation', 'ImmunizationRecommendation'],
      ['qicore-location', 'Location'],
      ['qicore-medication', 'Medication'],
      ['qicore-medicationstatement', 'MedicationStatement'],
      ['qicore-nutritionorder', 'NutritionOrder'],
      ['qicore-organization', 'Organization'],
      ['qicore-practitioner', 'Practitioner'],
      ['qicore-practitionerrole', 'PractitionerRole'],
      ['qicore-relatedperson', 'RelatedPerson'],
      ['qicore-substance', 'Substance'],
      ['qicore-questionnaireresponse', 'QuestionnaireResponse'],
    ] as const
  ).map(([id, type]) => rule(`${QI}${id}`, type, type)),
];

/**
 * QI-Core model names of earlier QI-Core versions (4.1: one Observation and one Condition profile,
 * no content constraint) that Careloop's own CQL may still use: the whole FHIR type.
 */
const WHOLE_TYPE_NAMES = ['Observation', 'Condition', 'Substance', 'Location', 'Medication'];

const byKey = new Map<string, ProfileRule>();
for (const r of PROFILE_RULES) {
  byKey.set(r.url, r);
  if (!byKey.has(r.name)) byKey.set(r.name, r);
}
for (const name of WHOLE_TYPE_NAMES) if (!byKey.has(name)) byKey.set(name, rule(name, name, name));

/** The rule for a profile canonical URL (a `|version` suffix ignored) or a QI-Core model type name. */
export function profileRule(profile: string): ProfileRule | undefined {
  return byKey.get(profile) ?? byKey.get(profile.split('|')[0] ?? profile);
}

/** Whether the profile (URL or QI-Core type name) is one the classifier knows. */
export const knowsProfile = (profile: string): boolean => profileRule(profile) !== undefined;

/**
 * Whether a resource conforms to the profile by its content (its `meta.profile` is not read).
 * False for a resource of another type; true for a profile without content constraints.
 *
 * @example
 * conformsTo('ConditionProblemsHealthConcerns', { resourceType: 'Condition', category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: 'problem-list-item' }] }] }); // true
 */
export function conformsTo(profile: string, resource: Json): boolean {
  const r = profileRule(profile);
  if (!r || resource['resourceType'] !== r.type) return false;
  return r.test ? r.test(resource) : true;
}

/** The canonical URLs of every known profile the resource conforms to by content. */
export function profilesOf(resource: Json): string[] {
  return PROFILE_RULES.filter((r) => r.type === resource['resourceType'] && (!r.test || r.test(resource))).map((r) => r.url);
}

/** The QI-Core profile classifier used by the FHIR data source (profiles named by URL or QI-Core type name). */
export const qicoreClassifier: ProfileClassifier = {
  baseType: (profile) => profileRule(profile)?.type,
  conforms: conformsTo,
};

/** The FHIR type a QI-Core type (or profile URL) profiles, for the model's type tests. */
export const qicoreBaseType = (name: string): string | undefined => profileRule(name)?.type;
