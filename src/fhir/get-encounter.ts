import { queryOptions, useQuery } from '@tanstack/react-query';
import type { Encounter } from '@medplum/fhirtypes';
import type { EncounterId } from '../shared/ids';
import { FhirRequestError, fhirGet, type FhirGateway } from './gateway';
import { fhirKeys } from './keys';
import { useSession } from './session-context';

export async function getEncounter(gateway: FhirGateway, id: EncounterId, signal?: AbortSignal): Promise<Encounter> {
  const body = await fhirGet<unknown>(gateway, `Encounter/${encodeURIComponent(id)}`, signal);
  if (!body || typeof body !== 'object' || (body as Encounter).resourceType !== 'Encounter') {
    throw new FhirRequestError({ kind: 'server-error', what: 'Encounter', status: 200 }, 200, 'The server did not return an Encounter.');
  }
  return body as Encounter;
}

export const encounterQuery = (gateway: FhirGateway, id: EncounterId) =>
  queryOptions({ queryKey: fhirKeys.encounter(id), queryFn: ({ signal }) => getEncounter(gateway, id, signal) });

/** The encounter in context, or an idle query when the EHR launched without one. */
export function useEncounter() {
  const { fhir, context } = useSession();
  const id = context.encounterId;
  return useQuery({
    ...encounterQuery(fhir, id ?? ('' as EncounterId)),
    enabled: id !== null,
  });
}
