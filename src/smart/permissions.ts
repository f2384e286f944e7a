// zod-free and React-free: read on index.html's entry path (which record types to ask for) and by
// the card (whether to offer a write).
import type { FhirUserRef } from '../shared/ids.ts';
import { narrowedTo, permits, type Interaction } from '../shared/smart-scopes.ts';

export type { Interaction };

/**
 * Whether granted scopes allow an interaction on a resource type, in the patient's or the user's
 * context (Careloop acts for a clinician with a patient open, never as a system); SMART v2
 * (`patient/Task.cu`, `patient/*.rs`) and v1 (`patient/Task.read`, `user/*.write`, `patient/*.*`)
 * alike. A v2 scope with a query (`patient/Observation.rs?category=…`) counts: the server narrows
 * what it returns (see {@link searchNarrowedTo}).
 * @example scopeAllows(['patient/Task.cu'], 'Task', 'c') // true
 */
export function scopeAllows(granted: readonly string[], type: string, interaction: Interaction): boolean {
  return permits(granted, { context: 'patient', type, interaction }) || permits(granted, { context: 'user', type, interaction });
}

/** The resource type of a fhirUser reference (`Practitioner/1`, or an absolute URL ending so). */
export function fhirUserType(user: FhirUserRef | string | null): string | null {
  if (!user) return null;
  const parts = user.split('/');
  return parts.length >= 2 ? (parts[parts.length - 2] ?? null) : null;
}

/**
 * Careloop acts only for a clinician: its write-back names the user as the requester of an order
 * and the author of its Provenance. SMART 2.x lets `fhirUser` be a Practitioner, PractitionerRole,
 * Patient, RelatedPerson or Person; only the first two are clinicians.
 */
export function isClinician(user: FhirUserRef | string | null): boolean {
  const type = fhirUserType(user);
  return type === 'Practitioner' || type === 'PractitionerRole';
}

/** Why Careloop may not write an action back, or null when it may. */
export type WriteBlock =
  /** The user is not a clinician (a patient portal, a relative) or the EHR named no user. */
  | { kind: 'not-clinician'; userType: string | null }
  /** The EHR did not grant the scopes the write needs (the token's `scope`). */
  | { kind: 'missing-scope'; scopes: string[] };

/**
 * Whether Careloop may write the action resource of a gap (a Task or a ServiceRequest) and its
 * Provenance, for this user and these granted scopes.
 * @example writeBlock('Practitioner/1', ['patient/Task.rs'], 'Task') // { kind: 'missing-scope', scopes: ['patient/Task.c', 'patient/Provenance.c'] }
 */
export function writeBlock(user: FhirUserRef | string | null, granted: readonly string[], resourceType: 'Task' | 'ServiceRequest'): WriteBlock | null {
  if (!isClinician(user)) return { kind: 'not-clinician', userType: fhirUserType(user) };
  const missing = [resourceType, 'Provenance'].filter((type) => !scopeAllows(granted, type, 'c')).map((type) => `patient/${type}.c`);
  return missing.length ? { kind: 'missing-scope', scopes: missing } : null;
}

/** Whether the granted scopes let Careloop search a resource type in the patient's record. */
export function canSearch(granted: readonly string[], type: string): boolean {
  return scopeAllows(granted, type, 's');
}

/**
 * The queries a search of `type` in the patient's record is narrowed to by the granted scopes
 * (`patient/Observation.rs?category=laboratory` → `['category=laboratory']`), or null when a scope
 * lets Careloop search the type whole. A narrowed type is read only in part: the server returns
 * only what a query matches, so the rules that need the type cannot tell "not on record" from
 * "not shown to Careloop".
 */
export function searchNarrowedTo(granted: readonly string[], type: string): string[] | null {
  return narrowedTo(granted, { context: ['patient', 'user'], type, interaction: 's' });
}
