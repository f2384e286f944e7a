/**
 * Breast cancer screening.
 *
 * Sources:
 * - CMS125v13 "Breast Cancer Screening", 2025 performance period: women 52–74 at the end of the
 *   period with a qualifying visit; numerator: a mammogram from October 1 two years before the
 *   period through its end (27 months); exclusions: bilateral mastectomy (or left and right
 *   unilateral / status post), hospice, palliative care, 66+ frailty with advanced illness, 66+ in
 *   long-term care.
 * - USPSTF 2024 "Breast Cancer: Screening" (grade B): biennial mammography for women 40–74.
 *
 * Leaves out: unilateral mastectomy procedures with laterality qualifiers (only the status-post
 * diagnoses pair up); gender-identity nuances beyond US Core birth sex / administrative gender;
 * diagnostic vs screening mammogram distinction (both count, as in the eCQM).
 */
import type { IntervalScreeningRule } from '../types.ts';
import { VS } from '../valuesets.ts';
import { ALL_SHARED, QUALIFYING_VISITS, SCT } from './common.ts';

/** CMS125 / USPSTF 2024 breast cancer screening. */
export const breastCancerScreening: IntervalScreeningRule = {
  kind: 'interval-screening',
  id: 'breast-cancer-screening',
  version: '1.0.0',
  title: 'Breast cancer screening',
  citation: {
    text: 'USPSTF 2024: biennial screening mammography for women aged 40 to 74 years. CMS125v13 (2025).',
    url: 'https://www.uspreventiveservicestaskforce.org/uspstf/recommendation/breast-cancer-screening',
  },
  weight: 65,
  eligibility: { sex: 'female', minAge: 40, maxAge: 74 },
  tests: [
    { label: 'Mammogram', valueSet: VS.mammography, types: ['Observation', 'DiagnosticReport', 'Procedure'], intervalMonths: 24, measureLookbackMonths: 15 },
  ],
  lifetimeExclusions: [
    { label: 'Bilateral mastectomy', valueSet: VS.bilateralMastectomy, types: ['Procedure'] },
    { label: 'History of bilateral mastectomy', valueSet: VS.historyOfBilateralMastectomy, types: ['Condition'] },
    {
      label: 'Status post left mastectomy',
      valueSet: VS.statusPostLeftMastectomy,
      types: ['Condition'],
      with: { label: 'status post right mastectomy', valueSet: VS.statusPostRightMastectomy, types: ['Condition'] },
    },
  ],
  sharedExclusions: ['hospice', 'palliative-care'],
  graceMonths: 6,
  action: {
    resourceType: 'ServiceRequest',
    code: { system: SCT, code: '24623002', display: 'Screening mammography' },
    intent: 'proposal',
    text: 'Order a screening mammogram.',
    reason: 'Biennial breast cancer screening is due (USPSTF 2024, CMS125).',
  },
  measure: {
    id: 'CMS125',
    version: '13.0.000',
    url: 'https://ecqi.healthit.gov/ecqm/ec/2025/cms0125v13',
    eligibility: { sex: 'female', minAge: 52, maxAge: 74 },
    ageAt: 'period-end',
    qualifyingVisits: QUALIFYING_VISITS,
    sharedExclusions: ALL_SHARED,
    inverse: false,
  },
};
