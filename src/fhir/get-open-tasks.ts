import { queryOptions, useQuery } from '@tanstack/react-query';
import type { PatientId } from '../shared/ids.ts';
import { getOpenTasks } from './fetchers.ts';
import type { FhirGateway } from './gateway.ts';
import { fhirKeys } from './keys.ts';
import { useSession } from './session-context.tsx';

export { getOpenTasks, openTasksUrl } from './fetchers.ts';

export const openTasksQuery = (gateway: FhirGateway, patientId: PatientId, pageSize: number, maxPages: number) =>
  queryOptions({
    queryKey: fhirKeys.tasks(patientId),
    queryFn: ({ signal }) => getOpenTasks(gateway, patientId, pageSize, maxPages, signal),
  });

export function useOpenTasks() {
  const { fhir, context, config } = useSession();
  return useQuery(openTasksQuery(fhir, context.patientId, config.fhir.pageSize, config.fhir.maxPages));
}
