/**
 * SMART App Launch scopes (2.2, "Scopes and Launch Context"): the one parser, formatter and
 * permission check shared by the app, the sandbox EHR and the audit server.
 *
 * - A resource scope is `patient|user|system` `/` a resource type or `*` `.` its permissions: a
 *   non-empty subset of `cruds`, each letter at most once and in that order (`.rs`, never `.sr` or
 *   `.`), optionally followed by `?param=value&…` to narrow which resources it covers.
 * - The v1 suffixes mean their v2 equivalents: `.read` ⇒ `.rs`, `.write` ⇒ `.cud`, `.*` ⇒ `.cruds`.
 * - Scopes with a meaning of their own: `openid`, `fhirUser`, `profile`, `launch`,
 *   `launch/patient`, `launch/encounter`, `online_access`, `offline_access`.
 *
 * zod-free and dependency-free: it runs on the launch path, where every kilobyte counts.
 */

export type ScopeContext = 'patient' | 'user' | 'system';

/** A FHIR interaction as v2 scopes name it: create, read, update, delete, search. */
export type Interaction = 'c' | 'r' | 'u' | 'd' | 's';

/** The interactions in the order a scope lists them. */
export const INTERACTIONS: readonly Interaction[] = ['c', 'r', 'u', 'd', 's'];

const CONTEXTS: readonly ScopeContext[] = ['patient', 'user', 'system'];

/** Scopes that are not about resources: identity, launch context, refresh tokens. */
export const NAMED_SCOPES = ['openid', 'fhirUser', 'profile', 'launch', 'launch/patient', 'launch/encounter', 'online_access', 'offline_access'] as const;
export type NamedScopeName = (typeof NAMED_SCOPES)[number];

/** Access to resources: `patient/Observation.rs?category=laboratory` or v1 `patient/Task.read`. */
export interface ResourceScope {
  readonly kind: 'resource';
  readonly context: ScopeContext;
  /** A FHIR resource type (`Task`) or `*` for every type. */
  readonly type: string;
  /** Never empty; in `cruds` order; a v1 suffix already mapped (`.read` → `['r', 's']`). */
  readonly interactions: readonly Interaction[];
  /** The search parameters after `?`, without it (`category=laboratory`); null when none. */
  readonly query: string | null;
  /** How it was written: `v1` for `.read`, `.write` and `.*`. */
  readonly syntax: 'v1' | 'v2';
}

export interface NamedScope {
  readonly kind: 'named';
  readonly name: NamedScopeName;
}

export type SmartScope = ResourceScope | NamedScope;

/** A parsed scope, or what is wrong with it in words (`"sr" is out of order: write "rs"`). */
export type ScopeParse = { readonly ok: true; readonly scope: SmartScope } | { readonly ok: false; readonly problem: string };

const V1: Readonly<Record<string, readonly Interaction[]>> = { read: ['r', 's'], write: ['c', 'u', 'd'], '*': INTERACTIONS };
const RESOURCE_TYPE = /^[A-Z][A-Za-z]+$/;
/** RFC 6749 §3.3 scope-token: printable ASCII except space, `"` and `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
const QUERY_PART = /^[^=&]+=[^&]+$/;

const fail = (problem: string): ScopeParse => ({ ok: false, problem });

/**
 * Parses one scope.
 * @example parseScope('patient/Task.read') // { ok: true, scope: { kind: 'resource', context: 'patient', type: 'Task', interactions: ['r', 's'], query: null, syntax: 'v1' } }
 * @example parseScope('patient/Task.sr') // { ok: false, problem: '"sr" is out of order: write "rs" (permissions appear once each, in the order c, r, u, d, s)' }
 */
