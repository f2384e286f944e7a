import type { Encounter, HumanName, Resource } from '@medplum/fhirtypes';
import { useQuery } from '@tanstack/react-query';
import { fhirGet } from '../../fhir/gateway.ts';
import { useEncounter } from '../../fhir/get-encounter.ts';
import { useSession } from '../../fhir/session-context.tsx';
import { permits } from '../../shared/smart-scopes.ts';

/** "Dr. Elizabeth Blackwell" from a HumanName: its text, else prefix, given and family names. */
export function formatHumanName(name: HumanName | undefined): string | null {
  if (!name) return null;
  if (name.text?.trim()) return name.text.trim();
  const words = [...(name.prefix ?? []), ...(name.given ?? []), name.family ?? ''].map((w) => w.trim()).filter(Boolean);
  return words.length ? words.join(' ') : null;
}

/** The name on a Practitioner, PractitionerRole-less person resource or Patient: the official one first. */
export function nameOfResource(resource: Resource | undefined): string | null {
  if (!resource || !('name' in resource) || !Array.isArray(resource.name)) return null;
  const names = resource.name as HumanName[];
  return formatHumanName(names.find((n) => n.use === 'official') ?? names[0]);
}

/** The display the EHR gave for the same user as a participant of the encounter in context. */
export function participantDisplay(encounter: Encounter | undefined, fhirUser: string): string | null {
  const match = encounter?.participant?.find((p) => p.individual?.reference === fhirUser && p.individual.display?.trim());
  return match?.individual?.display?.trim() ?? null;
}

/** Whether the granted scopes let Careloop read the user's own resource (`user/Practitioner.r` …). */
function mayRead(scopes: readonly string[], type: string): boolean {
  return permits(scopes, { context: 'user', type, interaction: 'r' }) || permits(scopes, { context: 'system', type, interaction: 'r' });
}

/**
 * Who is signed in, in words: the id_token's `name` claim, else the name on the `fhirUser` resource
 * (read when the scopes allow it), else the display the EHR gave for that user on the encounter in
 * context; the bare reference only as the last resort. Null when the EHR named no user.
 */
export function useUserName(): string | null {
  const { context, fhir } = useSession();
  const encounter = useEncounter();
  const user = context.fhirUser;
  const type = user?.split('/')[0] ?? '';
  const resource = useQuery({
    queryKey: ['fhir', 'fhirUser', user],
    queryFn: ({ signal }) => fhirGet<Resource>(fhir, user ?? '', signal),
    enabled: user !== null && !context.userName && mayRead(context.scopes, type),
    retry: false,
    staleTime: Infinity,
  });
  if (user === null) return context.userName ?? null;
  return context.userName || nameOfResource(resource.data) || participantDisplay(encounter.data, user) || user;
}
