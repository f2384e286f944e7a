import { queryOptions, useQuery } from '@tanstack/react-query';
import type { PatientId } from '../shared/ids';
import { getOpenTasks } from './fetchers';
import type { FhirGateway } from './gateway';
import { fhirKeys } from './keys';
import { useSession } from './session-context';

export { getOpenTasks, openTasksUrl } from './fetchers';

export const openTasksQuery = (gateway: FhirGateway, patientId: PatientId, pageSize: number, maxPages: number) =>
  queryOptions({
    queryKey: fhirKeys.tasks(patientId),
    queryFn: ({ signal }) => getOpenTasks(gateway, patientId, pageSize, maxPages, signal),
  });

export function useOpenTasks() {
  const { fhir, context, config } = useSession();
  return useQuery(openTasksQuery(fhir, context.patientId, config.fhir.pageSize, config.fhir.maxPages));
}
