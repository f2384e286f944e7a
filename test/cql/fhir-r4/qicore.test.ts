/**
 * The QI-Core 6 classifier decides by content: each resource below is classified with its
 * `meta.profile` tag (declaring what the test expects) and without it, and both must give the
 * classification the profile's constraints call for. Tags that contradict the content (as some CMS
 * test cases have) do not change the answer.
 */
import { describe, expect, test } from 'vitest';
import { conformsTo, knowsProfile, profileRule, profilesOf, qicoreClassifier } from '../../../src/cql/fhir-r4/qicore.ts';
import { createFhirModel } from '../../../src/cql/fhir-r4/model.ts';
import { QICORE_NS } from '../../../src/cql/elm.ts';
import { FhirValue } from '../../../src/cql/fhir-r4/model.ts';
import { qicoreBaseType } from '../../../src/cql/fhir-r4/qicore.ts';


type Json = Record<string, unknown>;

const QI = 'http://hl7.org/fhir/us/qicore/StructureDefinition/';
const CONDITION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/condition-category';
const OBS_CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';

const cc = (system: string, code: string): Json => ({ coding: [{ system, code }] });
const condition = (...category: Json[]): Json => ({ resourceType: 'Condition', id: 'c', ...(category.length ? { category } : {}) });
const observation = (extra: Json): Json => ({ resourceType: 'Observation', id: 'o', status: 'final', code: cc('http://loinc.org', '4548-4'), ...extra });

