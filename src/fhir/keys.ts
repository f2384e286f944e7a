import type { EncounterId, PatientId } from '../shared/ids.ts';

/**
 * Every FHIR query key comes from this factory, so mutations can invalidate exactly what they
 * change (e.g. `fhirKeys.tasks(patientId)` after a Task is written).
 */
export const fhirKeys = {
  all: ['fhir'] as const,
  patient: (id: PatientId) => [...fhirKeys.all, 'Patient', id] as const,
  encounter: (id: EncounterId) => [...fhirKeys.all, 'Encounter', id] as const,
  tasks: (patientId: PatientId) => [...fhirKeys.all, 'Task', { patient: patientId, open: true }] as const,
  /** Everything the rules read for the patient; includes ServiceRequests Careloop wrote. */
  record: (patientId: PatientId) => [...fhirKeys.all, 'record', patientId] as const,
};
