import { QueryClient, queryOptions, type QueryFunction, type QueryKey } from '@tanstack/react-query';
import { openTasksQuery } from '../fhir/get-open-tasks';
import { patientQuery } from '../fhir/get-patient';
import { recordQuery } from '../fhir/get-record';
import { encounterQuery } from '../fhir/get-encounter';
import type { SessionValue } from '../fhir/session-context';
import { decisionsQuery, type AuditPort } from '../features/care-gaps/audit-port';
import { rulesEngineQuery } from '../features/care-gaps/load-rules';
import { isTransient, retryAfterMs, toProblem } from '../shared/problem';
import { fetchSmartStyle } from '../smart/style';
import type { LaunchReads } from './launch-reads';

/** Attempts after the first for a read that failed transiently. */
const MAX_RETRIES = 2;
/** The longest a read waits before its next attempt, whatever `Retry-After` asks. */
const MAX_RETRY_DELAY_MS = 30_000;

/**
 * Retries a read twice when the shared rule says the failure is transient (timeout, no connection,
 * 5xx, 429); never a refusal (401, 403, 404, 409, 412, other 4xx) or an answer that could not be
 * read.
 */
export function shouldRetry(failureCount: number, error: unknown): boolean {
  return failureCount < MAX_RETRIES && isTransient(toProblem(error));
}

/** Waits as long as the server's `Retry-After` asks (capped), else react-query's own exponential backoff. */
export function retryDelay(failureCount: number, error: unknown): number {
  const asked = retryAfterMs(toProblem(error));
  return Math.min(asked ?? 1000 * 2 ** failureCount, MAX_RETRY_DELAY_MS);
}

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { retry: shouldRetry, retryDelay, staleTime: 60_000, refetchOnWindowFocus: false },
      mutations: { retry: false },
    },
  });
}

/** The EHR's `smart_style_url` document (colours and font), when the launch named one. */
export function smartStyleQuery(url: string | null) {
  return queryOptions({
    queryKey: ['smart-style', url] as const,
    queryFn: ({ signal }) => fetchSmartStyle(url ?? '', signal),
    enabled: url !== null,
    retry: false,
    staleTime: Infinity,
  });
}

/**
 * A query function whose first run takes a read already in flight; a retry or a later refetch
 * reads again.
 */
function firstRunFrom<TData, TKey extends QueryKey, TPageParam = never>(
  queryFn: QueryFunction<TData, TKey, TPageParam> | undefined,
  inFlight: Promise<TData>,
): QueryFunction<TData, TKey, TPageParam> {
  let pending: Promise<TData> | null = inFlight;
  return (context) => {
    const first = pending;
    pending = null;
    if (first) return first;
    if (!queryFn) return Promise.reject(new Error('This query cannot read again: it has no query function.'));
    return queryFn(context);
  };
}

/**
 * Puts the first card's reads (the FHIR reads and the EHR's style), already sent from the entry
 * (./launch-reads.ts), into the query cache under their queries' keys, and starts loading the rule
 * engine's chunk. The hooks then find them in flight. Resolves when all of them have settled
 * (prefetches never reject).
 */
export function prefetchLaunch(client: QueryClient, { fhir, context, config }: SessionValue, reads: LaunchReads): Promise<void> {
  const patient = patientQuery(fhir, context.patientId);
  const tasks = openTasksQuery(fhir, context.patientId, config.fhir.pageSize, config.fhir.maxPages);
  const record = recordQuery(fhir, context.patientId, config.fhir.recordPageSize, config.fhir.recordMaxPages, context.scopes);
  const started: Promise<void>[] = [
    client.prefetchQuery({ ...patient, queryFn: firstRunFrom(patient.queryFn, reads.patient) }),
    client.prefetchQuery({ ...tasks, queryFn: firstRunFrom(tasks.queryFn, reads.tasks) }),
    client.prefetchQuery({ ...record, queryFn: firstRunFrom(record.queryFn, reads.record) }),
    client.prefetchQuery(rulesEngineQuery(config)),
  ];
  if (context.encounterId) {
    const encounter = encounterQuery(fhir, context.encounterId);
    started.push(client.prefetchQuery(reads.encounter ? { ...encounter, queryFn: firstRunFrom(encounter.queryFn, reads.encounter) } : encounter));
  }
  if (context.smartStyleUrl !== null) {
    const style = smartStyleQuery(context.smartStyleUrl);
    started.push(client.prefetchQuery(reads.style ? { ...style, queryFn: firstRunFrom(style.queryFn, reads.style) } : style));
  }
  return Promise.all(started).then(() => undefined);
}

/** Starts reading the snoozes and dismissals on file in the audit trail, beside the FHIR reads. */
export function prefetchDecisions(client: QueryClient, audit: AuditPort, patientId: string): Promise<void> {
  return client.prefetchQuery(decisionsQuery(audit, patientId));
}