/** [what the resource is, the resource, profiles (QI-Core names) it must meet, profiles it must not]. */
const cases: [string, Json, string[], string[]][] = [
  // Conditions: the category decides between problem list / health concern and encounter diagnosis.
  ['a problem-list item', condition(cc(CONDITION_CATEGORY, 'problem-list-item')), ['ConditionProblemsHealthConcerns'], ['ConditionEncounterDiagnosis']],
  ['a health concern (US Core code system)', condition(cc('http://hl7.org/fhir/us/core/CodeSystem/condition-category', 'health-concern')), ['ConditionProblemsHealthConcerns'], ['ConditionEncounterDiagnosis']],
  ['an encounter diagnosis', condition(cc(CONDITION_CATEGORY, 'encounter-diagnosis')), ['ConditionEncounterDiagnosis'], ['ConditionProblemsHealthConcerns']],
  ['a Condition with both categories', condition(cc(CONDITION_CATEGORY, 'encounter-diagnosis'), cc(CONDITION_CATEGORY, 'problem-list-item')), ['ConditionEncounterDiagnosis', 'ConditionProblemsHealthConcerns'], []],
  ['a Condition without a category is dropped by neither', condition(), ['ConditionEncounterDiagnosis', 'ConditionProblemsHealthConcerns'], []],
  ['a clinical status filed under category is no category', condition(cc('http://terminology.hl7.org/CodeSystem/condition-clinical', 'active')), ['ConditionEncounterDiagnosis', 'ConditionProblemsHealthConcerns'], []],
  ['a problem-list code under another system is not a category', condition(cc('http://example.org/categories', 'problem-list-item'), cc(CONDITION_CATEGORY, 'encounter-diagnosis')), ['ConditionEncounterDiagnosis'], ['ConditionProblemsHealthConcerns']],

  // Observations: category does not exclude; cancelled ones are ObservationCancelled only.
  ['a laboratory result', observation({ category: [cc(OBS_CATEGORY, 'laboratory')] }), ['LaboratoryResultObservation', 'ObservationClinicalResult', 'ObservationScreeningAssessment', 'SimpleObservation'], ['ObservationCancelled']],
  ['an exam result tagged as a clinical result', observation({ category: [cc(OBS_CATEGORY, 'exam')] }), ['ObservationClinicalResult', 'LaboratoryResultObservation'], ['ObservationCancelled']],
  ['an Observation without a category', observation({}), ['SimpleObservation', 'ObservationScreeningAssessment'], ['ObservationCancelled']],
  ['a cancelled Observation', observation({ status: 'cancelled', category: [cc(OBS_CATEGORY, 'laboratory')] }), ['ObservationCancelled'], ['LaboratoryResultObservation', 'SimpleObservation', 'ObservationScreeningAssessment', 'ObservationClinicalResult']],
  ['a blood pressure panel', observation({ code: cc('http://loinc.org', '85354-9'), category: [cc(OBS_CATEGORY, 'vital-signs')] }), ['USCoreBloodPressureProfile', 'USCoreVitalSignsProfile'], ['USCoreBMIProfile', 'USCoreHeartRateProfile']],
  ['a BMI without the vital-signs category', observation({ code: cc('http://loinc.org', '39156-5') }), ['USCoreBMIProfile'], ['USCoreVitalSignsProfile', 'USCoreBloodPressureProfile']],
  ['a pulse oximetry by 2708-6', observation({ code: cc('http://loinc.org', '2708-6'), category: [cc(OBS_CATEGORY, 'vital-signs')] }), ['USCorePulseOximetryProfile'], ['USCoreHeartRateProfile']],
  ['a heart rate under a non-LOINC system is not one', observation({ code: cc('http://snomed.info/sct', '8867-4') }), [], ['USCoreHeartRateProfile']],

  // Negation pairs.
  ['a completed Procedure', { resourceType: 'Procedure', status: 'completed' }, ['Procedure'], ['ProcedureNotDone']],
  ['a Procedure not done', { resourceType: 'Procedure', status: 'not-done' }, ['ProcedureNotDone'], ['Procedure']],
  ['a MedicationRequest', { resourceType: 'MedicationRequest', status: 'active', intent: 'order' }, ['MedicationRequest'], ['MedicationNotRequested']],
  ['a MedicationRequest with doNotPerform false', { resourceType: 'MedicationRequest', doNotPerform: false }, ['MedicationRequest'], ['MedicationNotRequested']],
  ['a MedicationRequest not to be performed', { resourceType: 'MedicationRequest', status: 'completed', doNotPerform: true }, ['MedicationNotRequested'], ['MedicationRequest']],
  ['a ServiceRequest not to be performed', { resourceType: 'ServiceRequest', status: 'completed', doNotPerform: true }, ['ServiceNotRequested'], ['ServiceRequest']],
  ['a ServiceRequest', { resourceType: 'ServiceRequest', status: 'active' }, ['ServiceRequest'], ['ServiceNotRequested']],
  [
    'a DeviceRequest with the R5 doNotPerform modifier extension',
    { resourceType: 'DeviceRequest', modifierExtension: [{ url: 'http://hl7.org/fhir/5.0/StructureDefinition/extension-DeviceRequest.doNotPerform', valueBoolean: true }] },
    ['DeviceNotRequested'],
    ['DeviceRequest'],
  ],
  ['a DeviceRequest', { resourceType: 'DeviceRequest', status: 'completed' }, ['DeviceRequest'], ['DeviceNotRequested']],
  ['an Immunization not done', { resourceType: 'Immunization', status: 'not-done' }, ['ImmunizationNotDone'], ['Immunization']],
  ['a MedicationAdministration not done', { resourceType: 'MedicationAdministration', status: 'not-done' }, ['MedicationAdministrationNotDone'], ['MedicationAdministration']],
  ['a Communication not done', { resourceType: 'Communication', status: 'not-done' }, ['CommunicationNotDone'], ['Communication']],
  ['a declined MedicationDispense', { resourceType: 'MedicationDispense', status: 'declined' }, ['MedicationDispenseDeclined'], ['MedicationDispense']],
  ['a rejected Task', { resourceType: 'Task', status: 'rejected' }, ['TaskRejected'], ['Task']],
  ['a completed Task', { resourceType: 'Task', status: 'completed' }, ['Task'], ['TaskRejected']],

  // Whole-type profiles and type mismatches.
  ['an Encounter', { resourceType: 'Encounter', status: 'finished' }, ['Encounter'], ['Procedure']],
  ['a Procedure is not a Condition profile', { resourceType: 'Procedure', status: 'completed' }, [], ['ConditionProblemsHealthConcerns']],
];

