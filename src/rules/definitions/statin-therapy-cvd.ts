/**
 * Statin therapy for clinical atherosclerotic cardiovascular disease (ASCVD).
 *
 * Sources:
 * - CMS347v8 "Statin Therapy for the Prevention and Treatment of Cardiovascular Disease", 2025
 *   performance period, population 1 only (clinical ASCVD: MI, ischemic heart disease, angina,
 *   cerebrovascular disease/stroke/TIA, atherosclerosis or PAD, or a CABG/PCI procedure on or before
 *   the period end); numerator: a statin of any intensity prescribed or active during the period;
 *   exclusions: hospice, palliative care, pregnancy or breastfeeding, rhabdomyolysis; exceptions:
 *   statin allergy, statin-associated muscle symptoms, ESRD, liver disease, hepatitis A or B, or a
 *   statin not ordered for a medical reason. Value set OIDs as used by the measure's CQL library.
 * - ACC/AHA 2018 Cholesterol Guideline: high-intensity statin for clinical ASCVD (point of care:
 *   an active statin, or one prescribed in the last 12 months).
 *
 * Leaves out: populations 2 (LDL ≥ 190 mg/dL) and 3 (diabetes 40–75); statin intensity (any statin
 * counts, as in the measure); MedicationStatement / dispense records; the initial-population age
 * is taken as 21+ at the start of the period (check against the official 2025 specification).
 */
import type { IntervalScreeningRule } from '../types.ts';
import { VS } from '../valuesets.ts';
import { QUALIFYING_VISITS, SCT } from './common.ts';

/** CMS347 population 1: statin for clinical ASCVD. */
export const statinTherapyCvd: IntervalScreeningRule = {
  kind: 'interval-screening',
  id: 'statin-therapy-cvd',
  version: '1.0.0',
  title: 'Statin therapy for cardiovascular disease',
  citation: {
    text: 'CMS347 (2025), population 1: patients with clinical ASCVD should be on statin therapy. ACC/AHA 2018 cholesterol guideline.',
    url: 'https://ecqi.healthit.gov/ecqm/ec/2025/cms0347v8',
  },
  weight: 80,
  eligibility: { minAge: 21 },
  requires: [
    { label: 'Myocardial infarction', valueSet: VS.myocardialInfarction, types: ['Condition'] },
    { label: 'Ischemic heart disease', valueSet: VS.ischemicHeartDisease, types: ['Condition'] },
    { label: 'Angina', valueSet: VS.angina, types: ['Condition'] },
    { label: 'Cerebrovascular disease, stroke or TIA', valueSet: VS.cerebrovascularDisease, types: ['Condition'] },
    { label: 'Atherosclerosis or peripheral arterial disease', valueSet: VS.atherosclerosisPad, types: ['Condition'] },
    { label: 'PCI', valueSet: VS.pci, types: ['Procedure'] },
    { label: 'CABG', valueSet: VS.cabg, types: ['Procedure'] },
  ],
  tests: [
    { label: 'High-intensity statin', valueSet: VS.highIntensityStatin, types: ['MedicationRequest'], intervalMonths: 12, measureLookbackMonths: 0, activeCounts: true },
    { label: 'Moderate-intensity statin', valueSet: VS.moderateIntensityStatin, types: ['MedicationRequest'], intervalMonths: 12, measureLookbackMonths: 0, activeCounts: true },
    { label: 'Low-intensity statin', valueSet: VS.lowIntensityStatin, types: ['MedicationRequest'], intervalMonths: 12, measureLookbackMonths: 0, activeCounts: true },
  ],
  lifetimeExclusions: [{ label: 'Rhabdomyolysis', valueSet: VS.rhabdomyolysis, types: ['Condition'] }],
  periodExclusions: [
    { label: 'Pregnancy', valueSet: VS.pregnancyOrRelated, types: ['Condition'] },
    { label: 'Breastfeeding', valueSet: VS.breastfeeding, types: ['Condition'] },
  ],
  exceptions: [
    { label: 'Statin allergy', valueSet: VS.statinAllergen, types: ['AllergyIntolerance'] },
    { label: 'Statin-associated muscle symptoms', valueSet: VS.statinMuscleSymptoms, types: ['Condition'] },
    { label: 'End-stage renal disease', valueSet: VS.endStageRenalDisease, types: ['Condition'] },
    { label: 'Liver disease', valueSet: VS.liverDisease, types: ['Condition'] },
    { label: 'Hepatitis A', valueSet: VS.hepatitisA, types: ['Condition'] },
    { label: 'Hepatitis B', valueSet: VS.hepatitisB, types: ['Condition'] },
  ],
  sharedExclusions: ['hospice', 'palliative-care'],
  graceMonths: 1,
  action: {
    resourceType: 'Task',
    code: { system: SCT, code: '33633005', display: 'Prescription of drug' },
    intent: 'proposal',
    text: 'Consider starting statin therapy (high intensity for clinical ASCVD).',
    reason: 'Clinical ASCVD without statin therapy (CMS347, ACC/AHA 2018).',
  },
  measure: {
    id: 'CMS347',
    version: '8.0.000',
    url: 'https://ecqi.healthit.gov/ecqm/ec/2025/cms0347v8',
    eligibility: { minAge: 21 },
    ageAt: 'period-start',
    qualifyingVisits: QUALIFYING_VISITS,
    sharedExclusions: ['hospice', 'palliative-care'],
    inverse: false,
    exceptionReasons: VS.medicalReason,
  },
};
