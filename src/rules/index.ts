/**
 * Careloop care-gap rules: the public API. The rules' logic is Careloop's CQL (src/rules/cql),
 * compiled to ELM and evaluated by the engine in src/cql.
 *
 * @example
 * import { careloopPreventive, evaluatePack, indexRecord } from '../rules';
 * const record = indexRecord(resources);
 * const result = evaluatePack(careloopPreventive, record, { mode: 'point-of-care', asOf: '2025-06-01' });
 */
export * from './types.ts';
export { careloopPreventive, evaluatePack, ruleDataTypes, warmPack, withMeasurePackages, withValueSets } from './pack.ts';
export { loadMeasurePackages, evaluateMeasure, measureReport, MeasurePackageError } from './measure-package.ts';
export type { MeasurePackage } from './measure-package.ts';
export type { RulePack } from './pack.ts';
export { PACK_RULES } from './pack-metadata.ts';
export type { RuleMeta } from './pack-metadata.ts';
export { compareResults } from './ranking.ts';
export { ValueSetLoadError } from './valueset-resources.ts';
export { indexRecord, codeKey } from './record.ts';
export type { IndexedResource, PatientRecord } from './record.ts';
export { BUILT_IN_VALUE_SETS, SYSTEMS, VS } from './valuesets.ts';
export { addDays, addMonths, birthdayAt, isDay, parseFhirDay } from './dates.ts';
