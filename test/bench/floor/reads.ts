import type Client from 'fhirclient/lib/Client';
import { OPEN_TASK_STATUSES } from '../../../src/shared/task-status.ts';

const RECORD_TYPES = ['Observation', 'Condition', 'Procedure', 'Encounter', 'Immunization', 'MedicationRequest', 'DiagnosticReport', 'AllergyIntolerance', 'ServiceRequest'];
const OPEN = OPEN_TASK_STATUSES.join(',');

/** The FHIR reads Careloop's first card needs, all at once, with fhirclient (both floors use this). */
export function readLikeCareloop(client: Client): Promise<unknown[]> {
  const patient = client.getPatientId() ?? '';
  const encounter = client.getEncounterId();
  const reads: Promise<unknown>[] = [
    client.request(`Patient/${patient}`),
    client.request(`Task?patient=Patient/${patient}&status=${OPEN}&_count=100`, { pageLimit: 5 }),
    ...RECORD_TYPES.map((t) => client.request(`${t}?patient=Patient/${patient}&_count=500`, { pageLimit: 20 })),
  ];
  if (encounter) reads.push(client.request(`Encounter/${encounter}`));
  return Promise.all(reads);
}
