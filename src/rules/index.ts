/**
 * Careloop care-gap rules: the public API.
 *
 * @example
 * import { careloopPreventive, evaluatePack, indexRecord } from '../rules';
 * const record = indexRecord(resources);
 * const result = evaluatePack(careloopPreventive, record, { mode: 'point-of-care', asOf: '2025-06-01' });
 */
export * from './types.ts';
export { evaluatePack, compareResults } from './engine.ts';
export { indexRecord, codeKey } from './record.ts';
export type { IndexedResource, PatientRecord } from './record.ts';
export { careloopPreventive, buildPack, withValueSets, ValueSetLoadError } from './pack.ts';
export { BUILT_IN_VALUE_SETS, SYSTEMS, VS } from './valuesets.ts';
export { toPercent } from './evaluators.ts';
export { addDays, addMonths, ageOn, birthdayAt, isDay, parseFhirDay } from './dates.ts';
export { colorectalCancerScreening } from './definitions/colorectal-cancer-screening.ts';
export { breastCancerScreening } from './definitions/breast-cancer-screening.ts';
export { cervicalCancerScreening } from './definitions/cervical-cancer-screening.ts';
export { diabetesGlycemicStatus } from './definitions/diabetes-glycemic-status.ts';
export { controllingBloodPressure } from './definitions/controlling-blood-pressure.ts';
export { influenzaVaccination } from './definitions/influenza-vaccination.ts';
export { pneumococcalVaccination } from './definitions/pneumococcal-vaccination.ts';
export { statinTherapyCvd } from './definitions/statin-therapy-cvd.ts';
export { tobaccoScreeningCessation } from './definitions/tobacco-screening-cessation.ts';
