import { queryOptions } from '@tanstack/react-query';

/** The rule engine as its own chunk: fetched in parallel with the FHIR reads, never on the critical path. */
export const loadRules = () => import('../../rules');

/** The query key the engine module is cached under. */
export const RULES_ENGINE_KEY = ['rules-engine'] as const;

/**
 * The engine as a query: prefetched with the FHIR reads at launch (app/query-client.ts), read by
 * the card. A failed chunk load is tried twice more.
 */
export const rulesEngineQuery = () => queryOptions({ queryKey: RULES_ENGINE_KEY, queryFn: loadRules, staleTime: Infinity, retry: 2 });
