import { queryOptions, useQuery } from '@tanstack/react-query';
import type { Resource } from '@medplum/fhirtypes';
import type { PatientId } from '../shared/ids';
import type { FhirGateway } from './gateway';
import { fhirKeys } from './keys';
import { searchAll } from './paging';
import { useSession } from './session-context';

/** The resource types the care-gap rules read, each searched by the patient in context. */
export const RECORD_TYPES = [
  'Observation',
  'Condition',
  'Procedure',
  'Encounter',
  'Immunization',
  'MedicationRequest',
  'DiagnosticReport',
  'AllergyIntolerance',
  'ServiceRequest',
] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

/** The patient's clinical record as the rules need it. */
export interface ClinicalRecord {
  resources: Resource[];
  /** Types whose search stopped at the page cap: the rules saw only part of them. */
  incomplete: RecordType[];
}

/**
 * Reads every record type in parallel (one round of requests after the token, then `next` pages
 * where a type has more), so the card waits for the slowest search, not the sum of them.
 */
export async function getRecord(gateway: FhirGateway, patientId: PatientId, pageSize: number, maxPages: number, signal?: AbortSignal): Promise<ClinicalRecord> {
  const lists = await Promise.all(
    RECORD_TYPES.map((type) => {
      const query = new URLSearchParams({ patient: `Patient/${patientId}`, _count: String(pageSize) });
      return searchAll<Resource>(gateway, `${type}?${query.toString()}`, type, maxPages, signal).then((list) => ({ type, list }));
    }),
  );
  return {
    resources: lists.flatMap(({ list }) => list.items),
    incomplete: lists.filter(({ list }) => list.truncated).map(({ type }) => type),
  };
}

export const recordQuery = (gateway: FhirGateway, patientId: PatientId, pageSize: number, maxPages: number) =>
  queryOptions({
    queryKey: fhirKeys.record(patientId),
    queryFn: ({ signal }) => getRecord(gateway, patientId, pageSize, maxPages, signal),
  });

export function useRecord() {
  const { fhir, context, config } = useSession();
  return useQuery(recordQuery(fhir, context.patientId, config.fhir.recordPageSize, config.fhir.recordMaxPages));
}
