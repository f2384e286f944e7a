import { queryOptions, useQuery } from '@tanstack/react-query';
import type { Patient } from '@medplum/fhirtypes';
import type { PatientId } from '../shared/ids';
import { FhirRequestError, fhirGet, type FhirGateway } from './gateway';
import { fhirKeys } from './keys';
import { useSession } from './session-context';

/** Reads the patient in context; a body that is not that Patient is refused, not shown. */
export async function getPatient(gateway: FhirGateway, id: PatientId, signal?: AbortSignal): Promise<Patient> {
  const body = await fhirGet<unknown>(gateway, `Patient/${encodeURIComponent(id)}`, signal);
  if (!body || typeof body !== 'object' || (body as Patient).resourceType !== 'Patient' || (body as Patient).id !== id) {
    throw new FhirRequestError({ kind: 'server-error', what: 'Patient', status: 200 }, 200, 'The server returned a different resource than the patient in context.');
  }
  return body as Patient;
}

export const patientQuery = (gateway: FhirGateway, id: PatientId) =>
  queryOptions({ queryKey: fhirKeys.patient(id), queryFn: ({ signal }) => getPatient(gateway, id, signal) });

export function usePatient() {
  const { fhir, context } = useSession();
  return useQuery(patientQuery(fhir, context.patientId));
}
