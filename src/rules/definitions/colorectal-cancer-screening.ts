/**
 * Colorectal cancer screening.
 *
 * Sources:
 * - CMS130v13 "Colorectal Cancer Screening", 2025 performance period (eCQI Resource Center):
 *   initial population 46–75 at the end of the period with a qualifying visit; numerator: FOBT in
 *   the period, FIT-DNA in the period or 2 years prior, CT colonography or flexible sigmoidoscopy in
 *   the period or 4 years prior, colonoscopy in the period or 9 years prior; exclusions: colorectal
 *   cancer or total colectomy on or before the period end, hospice, palliative care, 66+ with frailty
 *   and advanced illness, 66+ in long-term care.
 * - USPSTF 2021 "Colorectal Cancer: Screening" (grade A 50–75, grade B 45–49): point-of-care ages
 *   45–75 and the same test intervals (FIT-DNA every 1–3 years: 3 used).
 *
 * Leaves out: the 46–49 / 50–75 stratification; dementia medications as an advanced-illness signal;
 * results of the tests (a positive FIT needing a follow-up colonoscopy is not a gap here);
 * FOBT "in-office from a digital rectal exam" cannot be told apart from the codes.
 */
import type { IntervalScreeningRule } from '../types.ts';
import { VS } from '../valuesets.ts';
import { ALL_SHARED, QUALIFYING_VISITS, SCT } from './common.ts';

/** CMS130 / USPSTF 2021 colorectal cancer screening. */
export const colorectalCancerScreening: IntervalScreeningRule = {
  kind: 'interval-screening',
  id: 'colorectal-cancer-screening',
  version: '1.0.0',
  title: 'Colorectal cancer screening',
  citation: {
    text: 'USPSTF 2021: screen adults aged 45 to 75 years for colorectal cancer. CMS130v13 (2025).',
    url: 'https://www.uspreventiveservicestaskforce.org/uspstf/recommendation/colorectal-cancer-screening',
  },
  weight: 70,
  eligibility: { minAge: 45, maxAge: 75 },
  tests: [
    { label: 'Colonoscopy', valueSet: VS.colonoscopy, types: ['Procedure'], intervalMonths: 120, measureLookbackMonths: 108 },
    { label: 'Fecal occult blood test', valueSet: VS.fobt, types: ['Observation', 'DiagnosticReport'], intervalMonths: 12, measureLookbackMonths: 0 },
    { label: 'Stool DNA with FIT', valueSet: VS.fitDna, types: ['Observation', 'DiagnosticReport'], intervalMonths: 36, measureLookbackMonths: 24 },
    { label: 'Flexible sigmoidoscopy', valueSet: VS.flexibleSigmoidoscopy, types: ['Procedure'], intervalMonths: 60, measureLookbackMonths: 48 },
    { label: 'CT colonography', valueSet: VS.ctColonography, types: ['Procedure', 'Observation', 'DiagnosticReport'], intervalMonths: 60, measureLookbackMonths: 48 },
  ],
  lifetimeExclusions: [
    { label: 'Colorectal cancer', valueSet: VS.malignantNeoplasmOfColon, types: ['Condition'] },
    { label: 'Total colectomy', valueSet: VS.totalColectomy, types: ['Procedure'] },
  ],
  sharedExclusions: ['hospice', 'palliative-care'],
  graceMonths: 12,
  action: {
    resourceType: 'ServiceRequest',
    code: { system: SCT, code: '275978004', display: 'Screening for malignant neoplasm of colon' },
    intent: 'proposal',
    text: 'Offer colorectal cancer screening (FIT yearly, FIT-DNA every 3 years, or colonoscopy every 10 years).',
    reason: 'Colorectal cancer screening is due (USPSTF 2021, CMS130).',
  },
  measure: {
    id: 'CMS130',
    version: '13.0.000',
    url: 'https://ecqi.healthit.gov/ecqm/ec/2025/cms0130v13',
    eligibility: { minAge: 46, maxAge: 75 },
    ageAt: 'period-end',
    qualifyingVisits: QUALIFYING_VISITS,
    sharedExclusions: ALL_SHARED,
    inverse: false,
  },
};
