/** The rule engine as its own chunk: fetched in parallel with the FHIR reads, never on the critical path. */
export const loadRules = () => import('../../rules');

/** The query key the engine module is cached under. */
export const RULES_ENGINE_KEY = ['rules-engine'] as const;
