/**
 * Annual influenza vaccination.
 *
 * Source: CDC/ACIP "Prevention and Control of Seasonal Influenza with Vaccines: Recommendations of
 * the ACIP — United States, 2024–25" (MMWR 2024): routine annual vaccination for everyone 6 months
 * and older; vaccinate ideally by the end of October; keep offering while influenza circulates.
 *
 * Point-of-care only (no current eCQM; CMS147 is retired). Season: August 1 to March 31; due from
 * August 1, overdue after October 31; outside the season the rule does not apply.
 * Leaves out: the two-dose schedule for children under 9 never vaccinated before; product choice by
 * age (high-dose / adjuvanted at 65+); egg allergy (no longer a contraindication).
 */
import type { SeasonalImmunizationRule } from '../types.ts';
import { VS } from '../valuesets.ts';
import { SCT } from './common.ts';

/** ACIP annual influenza vaccination. */
export const influenzaVaccination: SeasonalImmunizationRule = {
  kind: 'seasonal-immunization',
  id: 'influenza-vaccination',
  version: '1.0.0',
  title: 'Annual influenza vaccination',
  citation: {
    text: 'CDC/ACIP 2024–25: annual influenza vaccination for everyone 6 months and older, ideally by the end of October.',
    url: 'https://www.cdc.gov/mmwr/volumes/73/rr/rr7305a1.htm',
  },
  weight: 50,
  eligibility: { minAge: 0 },
  vaccine: { label: 'Influenza vaccine', valueSet: VS.influenzaVaccine, types: ['Immunization'] },
  seasonStart: '08-01',
  dueBy: '10-31',
  seasonEnd: '03-31',
  contraindication: { label: 'Influenza vaccine contraindication', valueSet: VS.influenzaVaccineAllergy, types: ['AllergyIntolerance', 'Condition'] },
  minAgeMonths: 6,
  lifetimeExclusions: [],
  sharedExclusions: ['hospice'],
  graceMonths: 3,
  action: {
    resourceType: 'ServiceRequest',
    code: { system: SCT, code: '86198006', display: 'Administration of vaccine product containing only Influenza virus antigen' },
    intent: 'proposal',
    text: "Offer this season's influenza vaccine.",
    reason: 'Annual influenza vaccination is due (CDC/ACIP).',
  },
};
