import { queryOptions, useQuery } from '@tanstack/react-query';
import type { Task } from '@medplum/fhirtypes';
import type { PatientId } from '../shared/ids';
import type { FhirGateway } from './gateway';
import { fhirKeys } from './keys';
import { searchAll, type PagedList } from './paging';
import { useSession } from './session-context';

/** Task statuses that still ask someone to act (FHIR R4 task-status). */
export const OPEN_TASK_STATUSES = ['requested', 'received', 'accepted', 'ready', 'in-progress', 'on-hold'] as const;

export function openTasksUrl(patientId: PatientId, pageSize: number): string {
  const query = new URLSearchParams({
    patient: `Patient/${patientId}`,
    status: OPEN_TASK_STATUSES.join(','),
    _count: String(pageSize),
  });
  return `Task?${query.toString()}`;
}

/** The patient's open Tasks, following `next` links up to `maxPages`. */
export function getOpenTasks(gateway: FhirGateway, patientId: PatientId, pageSize: number, maxPages: number, signal?: AbortSignal): Promise<PagedList<Task>> {
  return searchAll<Task>(gateway, openTasksUrl(patientId, pageSize), 'Task', maxPages, signal);
}

export const openTasksQuery = (gateway: FhirGateway, patientId: PatientId, pageSize: number, maxPages: number) =>
  queryOptions({
    queryKey: fhirKeys.tasks(patientId),
    queryFn: ({ signal }) => getOpenTasks(gateway, patientId, pageSize, maxPages, signal),
  });

export function useOpenTasks() {
  const { fhir, context, config } = useSession();
  return useQuery(openTasksQuery(fhir, context.patientId, config.fhir.pageSize, config.fhir.maxPages));
}