/** The same resource with a (possibly wrong) QI-Core tag, as a MADiE test case carries it. */
function tagged(resource: Json, profile: string): Json {
  return { ...resource, meta: { profile: [profile.startsWith('http') ? profile : `${QI}qicore-${profile.toLowerCase()}`] } };
}

describe('QI-Core 6 classification by content', () => {
  test.each(cases)('%s', (_what, resource, meets, misses) => {
    for (const variant of [resource, tagged(resource, 'condition-problems-health-concerns'), tagged(resource, 'observation-lab'), tagged(resource, 'procedurenotdone')]) {
      for (const p of meets) expect(conformsTo(p, variant), `${p} (meta ${JSON.stringify(variant['meta'] ?? null)})`).toBe(true);
      for (const p of misses) expect(conformsTo(p, variant), `${p} (meta ${JSON.stringify(variant['meta'] ?? null)})`).toBe(false);
    }
  });

  test('a tagged and an untagged copy of every case give the same set of profiles', () => {
    const tags = [`${QI}qicore-condition-encounter-diagnosis`, `${QI}qicore-observationcancelled`, `${QI}qicore-medicationnotrequested`, `${QI}qicore-mednotrequested`];
    for (const [, resource] of cases) {
      for (const tag of tags) expect(profilesOf(tagged(resource, tag))).toEqual(profilesOf(resource));
    }
  });

  test('profiles are found by canonical URL (with or without a version) and by QI-Core type name alike', () => {
    const r = condition(cc(CONDITION_CATEGORY, 'problem-list-item'));
    expect(conformsTo(`${QI}qicore-condition-problems-health-concerns`, r)).toBe(true);
    expect(conformsTo(`${QI}qicore-condition-problems-health-concerns|6.0.0`, r)).toBe(true);
    expect(conformsTo('ConditionProblemsHealthConcerns', r)).toBe(true);
    expect(profileRule(`${QI}qicore-observation-lab`)?.name).toBe('LaboratoryResultObservation');
    expect(qicoreClassifier.baseType('http://hl7.org/fhir/us/core/StructureDefinition/us-core-blood-pressure')).toBe('Observation');
  });

  test('unknown profiles are reported as unknown rather than guessed', () => {
    expect(knowsProfile(`${QI}qicore-mednotrequested`)).toBe(false);
    expect(knowsProfile('http://hl7.org/fhir/StructureDefinition/Observation')).toBe(false);
    expect(qicoreClassifier.baseType('NoSuchProfile')).toBeUndefined();
  });
});

describe('QI-Core type tests in the FHIR model', () => {
  const model = createFhirModel(qicoreBaseType);
  test.each([
    ['ProcedureNotDone', { resourceType: 'Procedure', status: 'not-done' }, true],
    ['ProcedureNotDone', { resourceType: 'Procedure', status: 'completed' }, false],
    ['Procedure', { resourceType: 'Procedure', status: 'not-done' }, false],
    ['ConditionEncounterDiagnosis', condition(cc(CONDITION_CATEGORY, 'encounter-diagnosis')), true],
    ['ConditionEncounterDiagnosis', { resourceType: 'Procedure', status: 'completed' }, false],
  ] as [string, Json, boolean][])('%s is %j: %s', (name, json, expected) => {
    const type = String(json['resourceType']);
    expect(model.isType(new FhirValue(type, json), QICORE_NS, name)).toBe(expected);
    expect(model.isType(new FhirValue(type, tagged(json, `${QI}qicore-procedurenotdone`)), QICORE_NS, name)).toBe(expected);
  });
});
