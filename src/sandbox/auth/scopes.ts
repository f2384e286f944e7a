/**
 * SMART scopes, v1 (`patient/Task.read`, `patient/*.write`) and v2 (`patient/Task.rs`), parsed into
 * one form so granting and enforcement do not care which syntax a client used.
 * See SMART App Launch 2.x, "Scopes and Launch Context".
 */

export type Permission = 'c' | 'r' | 'u' | 'd' | 's';
export type ScopeContext = 'patient' | 'user' | 'system';

export interface ResourceScope {
  readonly raw: string;
  readonly context: ScopeContext;
  /** A resource type or `*`. */
  readonly type: string;
  readonly permissions: ReadonlySet<Permission>;
}

const ORDER: readonly Permission[] = ['c', 'r', 'u', 'd', 's'];

/** Parses one resource scope; null for non-resource scopes (`openid`, `launch`, …) or malformed ones. */
export function parseResourceScope(raw: string): ResourceScope | null {
  const m = /^(patient|user|system)\/(\*|[A-Z][A-Za-z]+)\.(read|write|\*|c?r?u?d?s?)(?:\?.*)?$/.exec(raw);
  if (!m || m[3] === '') return null;
  const [, context, type, perms] = m as unknown as [string, ScopeContext, string, string];
  const permissions = new Set<Permission>(
    perms === 'read' ? ['r', 's'] : perms === 'write' ? ['c', 'u', 'd'] : perms === '*' ? ORDER : (perms.split('') as Permission[]),
  );
  return { raw, context, type, permissions };
}

/** Non-resource scopes the server knows. */
export const SPECIAL_SCOPES = ['openid', 'fhirUser', 'profile', 'launch', 'launch/patient', 'launch/encounter', 'online_access', 'offline_access'] as const;

export function isKnownScope(raw: string): boolean {
  return (SPECIAL_SCOPES as readonly string[]).includes(raw) || parseResourceScope(raw) !== null;
}

/** Whether scope `a` grants everything `b` asks for. */
function covers(a: ResourceScope, b: ResourceScope): boolean {
  if (a.context !== b.context) return false;
  if (a.type !== '*' && a.type !== b.type) return false;
  for (const p of b.permissions) if (!a.permissions.has(p)) return false;
  return true;
}

/**
 * The scopes to grant: each requested scope the client is allowed, and only those
 * (granted ⊆ requested ∩ allowed). Unknown scopes are dropped.
 */
export function grantScopes(requested: readonly string[], allowed: readonly string[]): string[] {
  const allowedResource = allowed.flatMap((s) => parseResourceScope(s) ?? []);
  const granted: string[] = [];
  for (const raw of requested) {
    if (granted.includes(raw)) continue;
    const rs = parseResourceScope(raw);
    if (rs) {
      if (allowedResource.some((a) => covers(a, rs))) granted.push(raw);
    } else if ((SPECIAL_SCOPES as readonly string[]).includes(raw) && allowed.includes(raw)) {
      granted.push(raw);
    }
  }
  return granted;
}

/** Splits a space-separated scope string. */
export function splitScopes(scope: string | undefined): string[] {
  return (scope ?? '').split(/\s+/).filter((s) => s.length > 0);
}

/** Whether the granted scopes allow `permission` on `type` in `context`. */
export function allows(granted: readonly string[], context: ScopeContext, type: string, permission: Permission): boolean {
  return granted.some((raw) => {
    const s = parseResourceScope(raw);
    return s !== null && s.context === context && (s.type === '*' || s.type === type) && s.permissions.has(permission);
  });
}

/** The v2 forms of every permission combination the server supports, for `scopes_supported`. */
export const SUPPORTED_SCOPES_V2 = [
  ...SPECIAL_SCOPES,
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
