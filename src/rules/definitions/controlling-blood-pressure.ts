/**
 * Controlling high blood pressure.
 *
 * Sources:
 * - CMS165v13 "Controlling High Blood Pressure", 2025 performance period: patients 18–85 at the end
 *   of the period with essential hypertension starting before or in the first six months of the
 *   period and a qualifying visit; numerator: the most recent blood pressure in the period is
 *   < 140/90 (lowest systolic and lowest diastolic on the most recent day, each taken separately);
 *   exclusions: ESRD, dialysis, kidney transplant, pregnancy during the period, hospice, palliative
 *   care, 66+ frailty with advanced illness, 81+ with frailty alone, 66+ in long-term care.
 * - ACC/AHA 2017 guideline (point-of-care): recheck a controlled blood pressure within 12 months.
 *
 * Leaves out: readings taken in acute inpatient or emergency settings or on the day of a
 * diagnostic test (not filtered); dementia medications as an advanced-illness signal; home readings are accepted
 * as the 2025 measure accepts remote readings.
 * Readings: an 85354-9 panel with 8480-6 / 8462-4 components, or separate 8480-6 and 8462-4
 * Observations; units must be mm[Hg] (UCUM) or mmHg.
 */
import type { BloodPressureRule } from '../types.ts';
import { SYSTEMS, VS } from '../valuesets.ts';
import { QUALIFYING_VISITS, SCT } from './common.ts';

const LOINC = SYSTEMS.loinc;

/** CMS165 controlling high blood pressure. */
export const controllingBloodPressure: BloodPressureRule = {
  kind: 'blood-pressure',
  id: 'controlling-blood-pressure',
  version: '1.0.0',
  title: 'Controlling high blood pressure',
  citation: {
    text: 'CMS165v13 (2025): most recent blood pressure below 140/90 mmHg for adults 18–85 with hypertension.',
    url: 'https://ecqi.healthit.gov/ecqm/ec/2025/cms0165v13',
  },
  weight: 85,
  eligibility: { minAge: 18, maxAge: 85 },
  diagnosis: { label: 'Essential hypertension', valueSet: VS.essentialHypertension, types: ['Condition'] },
  systolicBelow: 140,
  diastolicBelow: 90,
  panelCodes: [{ system: LOINC, code: '85354-9', display: 'Blood pressure panel with all children optional' }],
  systolicCodes: [{ system: LOINC, code: '8480-6', display: 'Systolic blood pressure' }],
  diastolicCodes: [{ system: LOINC, code: '8462-4', display: 'Diastolic blood pressure' }],
  recheckMonths: 12,
  periodExclusions: [
    { label: 'End-stage renal disease', valueSet: VS.endStageRenalDisease, types: ['Condition'] },
    { label: 'Kidney transplant recipient', valueSet: VS.kidneyTransplantRecipient, types: ['Condition'] },
    { label: 'Dialysis', valueSet: VS.dialysisServices, types: ['Procedure', 'Encounter'] },
    { label: 'Pregnancy', valueSet: VS.pregnancy, types: ['Condition'] },
  ],
  lifetimeExclusions: [],
  sharedExclusions: ['hospice', 'palliative-care'],
  graceMonths: 3,
  action: {
    resourceType: 'Task',
    code: { system: SCT, code: '46973005', display: 'Blood pressure taking' },
    intent: 'plan',
    text: 'Measure blood pressure.',
    reason: 'No blood pressure reading in the last 12 months for a patient with hypertension (CMS165).',
  },
  uncontrolledAction: {
    resourceType: 'Task',
    code: { system: SCT, code: '390906007', display: 'Follow-up encounter' },
    intent: 'plan',
    text: 'Recheck blood pressure and review antihypertensive treatment.',
    reason: 'Most recent blood pressure is 140/90 mmHg or higher (CMS165).',
  },
  measure: {
    id: 'CMS165',
    version: '13.0.000',
    url: 'https://ecqi.healthit.gov/ecqm/ec/2025/cms0165v13',
    eligibility: { minAge: 18, maxAge: 85 },
    ageAt: 'period-end',
    qualifyingVisits: QUALIFYING_VISITS,
    sharedExclusions: ['hospice', 'palliative-care', 'frailty-advanced-illness', 'frailty-81', 'long-term-care'],
    inverse: false,
  },
};
