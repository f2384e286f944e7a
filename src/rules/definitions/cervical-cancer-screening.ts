/**
 * Cervical cancer screening.
 *
 * Sources:
 * - CMS124v13 "Cervical Cancer Screening", 2025 performance period: women 24–64 at the end of the
 *   period with a qualifying visit; numerator: cervical cytology in the period or 2 years prior
 *   (done at 21 or older), or high-risk HPV test in the period or 4 years prior (done at 30 or
 *   older); exclusions: hysterectomy with no residual cervix, absence of cervix, hospice,
 *   palliative care.
 * - USPSTF 2018 "Cervical Cancer: Screening" (grade A): 21–29 cytology every 3 years; 30–65
 *   cytology every 3 years or hrHPV (alone or co-testing) every 5 years.
 *
 * Leaves out: abnormal-result follow-up intervals; HIV / immunocompromised schedules; the
 * "adequate prior screening" exit over 65 (the rule simply stops applying after 65).
 */
import type { IntervalScreeningRule } from '../types.ts';
import { VS } from '../valuesets.ts';
import { QUALIFYING_VISITS, SCT } from './common.ts';

/** CMS124 / USPSTF 2018 cervical cancer screening. */
export const cervicalCancerScreening: IntervalScreeningRule = {
  kind: 'interval-screening',
  id: 'cervical-cancer-screening',
  version: '1.0.0',
  title: 'Cervical cancer screening',
  citation: {
    text: 'USPSTF 2018: cytology every 3 years at 21–29; cytology every 3 years or hrHPV every 5 years at 30–65. CMS124v13 (2025).',
    url: 'https://www.uspreventiveservicestaskforce.org/uspstf/recommendation/cervical-cancer-screening',
  },
  weight: 60,
  eligibility: { sex: 'female', minAge: 21, maxAge: 65 },
  tests: [
    { label: 'Cervical cytology', valueSet: VS.papTest, types: ['Observation', 'DiagnosticReport'], intervalMonths: 36, measureLookbackMonths: 24, minAgeAtTest: 21 },
    { label: 'High-risk HPV test', valueSet: VS.hpvTest, types: ['Observation', 'DiagnosticReport'], intervalMonths: 60, measureLookbackMonths: 48, minAgeAtTest: 30 },
  ],
  lifetimeExclusions: [
    { label: 'Hysterectomy with no residual cervix', valueSet: VS.hysterectomyNoResidualCervix, types: ['Procedure'] },
    { label: 'Absence of cervix', valueSet: VS.absenceOfCervix, types: ['Condition'] },
  ],
  sharedExclusions: ['hospice', 'palliative-care'],
  graceMonths: 6,
  action: {
    resourceType: 'ServiceRequest',
    code: { system: SCT, code: '171149006', display: 'Screening for malignant neoplasm of cervix' },
    intent: 'proposal',
    text: 'Offer cervical cancer screening (cytology, or hrHPV testing from 30).',
    reason: 'Cervical cancer screening is due (USPSTF 2018, CMS124).',
  },
  measure: {
    id: 'CMS124',
    version: '13.0.000',
    url: 'https://ecqi.healthit.gov/ecqm/ec/2025/cms0124v13',
    eligibility: { sex: 'female', minAge: 24, maxAge: 64 },
    ageAt: 'period-end',
    qualifyingVisits: QUALIFYING_VISITS,
    sharedExclusions: ['hospice', 'palliative-care'],
    inverse: false,
  },
};
