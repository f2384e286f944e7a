/**
 * What the sandbox's authorization server grants. The grammar (v1 `patient/Task.read` and v2
 * `patient/Task.rs` alike) is the shared one in `src/shared/smart-scopes.ts`, so granting and
 * enforcement do not care which syntax a client used.
 */
import { covers, NAMED_SCOPES, resourceScope } from '../../shared/smart-scopes.ts';

/**
 * The scopes to grant: each requested scope the client is allowed, as the client wrote it, and
 * only those (granted ⊆ requested ∩ allowed). A requested resource scope is allowed when the
 * allowed scopes together cover it (`patient/Task.r patient/Task.s` cover `patient/Task.rs`);
 * unknown and malformed scopes are dropped.
 */
export function grantScopes(requested: readonly string[], allowed: readonly string[]): string[] {
  const granted: string[] = [];
  for (const raw of requested) {
    if (!granted.includes(raw) && covers(allowed, raw)) granted.push(raw);
  }
  return granted;
}

/**
 * A launch's grant within `limit` (the EHR's policy for it): each granted scope the limit covers;
 * and for one it covers only with a query, the limit's narrower scopes in its place — an EHR may
 * grant less than asked, down to `patient/Observation.rs?category=laboratory` for
 * `patient/Observation.rs` (the token's `scope` says what it got).
 */
export function limitScopes(granted: readonly string[], limit: readonly string[]): string[] {
  const out = grantScopes(granted, limit);
  for (const raw of granted) {
    const asked = resourceScope(raw);
    if (!asked || out.includes(raw)) continue;
    for (const narrower of limit) {
      const l = resourceScope(narrower);
      const within = l !== null && l.query !== null && l.context === asked.context && (asked.type === '*' || asked.type === l.type) && asked.query === null;
      if (within && l.interactions.every((i) => asked.interactions.includes(i)) && !out.includes(narrower)) out.push(narrower);
    }
  }
  return out;
}

/** The v2 forms of every permission combination the server supports, for `scopes_supported`. */
export const SUPPORTED_SCOPES_V2 = [
  ...NAMED_SCOPES,
  'patient/*.cruds',
  'patient/*.rs',
  'user/*.cruds',
  'user/*.rs',
  'patient/Patient.r',
  'patient/Encounter.r',
  'patient/Task.rs',
  'patient/Task.cu',
  'patient/Observation.rs',
  'patient/Condition.rs',
  'patient/Procedure.rs',
  'patient/Immunization.rs',
  'patient/MedicationRequest.rs',
  'patient/DiagnosticReport.rs',
  'patient/ServiceRequest.rs',
  'patient/ServiceRequest.c',
  'patient/Provenance.c',
  'system/*.rs',
  'system/Task.rus',
  'system/Provenance.c',
  'system/Subscription.crud',
];
