import { queryOptions } from '@tanstack/react-query';
import type { RulePack } from '../../rules/index.ts';

/** The rule engine as its own chunk: fetched in parallel with the FHIR reads, never on the critical path. */
export const loadRules = () => import('../../rules/index.ts');

/** The engine module. */
export type RulesModule = Awaited<ReturnType<typeof loadRules>>;

/** What the card evaluates with: the pack (with any official measure packages) and the evaluator. */
export interface RulesEngine {
  readonly pack: RulePack;
  readonly evaluatePack: RulesModule['evaluatePack'];
  /** The FHIR resource types each built-in rule reads, by rule id. */
  readonly ruleDataTypes: ReadonlyMap<string, readonly string[]>;
}

/** The content files the deployment's configuration names (careloop.config.json). */
export interface ContentFiles {
  /** Official measure packages (FHIR Bundles), paths relative to index.html. */
  readonly measurePackages: readonly string[];
  /** Official value set expansions (ValueSets or Bundles of them), paths relative to index.html. */
  readonly valueSetBundles: readonly string[];
}

/** The query key the engine (and the configured content) are cached under. */
export const rulesEngineKey = (content: ContentFiles) => ['rules-engine', { measurePackages: content.measurePackages, valueSetBundles: content.valueSetBundles }] as const;

/** Fetches the configured files side by side (same origin); each settles on its own. */
function fetchAll(paths: readonly string[], base: string): Promise<PromiseSettledResult<unknown>[]> {
  return Promise.allSettled(
    paths.map(async (path) => {
      const response = await fetch(new URL(path, base).toString(), { headers: { accept: 'application/fhir+json, application/json' }, credentials: 'same-origin' });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      return (await response.json()) as unknown;
    }),
  );
}

/**
 * Loads the configured value set bundles, then the measure packages, into the pack (its digest,
 * which every card and audit event carries, then covers them). A file that cannot be fetched or
 * loaded is left out with a console warning naming it, so one bad file never stops the card (the
 * audit server refuses to start on one: src/server/app-content.ts).
 */
async function packWithContent(rules: RulesModule, content: ContentFiles, base: string): Promise<RulesEngine> {
  const [valueSetBodies, measureBodies] = await Promise.all([fetchAll(content.valueSetBundles, base), fetchAll(content.measurePackages, base)]);
  let pack = rules.careloopPreventive;
  valueSetBodies.forEach((body, i) => {
    try {
      if (body.status === 'rejected') throw body.reason;
      pack = rules.withValueSets(pack, body.value);
    } catch (e) {
      console.warn(`Careloop: value set bundle ${content.valueSetBundles[i] ?? ''} was not loaded: ${e instanceof Error ? e.message : String(e)}`);
    }
  });
  const loaded: Parameters<RulesModule['withMeasurePackages']>[1][number][] = [];
  // Loaded in the configured order.
  measureBodies.forEach((body, i) => {
    try {
      if (body.status === 'rejected') throw body.reason;
      loaded.push(...rules.loadMeasurePackages([body.value]));
    } catch (e) {
      console.warn(`Careloop: measure package ${content.measurePackages[i] ?? ''} was not loaded: ${e instanceof Error ? e.message : String(e)}`);
    }
  });
  if (loaded.length) pack = rules.withMeasurePackages(pack, loaded);
  // Compiled and warmed now, while the FHIR reads are in flight, not when the card waits on it.
  rules.warmPack(pack);
  return { pack, evaluatePack: rules.evaluatePack, ruleDataTypes: rules.ruleDataTypes() };
}

/**
 * The engine as a query: prefetched with the FHIR reads at launch (app/query-client.ts), read by
 * the card. A failed chunk load is tried twice more.
 */
export const rulesEngineQuery = (content: ContentFiles = { measurePackages: [], valueSetBundles: [] }, base = globalThis.location?.href ?? 'http://localhost/') =>
  queryOptions({
    queryKey: rulesEngineKey(content),
    queryFn: async (): Promise<RulesEngine> => packWithContent(await loadRules(), content, base),
    staleTime: Infinity,
    retry: 2,
  });
