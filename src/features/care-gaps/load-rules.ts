import { queryOptions } from '@tanstack/react-query';
import type { RulePack } from '../../rules';

/** The rule engine as its own chunk: fetched in parallel with the FHIR reads, never on the critical path. */
export const loadRules = () => import('../../rules');

/** The engine module. */
export type RulesModule = Awaited<ReturnType<typeof loadRules>>;

/** What the card evaluates with: the pack (with any official measure packages) and the evaluator. */
export interface RulesEngine {
  readonly pack: RulePack;
  readonly evaluatePack: RulesModule['evaluatePack'];
  /** The FHIR resource types each built-in rule reads, by rule id. */
  readonly ruleDataTypes: ReadonlyMap<string, readonly string[]>;
}

/** The query key the engine (and the configured packages) are cached under. */
export const rulesEngineKey = (packages: readonly string[]) => ['rules-engine', ...packages] as const;

/**
 * Loads the configured measure packages (same-origin JSON) into the pack. A package that cannot be
 * fetched or loaded is left out with a console warning naming it, so one bad file never stops the card.
 */
async function packWithMeasures(rules: RulesModule, packages: readonly string[], base: string): Promise<RulesEngine> {
  const loaded: Parameters<RulesModule['withMeasurePackages']>[1][number][] = [];
  // Fetched side by side; loaded in the configured order.
  const bodies = await Promise.allSettled(
    packages.map(async (path) => {
      const response = await fetch(new URL(path, base).toString(), { headers: { accept: 'application/fhir+json, application/json' }, credentials: 'same-origin' });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      return (await response.json()) as unknown;
    }),
  );
  bodies.forEach((body, i) => {
    const path = packages[i] ?? '';
    try {
      if (body.status === 'rejected') throw body.reason;
      loaded.push(...rules.loadMeasurePackages([body.value]));
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      console.warn(`Careloop: measure package ${path} was not loaded: ${reason}`);
    }
  });
  const pack = loaded.length ? rules.withMeasurePackages(rules.careloopPreventive, loaded) : rules.careloopPreventive;
  // Compiled and warmed now, while the FHIR reads are in flight, not when the card waits on it.
  rules.warmPack(pack);
  return { pack, evaluatePack: rules.evaluatePack, ruleDataTypes: rules.ruleDataTypes() };
}

/**
 * The engine as a query: prefetched with the FHIR reads at launch (app/query-client.ts), read by
 * the card. A failed chunk load is tried twice more.
 */
export const rulesEngineQuery = (packages: readonly string[] = [], base = globalThis.location?.href ?? 'http://localhost/') =>
  queryOptions({
    queryKey: rulesEngineKey(packages),
    queryFn: async (): Promise<RulesEngine> => packWithMeasures(await loadRules(), packages, base),
    staleTime: Infinity,
    retry: 2,
  });
