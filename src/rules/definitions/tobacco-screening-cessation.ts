/**
 * Tobacco use: screening and cessation intervention.
 *
 * Sources:
 * - CMS138v13 "Preventive Care and Screening: Tobacco Use: Screening and Cessation Intervention",
 *   2025 performance period, population 3: patients 12 and older (at the start of the period) with
 *   a qualifying visit, screened in the period (most recent screening), and if a tobacco user,
 *   given cessation counselling or pharmacotherapy in the period or 6 months before it;
 *   exception: not screened for a medical reason; exclusion: hospice.
 * - USPSTF 2021 "Tobacco Smoking Cessation in Adults" (grade A).
 *
 * Leaves out: populations 1 and 2 reported separately; the "two other visits" branch of the
 * initial population (one qualifying visit is enough here); e-cigarette specifics.
 */
import type { TobaccoRule } from '../types.ts';
import { VS } from '../valuesets.ts';
import { LOINC, QUALIFYING_VISITS, SCT } from './common.ts';

/** CMS138 tobacco screening and cessation. */
export const tobaccoScreeningCessation: TobaccoRule = {
  kind: 'tobacco',
  id: 'tobacco-screening-cessation',
  version: '1.0.0',
  title: 'Tobacco use screening and cessation',
  citation: {
    text: 'CMS138v13 (2025): screen for tobacco use at least once a year and offer cessation intervention to users. USPSTF 2021.',
    url: 'https://ecqi.healthit.gov/ecqm/ec/2025/cms0138v13',
  },
  weight: 55,
  eligibility: { minAge: 12 },
  screening: { label: 'Tobacco use screening', valueSet: VS.tobaccoUseScreening, types: ['Observation', 'Procedure'] },
  userAnswers: VS.tobaccoUser,
  nonUserAnswers: VS.tobaccoNonUser,
  interventions: [
    { label: 'Tobacco cessation counselling', valueSet: VS.tobaccoCessationCounseling, types: ['Procedure'] },
    { label: 'Tobacco cessation pharmacotherapy', valueSet: VS.tobaccoCessationPharmacotherapy, types: ['MedicationRequest'] },
  ],
  screeningIntervalMonths: 12,
  interventionLookbackMonths: 6,
  lifetimeExclusions: [],
  sharedExclusions: ['hospice'],
  graceMonths: 3,
  action: {
    resourceType: 'Task',
    code: { system: LOINC, code: '72166-2', display: 'Tobacco smoking status' },
    intent: 'plan',
    text: 'Ask about tobacco use and record the answer.',
    reason: 'No tobacco use screening in the last 12 months (CMS138).',
  },
  cessationAction: {
    resourceType: 'Task',
    code: { system: SCT, code: '225323000', display: 'Smoking cessation education' },
    intent: 'plan',
    text: 'Offer tobacco cessation counselling or medication.',
    reason: 'Tobacco user without a cessation intervention (CMS138, USPSTF 2021).',
  },
  measure: {
    id: 'CMS138',
    version: '13.0.000',
    url: 'https://ecqi.healthit.gov/ecqm/ec/2025/cms0138v13',
    eligibility: { minAge: 12 },
    ageAt: 'period-start',
    qualifyingVisits: QUALIFYING_VISITS,
    sharedExclusions: ['hospice'],
    inverse: false,
    exceptionReasons: VS.medicalReason,
  },
};
