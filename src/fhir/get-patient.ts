import { queryOptions, useQuery } from '@tanstack/react-query';
import type { PatientId } from '../shared/ids.ts';
import { getPatient } from './fetchers.ts';
import type { FhirGateway } from './gateway.ts';
import { fhirKeys } from './keys.ts';
import { useSession } from './session-context.tsx';

export { getPatient };

export const patientQuery = (gateway: FhirGateway, id: PatientId) =>
  queryOptions({ queryKey: fhirKeys.patient(id), queryFn: ({ signal }) => getPatient(gateway, id, signal) });

export function usePatient() {
  const { fhir, context } = useSession();
  return useQuery(patientQuery(fhir, context.patientId));
}
