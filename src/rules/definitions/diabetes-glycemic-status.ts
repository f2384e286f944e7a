/**
 * Diabetes: glycemic status assessment greater than 9% (poor control) — an inverse measure.
 *
 * Sources:
 * - CMS122v13 "Diabetes: Glycemic Status Assessment Greater Than 9%", 2025 performance period:
 *   patients 18–75 at the end of the period with diabetes overlapping the period and a qualifying
 *   visit; numerator (the open gap): the most recent HbA1c or GMI in the period is > 9.0%, or has no
 *   result, or there is none; exclusions: hospice, palliative care, 66+ frailty with advanced
 *   illness, 66+ in long-term care.
 * - ADA Standards of Care in Diabetes 2025, section 6: A1C at least twice a year in patients meeting
 *   goals (point-of-care: a controlled result is good for 6 months).
 *
 * Leaves out: CGM-derived GMI computation (a recorded GMI Observation is used as is); individualised
 * targets (the eCQM threshold 9% is used for everyone); pregnancy-specific targets.
 * Units: % as is; mmol/mol (IFCC) converted with NGSP = 0.09148 × IFCC + 2.152.
 */
import type { GlycemicStatusRule } from '../types.ts';
import { VS } from '../valuesets.ts';
import { ALL_SHARED, LOINC, QUALIFYING_VISITS, SCT } from './common.ts';

/** CMS122 glycemic status > 9%. */
export const diabetesGlycemicStatus: GlycemicStatusRule = {
  kind: 'glycemic-status',
  id: 'diabetes-glycemic-status',
  version: '1.0.0',
  title: 'Diabetes: HbA1c/GMI above 9% or missing',
  citation: {
    text: 'CMS122v13 (2025): most recent HbA1c or GMI above 9.0% or missing is poor control. ADA Standards of Care 2025.',
    url: 'https://ecqi.healthit.gov/ecqm/ec/2025/cms0122v13',
  },
  weight: 90,
  eligibility: { minAge: 18, maxAge: 75 },
  diagnosis: { label: 'Diabetes', valueSet: VS.diabetes, types: ['Condition'] },
  tests: [
    { label: 'HbA1c', valueSet: VS.hba1cLabTest, types: ['Observation'] },
    { label: 'Glucose management indicator', valueSet: VS.glucoseManagementIndicator, types: ['Observation'] },
  ],
  thresholdPercent: 9,
  retestMonths: 6,
  lifetimeExclusions: [],
  sharedExclusions: ['hospice', 'palliative-care'],
  graceMonths: 3,
  action: {
    resourceType: 'ServiceRequest',
    code: { system: LOINC, code: '4548-4', display: 'Hemoglobin A1c/Hemoglobin.total in Blood' },
    intent: 'proposal',
    text: 'Order an HbA1c.',
    reason: 'No current HbA1c or GMI for a patient with diabetes (CMS122).',
  },
  poorControlAction: {
    resourceType: 'Task',
    code: { system: SCT, code: '698360004', display: 'Diabetes self management plan' },
    intent: 'plan',
    text: 'Review diabetes treatment: most recent HbA1c/GMI is above 9%.',
    reason: 'Poor glycemic control, HbA1c/GMI > 9% (CMS122).',
  },
  measure: {
    id: 'CMS122',
    version: '13.0.000',
    url: 'https://ecqi.healthit.gov/ecqm/ec/2025/cms0122v13',
    eligibility: { minAge: 18, maxAge: 75 },
    ageAt: 'period-end',
    qualifyingVisits: QUALIFYING_VISITS,
    sharedExclusions: ALL_SHARED,
    inverse: true,
  },
};
