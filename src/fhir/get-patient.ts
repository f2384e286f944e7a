import { queryOptions, useQuery } from '@tanstack/react-query';
import type { PatientId } from '../shared/ids';
import { getPatient } from './fetchers';
import type { FhirGateway } from './gateway';
import { fhirKeys } from './keys';
import { useSession } from './session-context';

export { getPatient };

export const patientQuery = (gateway: FhirGateway, id: PatientId) =>
  queryOptions({ queryKey: fhirKeys.patient(id), queryFn: ({ signal }) => getPatient(gateway, id, signal) });

export function usePatient() {
  const { fhir, context } = useSession();
  return useQuery(patientQuery(fhir, context.patientId));
}
