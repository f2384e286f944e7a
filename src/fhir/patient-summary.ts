import type { HumanName, Patient } from '@medplum/fhirtypes';
import { ageOn } from '../shared/age';

/** What the banner shows of a patient, derived from the resource as plain text. */
export interface PatientSummary {
  name: string;
  /** Whole years on `asOf`, or null without a usable birthDate. */
  age: number | null;
  birthDate: string | null;
  sex: 'female' | 'male' | 'other' | 'unknown';
}

function pickName(names: readonly HumanName[] | undefined): HumanName | undefined {
  if (!names?.length) return undefined;
  return names.find((n) => n.use === 'official') ?? names.find((n) => n.use === 'usual') ?? names.find((n) => n.use !== 'old') ?? names[0];
}

export function displayName(patient: Patient): string {
  const name = pickName(patient.name);
  if (!name) return 'Unnamed patient';
  if (name.text?.trim()) return name.text.trim();
  const parts = [...(name.given ?? []), name.family ?? ''].map((p) => p.trim()).filter(Boolean);
  return parts.length ? parts.join(' ') : 'Unnamed patient';
}

export function summarizePatient(patient: Patient, asOf: string): PatientSummary {
  const gender = patient.gender;
  return {
    name: displayName(patient),
    age: patient.birthDate ? ageOn(patient.birthDate, asOf) : null,
    birthDate: patient.birthDate ?? null,
    sex: gender === 'female' || gender === 'male' || gender === 'other' ? gender : 'unknown',
  };
}
