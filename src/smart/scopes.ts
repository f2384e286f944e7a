// zod/mini: this schema is built on launch.html, where every kilobyte and millisecond is on the
// clinician's wait (see README, "launch path").
import * as z from 'zod/mini';
import { formatScopeV1, parseScope, resourceScope } from '../shared/smart-scopes';

/** The parts of `.well-known/smart-configuration` the app reads (SMART App Launch 2.x §Discovery). */
export const smartConfigurationSchema = z.looseObject({
  issuer: z.optional(z.string()),
  authorization_endpoint: z.string(),
  token_endpoint: z.string(),
  capabilities: z._default(z.array(z.string()), []),
  scopes_supported: z.optional(z.array(z.string())),
  code_challenge_methods_supported: z._default(z.array(z.string()), []),
});
export type SmartConfiguration = z.infer<typeof smartConfigurationSchema>;

export type LaunchKind = 'ehr' | 'standalone';

/**
 * True when the server speaks SMART v2 scopes: it says `permission-v2`, or lists a v2-style scope.
 * A server that says nothing either way is assumed to be v2, the current standard.
 */
export function supportsV2(config: SmartConfiguration): boolean {
  if (config.capabilities.includes('permission-v2')) return true;
  const listed = (config.scopes_supported ?? []).flatMap((s) => resourceScope(s) ?? []);
  if (listed.some((s) => s.syntax === 'v2')) return true;
  const saysV1 = config.capabilities.includes('permission-v1') || listed.some((s) => s.syntax === 'v1');
  return !saysV1;
}

/**
 * Converts v2 scopes to their v1 form: read and search become `.read`; create, update and
 * delete become `.write`. Non-resource scopes, scopes with a `?` query (v1 has no way to narrow
 * them) and strings that are not scopes are unchanged.
 * @example toV1Scopes(['patient/Task.rs', 'patient/Task.cu']) // ['patient/Task.read', 'patient/Task.write']
 */
export function toV1Scopes(scopes: readonly string[]): string[] {
  const out = scopes.flatMap((raw) => {
    const parsed = parseScope(raw);
    return parsed.ok ? formatScopeV1(parsed.scope) : [raw];
  });
  return [...new Set(out)];
}

/**
 * The scope string to request: the configured v2 scopes, the launch scopes for the launch kind
 * (`launch` for an EHR launch; `launch/patient` and `launch/encounter` for a standalone one, so
 * that what Careloop writes names the encounter wherever the EHR gives one), converted to v1 where
 * the server advertises only v1.
 */
export function requestedScopes(configured: readonly string[], kind: LaunchKind, server: SmartConfiguration): string {
  const launch = kind === 'ehr' ? ['launch'] : ['launch/patient', 'launch/encounter'];
  const base = [...launch, ...configured.filter((s) => !s.startsWith('launch'))];
  const scopes = supportsV2(server) ? base : toV1Scopes(base);
  return [...new Set(scopes)].join(' ');
}
