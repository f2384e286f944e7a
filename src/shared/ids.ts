/**
 * Branded identifiers: a patient id cannot be passed where an encounter id is expected.
 * Brand only after validation at a trust boundary (launch context, audit request).
 */
declare const brand: unique symbol;
export type Brand<T, B extends string> = T & { readonly [brand]: B };

export type PatientId = Brand<string, 'PatientId'>;
export type EncounterId = Brand<string, 'EncounterId'>;
/** A FHIR reference to the user, e.g. `Practitioner/123`. */
export type FhirUserRef = Brand<string, 'FhirUserRef'>;

/** FHIR `id` datatype: 1–64 of [A-Za-z0-9\-.]. */
export const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

export function asPatientId(id: string): PatientId | null {
  return FHIR_ID.test(id) ? (id as PatientId) : null;
}
export function asEncounterId(id: string): EncounterId | null {
  return FHIR_ID.test(id) ? (id as EncounterId) : null;
}
export function asFhirUserRef(ref: string): FhirUserRef | null {
  return /^(?:https?:\/\/\S+\/)?(Practitioner|PractitionerRole|Patient|RelatedPerson|Person)\/[A-Za-z0-9\-.]{1,64}$/.test(ref)
    ? (ref as FhirUserRef)
    : null;
}
