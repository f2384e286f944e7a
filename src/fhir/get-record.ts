import { queryOptions, useQuery } from '@tanstack/react-query';
import type { PatientId } from '../shared/ids.ts';
import type { FhirGateway } from './gateway.ts';
import { fhirKeys } from './keys.ts';
import { getRecord } from './fetchers.ts';
import { useSession } from './session-context.tsx';

export { getRecord, RECORD_TYPES, type PartialType, type RecordRead, type RecordType } from './fetchers.ts';

export const recordQuery = (gateway: FhirGateway, patientId: PatientId, pageSize: number, maxPages: number, granted: readonly string[] | null = null) =>
  queryOptions({
    queryKey: fhirKeys.record(patientId),
    queryFn: ({ signal }) => getRecord(gateway, patientId, pageSize, maxPages, signal, granted),
  });

export function useRecord() {
  const { fhir, context, config } = useSession();
  return useQuery(recordQuery(fhir, context.patientId, config.fhir.recordPageSize, config.fhir.recordMaxPages, context.scopes));
}
