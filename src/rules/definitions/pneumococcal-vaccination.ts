/**
 * Pneumococcal vaccination at 65 and older.
 *
 * Sources: CDC/ACIP adult pneumococcal recommendations (MMWR 2022; 2024 update adding PCV21), and
 * the retired CMS127v10 "Pneumococcal Vaccination Status for Older Adults" (any pneumococcal
 * vaccine on or after the 60th birthday closes the gap; value set Pneumococcal Vaccine).
 *
 * Point-of-care only. Leaves out: ACIP series completion (PCV15 followed by PPSV23), risk-based
 * vaccination under 65, and the October 2024 ACIP lowering of the universal age to 50 (this pack
 * keeps 65+, as requested for 1.0).
 */
import type { IntervalScreeningRule } from '../types.ts';
import { VS } from '../valuesets.ts';
import { SCT } from './common.ts';

/** ACIP pneumococcal vaccination, 65+. */
export const pneumococcalVaccination: IntervalScreeningRule = {
  kind: 'interval-screening',
  id: 'pneumococcal-vaccination',
  version: '1.0.0',
  title: 'Pneumococcal vaccination (65+)',
  citation: {
    text: 'CDC/ACIP: adults 65 and older who have not received a pneumococcal conjugate vaccine should receive one.',
    url: 'https://www.cdc.gov/pneumococcal/hcp/vaccine-recommendations/',
  },
  weight: 45,
  eligibility: { minAge: 65 },
  tests: [
    { label: 'Pneumococcal vaccine', valueSet: VS.pneumococcalVaccine, types: ['Immunization'], intervalMonths: null, measureLookbackMonths: null, minAgeAtTest: 60 },
  ],
  lifetimeExclusions: [],
  sharedExclusions: ['hospice'],
  graceMonths: 12,
  action: {
    resourceType: 'ServiceRequest',
    code: { system: SCT, code: '12866006', display: 'Administration of vaccine product containing only Streptococcus pneumoniae antigen' },
    intent: 'proposal',
    text: 'Offer a pneumococcal conjugate vaccine (PCV20 or PCV21).',
    reason: 'No pneumococcal vaccine since the 60th birthday (CDC/ACIP, CMS127).',
  },
};
