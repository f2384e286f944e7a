/**
 * QI-Core profiles recognised by content. Real EHR data carry no `meta.profile` tags, so a Retrieve
 * of a QI-Core type selects resources of the profiled FHIR type whose content meets the profile's
 * fixed values and constraints; `meta.profile` is not consulted, so tagged and untagged data give
 * the same answer.
 *
 * Coverage so far: the QI-Core types whose profile is the whole FHIR resource type (no fixed
 * values). Profiles with fixed values (category, status, negation) are the next step; a Retrieve of
 * one fails with a clear error rather than guessing.
 */
import type { ProfileClassifier } from './data-source.ts';

/** QI-Core 6 types that profile a FHIR resource type without constraining its content. */
const WHOLE_TYPE: Readonly<Record<string, string>> = {
  Patient: 'Patient',
  Encounter: 'Encounter',
  Procedure: 'Procedure',
  Immunization: 'Immunization',
  MedicationRequest: 'MedicationRequest',
  MedicationAdministration: 'MedicationAdministration',
  MedicationDispense: 'MedicationDispense',
  MedicationStatement: 'MedicationStatement',
  DiagnosticReport: 'DiagnosticReport',
  ServiceRequest: 'ServiceRequest',
  DeviceRequest: 'DeviceRequest',
  AllergyIntolerance: 'AllergyIntolerance',
  Coverage: 'Coverage',
  Claim: 'Claim',
  Communication: 'Communication',
  CommunicationRequest: 'CommunicationRequest',
  Device: 'Device',
  Goal: 'Goal',
  Location: 'Location',
  Medication: 'Medication',
  Organization: 'Organization',
  Practitioner: 'Practitioner',
  PractitionerRole: 'PractitionerRole',
  Substance: 'Substance',
  Task: 'Task',
  Observation: 'Observation',
  Condition: 'Condition',
};

/** The QI-Core profile classifier. */
export const qicoreClassifier: ProfileClassifier = {
  baseType: (name) => WHOLE_TYPE[name],
  conforms: () => true,
};

/** The FHIR type a QI-Core type profiles, for the model's type tests. */
export const qicoreBaseType = (name: string): string | undefined => WHOLE_TYPE[name];
