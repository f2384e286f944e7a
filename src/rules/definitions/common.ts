/**
 * Criteria several rule definitions share: the qualifying visits of the 2025 preventive eCQMs.
 */
import type { Criterion } from '../types.ts';
import { SYSTEMS, VS } from '../valuesets.ts';

/** Office, wellness, preventive, home, telephone and virtual visits (CMS122/124/125/130/165 2025). */
export const QUALIFYING_VISITS: readonly Criterion[] = [
  { label: 'Office visit', valueSet: VS.officeVisit, types: ['Encounter'] },
  { label: 'Annual wellness visit', valueSet: VS.annualWellnessVisit, types: ['Encounter'] },
  { label: 'Preventive visit (established)', valueSet: VS.preventiveEstablished, types: ['Encounter'] },
  { label: 'Preventive visit (initial)', valueSet: VS.preventiveInitial, types: ['Encounter'] },
  { label: 'Home healthcare services', valueSet: VS.homeHealthcare, types: ['Encounter'] },
  { label: 'Telephone visit', valueSet: VS.telephoneVisits, types: ['Encounter'] },
  { label: 'Virtual encounter', valueSet: VS.virtualEncounter, types: ['Encounter'] },
];

/** The four shared exclusions most 2025 eCQMs apply. */
export const ALL_SHARED = ['hospice', 'palliative-care', 'frailty-advanced-illness', 'long-term-care'] as const;

/** SNOMED CT, for action codes. */
export const SCT = SYSTEMS.snomed;
/** LOINC, for action codes. */
export const LOINC = SYSTEMS.loinc;
