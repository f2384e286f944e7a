/**
 * "Simulate: result arrives" for the sandbox chart: a result filed as the EHR's lab or procedure
 * interface would file it, so a person (or an end-to-end test) sees the chart change while Careloop
 * is open. Each is written through the FHIR store like any write, recorded in the write log, and
 * told to the subscription hub.
 */
import type { Observation, Procedure, Resource } from '@medplum/fhirtypes';
import { CODE } from '../../shared/cast/index.ts';
import type { EhrState } from '../state.ts';
import { summarize } from '../fhir-api/routes.ts';

/** The scenarios, by cast patient. */
export const SIMULATED_RESULTS: Readonly<Record<string, { readonly label: string; readonly build: (patient: string, at: string) => Observation | Procedure }>> = {
  ada: {
    label: 'Simulate: result arrives (FIT negative)',
    build: (patient, at) => ({ resourceType: 'Observation', status: 'final', category: [CODE.laboratory], code: CODE.fit, subject: { reference: `Patient/${patient}` }, effectiveDateTime: at, issued: at, valueString: 'Negative' }),
  },
  claude: {
    label: 'Simulate: result arrives (HbA1c 7.1 %)',
    build: (patient, at) => ({
      resourceType: 'Observation',
      status: 'final',
      category: [CODE.laboratory],
      code: CODE.hba1c,
      subject: { reference: `Patient/${patient}` },
      effectiveDateTime: at,
      issued: at,
      valueQuantity: { value: 7.1, unit: '%', system: 'http://unitsofmeasure.org', code: '%' },
    }),
  },
  donald: {
    label: 'Simulate: result arrives (colonoscopy completed)',
    build: (patient, at) => ({ resourceType: 'Procedure', status: 'completed', code: CODE.colonoscopy, subject: { reference: `Patient/${patient}` }, performedDateTime: at }),
  },
};

/** Files the patient's simulated result; null when the patient has no scenario. */
export async function simulateResult(ctx: EhrState, patient: string): Promise<Resource | null> {
  const scenario = SIMULATED_RESULTS[patient];
  if (!scenario || ctx.store.locate('Patient', patient) === undefined) return null;
  const at = new Date(ctx.now()).toISOString();
  const resource = scenario.build(patient, at);
  const [, created] = await ctx.store.handle(patient, 'POST', resource.resourceType, resource, {});
  if (!created) throw new Error('the simulated result was not stored');
  ctx.writes.push({
    at,
    interaction: 'create',
    resourceType: created.resourceType,
    reference: `${created.resourceType}/${created.id ?? ''}`,
    ...(created.meta?.versionId ? { versionId: created.meta.versionId } : {}),
    patient,
    clientId: 'sandbox-ehr',
    summary: summarize(created),
  });
  for (const listener of ctx.changeListeners) listener({ resource: created, patient, interaction: 'create' });
  return created;
}
