import type Client from 'fhirclient/lib/Client';
import { ready } from 'fhirclient/lib/smart';
import { asEncounterId, asFhirUserRef, asPatientId, type EncounterId, type FhirUserRef, type PatientId } from '../shared/ids';
import { createAdapter } from './adapter';
import { claimLaunch, memoryLaunchStorage, type LaunchKeeping } from './launch-handoff';
import { clientGateway, type FhirGateway } from './fhir-gateway';
import { ProblemError } from '../shared/problem';

/** The launch context the EHR granted, validated (SMART App Launch 2.x §Launch context). */
export interface LaunchContext {
  patientId: PatientId;
  encounterId: EncounterId | null;
  /** The user, from the `fhirUser` claim of the id_token (decoded, not verified: see README). */
  fhirUser: FhirUserRef | null;
  /** The user's name from the id_token's `name` claim (OpenID Connect, `profile` scope), if any. */
  userName?: string | null;
  /** Show our own compact banner only when the EHR asks for it. */
  needPatientBanner: boolean;
  smartStyleUrl: string | null;
  intent: string | null;
  tenant: string | null;
  /** Scopes actually granted (the token's `scope`; the requested scopes when it has none). */
  scopes: readonly string[];
  serverUrl: string;
  /** Opaque key of this launch (the OAuth state); keys per-launch UI state. Not a secret. */
  launchKey: string;
}

export interface SmartSession {
  context: LaunchContext;
  /** The FHIR gateway for this launch, with the deployment's per-request timeout. */
  connect(timeoutMs: number): FhirGateway;
  /** The current access token (refreshed first when due), for the audit API; null without one. */
  accessToken(): Promise<string | null>;
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}

/** Builds the launch context from an authorized client; throws `no-patient` when there is none. */
export function contextFrom(client: Client): LaunchContext {
  const token = client.state.tokenResponse ?? {};
  const patientId = asPatientId(client.getPatientId() ?? '');
  if (!patientId) throw new ProblemError({ kind: 'no-patient' });
  const encounter = client.getEncounterId();
  let fhirUser: string | null = null;
  try {
    fhirUser = client.getFhirUser();
  } catch {
    fhirUser = null;
  }
  let userName: string | null = null;
  try {
    const claims: unknown = client.getIdToken();
    const name = claims && typeof claims === 'object' && 'name' in claims ? claims.name : null;
    userName = typeof name === 'string' && name.trim() ? name.trim().slice(0, 200) : null;
  } catch {
    userName = null;
  }
  return {
    patientId,
    encounterId: encounter ? asEncounterId(encounter) : null,
    fhirUser: fhirUser ? asFhirUserRef(fhirUser) : null,
    userName,
    needPatientBanner: token.need_patient_banner === true,
    smartStyleUrl: stringOrNull(token.smart_style_url),
    intent: stringOrNull(token.intent),
    tenant: stringOrNull(token.tenant),
    // No `scope` in the token response means the scopes asked for were granted (RFC 6749 §5.1).
    scopes: (stringOrNull(token.scope) ?? stringOrNull(client.state.scope) ?? '').split(/\s+/).filter(Boolean),
    serverUrl: String(client.state.serverUrl),
    launchKey: String(client.state.key ?? ''),
  };
}

/**
 * The most characters of a server's error text Careloop keeps: a bound against abuse only, far
 * above any real `error_description` (which is shown whole).
 */
const MAX_ERROR_TEXT = 64 * 1024;

function bounded(text: string): string {
  return text.length > MAX_ERROR_TEXT ? `${text.slice(0, MAX_ERROR_TEXT)}…` : text;
}

function nullIfEmpty(text: string | null): string | null {
  return text ? bounded(text) : null;
}

/**
 * The token endpoint's refusal from fhirclient's HttpError, whose message it builds as
 * `<status> <statusText>\nURL: <url>\n<error>: <error_description>` from an OAuth error body
 * (RFC 6749 §5.2), or with the body's text after a blank line otherwise. Null for anything else.
 */
export function tokenErrorFrom(cause: unknown): { error: string; description: string | null; status: number } | null {
  if (!(cause instanceof Error)) return null;
  const status = (cause as { status?: unknown }).status;
  if (typeof status !== 'number') return null;
  const body = cause.message.split('\n').slice(2).join('\n');
  if (body.startsWith('\n') || body === '') return { error: `HTTP ${status}`, description: nullIfEmpty(body.trim()), status };
  const colon = body.indexOf(': ');
  if (colon < 0) return { error: bounded(body), description: null, status };
  return { error: bounded(body.slice(0, colon)), description: nullIfEmpty(body.slice(colon + 2)), status };
}

/**
 * Completes the launch on index.html (the redirect URI): exchanges the code for a token, or, on a
 * reload, resumes the launch named by the `state` in the URL. Every failure becomes a Problem.
 * It needs nothing from the deployment config (fhirclient kept client id, endpoints and PKCE
 * verifier with the launch), so it runs while the config is still loading.
 * @param search the page's query string (location.search)
 * @param keeping where launch.html kept the launch record: sessionStorage, or Careloop's server
 * (claimed once into page memory; the tokens then never touch the browser's storage)
 */
export async function completeLaunch(search: string, now: () => number = Date.now, keeping: LaunchKeeping = { kind: 'session' }): Promise<SmartSession> {
  const query = new URLSearchParams(search);
  const error = query.get('error');
  if (error) {
    throw new ProblemError({ kind: 'auth-denied', stage: 'authorize', error: bounded(error), description: nullIfEmpty(query.get('error_description')), status: null });
  }
  const state = query.get('state');
  if (!state) throw new ProblemError({ kind: 'no-launch' });
  let storage: ReturnType<typeof memoryLaunchStorage> | undefined;
  if (keeping.kind === 'server') {
    storage = memoryLaunchStorage();
    await storage.set(state, await claimLaunch(keeping, state));
  } else if (!sessionStorage.getItem(state)) {
    throw new ProblemError({ kind: 'state-missing' });
  }

  let client: Client;
  try {
    client = await ready(createAdapter(storage), { stateKey: state });
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : '';
    if (/No state found/i.test(message)) throw new ProblemError({ kind: 'state-missing' });
    const refused = tokenErrorFrom(cause);
    if (refused) throw new ProblemError({ kind: 'auth-denied', stage: 'token', ...refused });
    if (/Failed to fetch|NetworkError|Load failed/i.test(message)) {
      throw new ProblemError({ kind: 'offline', url: 'the authorization server' });
    }
    throw new ProblemError({ kind: 'auth-denied', stage: 'token', error: 'no_access_token', description: 'The EHR answered the token request without an access token.', status: null });
  }
  const expiresAt = Number(client.state.expiresAt ?? 0);
  if (expiresAt && expiresAt <= now() / 1000 && !client.state.tokenResponse?.refresh_token) {
    throw new ProblemError({ kind: 'session-expired' });
  }
  return {
    context: contextFrom(client),
    connect: (timeoutMs) => clientGateway(client, timeoutMs, now),
    async accessToken() {
      try {
        await client.refreshIfNeeded();
      } catch {
        // an expired session: the audit client keeps its events and retries later
      }
      const token: unknown = client.state.tokenResponse?.access_token;
      return typeof token === 'string' ? token : null;
    },
  };
}