export function parseScope(raw: string): ScopeParse {
  if (raw === '') return fail('is empty');
  if (/\s/.test(raw)) return fail('contains a space: scopes are separated by spaces, so this is more than one scope');
  if (!SCOPE_TOKEN.test(raw)) return fail('contains a character a scope may not (only printable ASCII other than " and \\)');
  if ((NAMED_SCOPES as readonly string[]).includes(raw)) return { ok: true, scope: { kind: 'named', name: raw as NamedScopeName } };
  if (raw.startsWith('launch/')) return fail(`"${raw}" is not a launch context this app knows (launch/patient, launch/encounter)`);
  const slash = raw.indexOf('/');
  if (slash < 0) {
    return fail(`"${raw}" is neither a resource scope (e.g. "patient/Task.rs") nor one of ${NAMED_SCOPES.join(', ')}`);
  }
  const context = raw.slice(0, slash);
  if (!(CONTEXTS as readonly string[]).includes(context)) return fail(`"${context}" is not a scope context (patient, user or system)`);
  const rest = raw.slice(slash + 1);
  const q = rest.indexOf('?');
  const body = q < 0 ? rest : rest.slice(0, q);
  const query = q < 0 ? null : rest.slice(q + 1);
  const dot = body.indexOf('.');
  if (dot < 0) return fail(`has no "." between the resource type and the permissions (e.g. "${context}/Task.rs")`);
  const type = body.slice(0, dot);
  const perms = body.slice(dot + 1);
  if (type !== '*' && !RESOURCE_TYPE.test(type)) return fail(`"${type}" is not a FHIR resource type (e.g. "Task") or "*"`);
  if (perms === '') return fail('names no permissions after "." (use a subset of "cruds" in that order, e.g. ".rs")');

  let interactions: readonly Interaction[];
  let syntax: ResourceScope['syntax'];
  const v1 = Object.hasOwn(V1, perms) ? V1[perms] : undefined;
  if (v1) {
    if (query !== null) return fail(`a v1 permission (".${perms}") takes no "?" query; use the v2 form`);
    interactions = v1;
    syntax = 'v1';
  } else {
    const unknown = [...perms].find((p) => !(INTERACTIONS as readonly string[]).includes(p));
    if (unknown !== undefined) {
      return fail(`"${unknown}" is not a permission: use a subset of "cruds" (create, read, update, delete, search), or v1 ".read", ".write", ".*"`);
    }
    const inOrder = INTERACTIONS.filter((i) => perms.includes(i));
    if (inOrder.join('') !== perms) {
      return fail(`"${perms}" is out of order: write "${inOrder.join('')}" (permissions appear once each, in the order c, r, u, d, s)`);
    }
    interactions = inOrder;
    syntax = 'v2';
  }

  if (query !== null) {
    if (query === '') return fail('has "?" but no search parameters after it (e.g. "?category=laboratory")');
    const bad = query.split('&').find((part) => !QUERY_PART.test(part));
    if (bad !== undefined) return fail(`"${bad}" in the query is not param=value`);
  }
  return { ok: true, scope: { kind: 'resource', context: context as ScopeContext, type, interactions, query, syntax } };
}

/** The resource scope `raw` is, or null (a named scope, or not a scope at all). */
export function resourceScope(raw: string): ResourceScope | null {
  const parsed = parseScope(raw);
  return parsed.ok && parsed.scope.kind === 'resource' ? parsed.scope : null;
}

/** Whether `raw` is a scope this grammar knows (resource or named). */
export function isScope(raw: string): boolean {
  return parseScope(raw).ok;
}

/**
 * Writes a scope in v2 form: a v1 `.read` comes back as `.rs`.
 * @example formatScope({ kind: 'resource', context: 'patient', type: 'Task', interactions: ['c', 'u'], query: null, syntax: 'v2' }) // 'patient/Task.cu'
 */
export function formatScope(scope: SmartScope): string {
  if (scope.kind === 'named') return scope.name;
  const interactions = INTERACTIONS.filter((i) => scope.interactions.includes(i)).join('');
  return `${scope.context}/${scope.type}.${interactions}${scope.query === null ? '' : `?${scope.query}`}`;
}

/**
 * The v1 form(s) of a scope, for a server that speaks only v1: read and search become `.read`;
 * create, update and delete become `.write` (v1 cannot say less). A scope with a query has no v1
 * form (v1 would widen it to the whole type), so it is written as it is; so are named scopes.
 * @example formatScopeV1({ kind: 'resource', context: 'patient', type: 'Task', interactions: ['c', 'r', 's'], query: null, syntax: 'v2' }) // ['patient/Task.read', 'patient/Task.write']
 */
