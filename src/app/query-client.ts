import { QueryClient, queryOptions } from '@tanstack/react-query';
import { openTasksQuery } from '../fhir/get-open-tasks';
import { patientQuery } from '../fhir/get-patient';
import { recordQuery } from '../fhir/get-record';
import { encounterQuery } from '../fhir/get-encounter';
import { FhirRequestError } from '../fhir/gateway';
import type { SessionValue } from '../fhir/session-context';
import { decisionsQuery, type AuditPort } from '../features/care-gaps/audit-port';
import { loadRules, RULES_ENGINE_KEY } from '../features/care-gaps/load-rules';
import { fetchSmartStyle } from '../smart/style';

/** Retry transient failures (timeouts, 5xx, 429) twice; never a refusal (4xx) or a bad body. */
export function shouldRetry(failureCount: number, error: unknown): boolean {
  if (failureCount >= 2) return false;
  if (!(error instanceof FhirRequestError)) return false;
  const { problem } = error;
  return problem.kind === 'timeout' || problem.kind === 'unreachable' || (problem.kind === 'server-error' && problem.status !== 200);
}

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { retry: shouldRetry, staleTime: 60_000, refetchOnWindowFocus: false },
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
 * Starts every FHIR read the first card needs, all at once (one round after the token), plus the
 * EHR's style and the rule engine's chunk, before React has rendered anything. The hooks then
 * find them in flight. Resolves when all of them have settled (prefetches never reject).
 */
export function prefetchLaunch(client: QueryClient, { fhir, context, config }: SessionValue): Promise<void> {
  const started: Promise<void>[] = [
    client.prefetchQuery(patientQuery(fhir, context.patientId)),
    client.prefetchQuery(openTasksQuery(fhir, context.patientId, config.fhir.pageSize, config.fhir.maxPages)),
    client.prefetchQuery(recordQuery(fhir, context.patientId, config.fhir.recordPageSize, config.fhir.recordMaxPages)),
    client.prefetchQuery({ queryKey: RULES_ENGINE_KEY, queryFn: loadRules, staleTime: Infinity }),
  ];
  if (context.encounterId) started.push(client.prefetchQuery(encounterQuery(fhir, context.encounterId)));
  if (context.smartStyleUrl !== null) started.push(client.prefetchQuery(smartStyleQuery(context.smartStyleUrl)));
  return Promise.all(started).then(() => undefined);
}

/** Starts reading the snoozes and dismissals on file in the audit trail, beside the FHIR reads. */
export function prefetchDecisions(client: QueryClient, audit: AuditPort, patientId: string): Promise<void> {
  return client.prefetchQuery(decisionsQuery(audit, patientId));
}
