import { queryOptions, useQuery } from '@tanstack/react-query';
import type { PatientId } from '../shared/ids';
import type { FhirGateway } from './gateway';
import { fhirKeys } from './keys';
import { getRecord } from './fetchers';
import { useSession } from './session-context';

export { getRecord, RECORD_TYPES, type ClinicalRecord, type RecordType } from './fetchers';

export const recordQuery = (gateway: FhirGateway, patientId: PatientId, pageSize: number, maxPages: number, granted: readonly string[] | null = null) =>
  queryOptions({
    queryKey: fhirKeys.record(patientId),
    queryFn: ({ signal }) => getRecord(gateway, patientId, pageSize, maxPages, signal, granted),
  });

export function useRecord() {
  const { fhir, context, config } = useSession();
  return useQuery(recordQuery(fhir, context.patientId, config.fhir.recordPageSize, config.fhir.recordMaxPages, context.scopes));
}