export function formatScopeV1(scope: SmartScope): string[] {
  if (scope.kind === 'named' || scope.query !== null) return [formatScope(scope)];
  const out: string[] = [];
  const has = (i: Interaction) => scope.interactions.includes(i);
  if (has('r') || has('s')) out.push(`${scope.context}/${scope.type}.read`);
  if (has('c') || has('u') || has('d')) out.push(`${scope.context}/${scope.type}.write`);
  return out;
}

/** Splits a space-separated scope string (the OAuth `scope` parameter). */
export function splitScopes(scope: string | null | undefined): string[] {
  return (scope ?? '').split(/\s+/).filter((s) => s.length > 0);
}

/** What is being done: an interaction on a resource type, in a context. */
export interface ScopeRequest {
  readonly context: ScopeContext;
  readonly type: string;
  readonly interaction: Interaction;
}

function resourceScopes(granted: readonly string[]): ResourceScope[] {
  return granted.flatMap((raw) => resourceScope(raw) ?? []);
}

function allowsOne(scope: ResourceScope, request: ScopeRequest): boolean {
  return scope.context === request.context && (scope.type === '*' || scope.type === request.type) && scope.interactions.includes(request.interaction);
}

/**
 * Whether the granted scopes permit an interaction on a resource type in a context: `*` covers
 * every type; v1 and v2 alike. A scope narrowed by a query (`patient/Observation.rs?category=…`)
 * counts: the query limits which resources, and it is the resource server's to apply.
 * Malformed scopes permit nothing.
 * @example permits(['patient/Task.cu'], { context: 'patient', type: 'Task', interaction: 'c' }) // true
 * @example permits(['patient/*.read'], { context: 'patient', type: 'Task', interaction: 'c' }) // false
 */
export function permits(granted: readonly string[], request: ScopeRequest): boolean {
  return resourceScopes(granted).some((scope) => allowsOne(scope, request));
}

/**
 * Which resources of a type the granted scopes let a request reach, in any of the given contexts:
 * `null` when a permitting scope has no query (all of them), else the queries of the permitting
 * scopes, any of which a resource must match (SMART 2.2: a scope's query narrows it; scopes add
 * up). Empty when none permits.
 * @example narrowedTo(['patient/Observation.rs?category=laboratory'], { context: 'patient', type: 'Observation', interaction: 's' }) // ['category=laboratory']
 * @example narrowedTo(['patient/*.rs', 'user/Observation.rs?category=laboratory'], { context: ['patient', 'user'], type: 'Observation', interaction: 's' }) // null
 */
export function narrowedTo(granted: readonly string[], request: Omit<ScopeRequest, 'context'> & { readonly context: ScopeContext | readonly ScopeContext[] }): string[] | null {
  const contexts: readonly ScopeContext[] = typeof request.context === 'string' ? [request.context] : request.context;
  const permitting = resourceScopes(granted).filter((scope) => contexts.some((context) => allowsOne(scope, { ...request, context })));
  if (permitting.some((scope) => scope.query === null)) return null;
  return [...new Set(permitting.map((scope) => scope.query ?? ''))];
}

/**
 * Whether the scopes `held` give everything the scope `requested` asks for, taken together
 * ("Scope Equivalence": `Observation.r Observation.s` gives `Observation.rs`): a named scope only
 * by itself; a resource scope when each of its interactions is permitted by a held scope of the
 * same context and type (or `*`) that is not narrower — a held scope with a query covers only a
 * request with the same query.
 * @example covers(['patient/*.cruds'], 'patient/Task.read') // true
 * @example covers(['patient/Observation.rs?category=laboratory'], 'patient/Observation.rs') // false
 */
export function covers(held: readonly string[], requested: string): boolean {
  const parsed = parseScope(requested);
  if (!parsed.ok) return false;
  const want = parsed.scope;
  if (want.kind === 'named') return held.includes(want.name);
  const usable = resourceScopes(held).filter((h) => h.query === null || h.query === want.query);
  return want.interactions.every((interaction) => usable.some((h) => allowsOne(h, { context: want.context, type: want.type, interaction })));
}
