import { queryOptions, useQuery } from '@tanstack/react-query';
import type { EncounterId } from '../shared/ids.ts';
import { getEncounter } from './fetchers.ts';
import type { FhirGateway } from './gateway.ts';
import { fhirKeys } from './keys.ts';
import { useSession } from './session-context.tsx';

export { getEncounter };

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
