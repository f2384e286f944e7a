import { authorize, fetchWellKnownJson } from 'fhirclient/lib/smart';
import type { AppConfig } from '../app/config';
import { createAdapter } from './adapter';
import { handOffLaunch, memoryLaunchStorage, type LaunchKeeping } from './launch-handoff';
import { ProblemError } from '../shared/problem';
import { requestedScopes, smartConfigurationSchema, type LaunchKind } from './scopes';

/** What launch.html was opened with. */
export interface LaunchParams {
  iss: string;
  launch: string | null;
  kind: LaunchKind;
}

/**
 * Reads `iss` and `launch` from launch.html's query. `launch` means an EHR launch; `iss` alone (or
 * the configured `standaloneIss`) a standalone launch.
 */
export function readLaunchParams(search: string, config: AppConfig): LaunchParams {
  const query = new URLSearchParams(search);
  const raw = query.get('iss') ?? config.standaloneIss ?? null;
  const launch = query.get('launch');
  if (!raw) throw new ProblemError({ kind: 'no-launch' });
  const iss = parseIss(raw);
  if (launch !== null) checkLaunch(launch);
  return { iss, launch, kind: launch !== null ? 'ehr' : 'standalone' };
}

/**
 * The most characters of `launch` Careloop passes on. SMART defines `launch` as an opaque string
 * with no format and no length limit (EHRs send JWTs and encrypted blobs of several kilobytes), so
 * the only bound is against abuse, far above any real launch value.
 */
export const MAX_LAUNCH_LENGTH = 16 * 1024;

/** `launch` is opaque: only an empty value and an abusive length are refused. */
function checkLaunch(launch: string): void {
  if (launch.length === 0) throw new ProblemError({ kind: 'launch-invalid', detail: 'The "launch" parameter is empty.' });
  if (launch.length > MAX_LAUNCH_LENGTH) {
    throw new ProblemError({ kind: 'launch-invalid', detail: `The "launch" parameter is longer than ${MAX_LAUNCH_LENGTH} characters.` });
  }
}

/**
 * An `iss` as the FHIR base URL (no trailing slash). `iss` is an absolute URL (SMART App Launch
 * §Launch parameters); Careloop fetches it, so it must be http(s), and it carries no credentials and
 * no fragment. Nothing else about its form is assumed.
 */
function parseIss(raw: string): string {
  let url: URL;
  try {
    // No base: a relative value is not an absolute URL and throws.
    url = new URL(raw);
  } catch {
    throw new ProblemError({ kind: 'launch-invalid', detail: 'The "iss" parameter is not an absolute URL.' });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ProblemError({ kind: 'launch-invalid', detail: 'The "iss" parameter must be an http(s) URL.' });
  }
  if (url.username || url.password || url.hash) {
    throw new ProblemError({ kind: 'launch-invalid', detail: 'The "iss" parameter must not carry credentials or a fragment.' });
  }
  return url.href.replace(/\/$/, '');
}

/**
 * Asks the server named by launch.html's `iss` for its SMART configuration right away, while the
 * config loads: neither needs the other, and on a real network that saves a round trip.
 * fhirclient keeps the answer (or the failure) for {@link beginLaunch}, which reports it. Does
 * nothing when there is no usable `iss`; {@link readLaunchParams} reports that.
 */
export function startDiscovery(search: string): void {
  const raw = new URLSearchParams(search).get('iss');
  if (!raw) return;
  let iss: string;
  try {
    iss = parseIss(raw);
  } catch {
    return;
  }
  fetchWellKnownJson(iss, { cache: 'no-store' }).catch(() => undefined);
}

/**
 * Starts a SMART App Launch: discovers the server, picks v2 or v1 scopes, and builds the
 * authorization URL with PKCE S256 (required) and a random UUID state (122 bits of entropy, as
 * SMART 2.x asks; fhirclient's default is 16 characters). The launch record is kept as `keeping`
 * says: in sessionStorage, or handed to Careloop's server when the browser denies the iframe storage.
 * @returns the authorization URL; the caller navigates to it.
 */
export async function beginLaunch(params: LaunchParams, config: AppConfig, keeping: LaunchKeeping = { kind: 'session' }): Promise<string> {
  const wellKnown = `${params.iss}/.well-known/smart-configuration`;
  let raw: unknown;
  try {
    // fhirclient caches this response, so authorize() below does not fetch it again.
    raw = await fetchWellKnownJson(params.iss, { cache: 'no-store' });
  } catch (error) {
    const detail = error instanceof Error ? error.message : '';
    throw new ProblemError(
      /Failed to fetch|NetworkError|Load failed|ECONNREFUSED/i.test(detail)
        ? { kind: 'offline', url: wellKnown }
        : { kind: 'discovery-failed', url: wellKnown, detail: 'The server did not return a SMART configuration.' },
    );
  }
  const server = smartConfigurationSchema.safeParse(raw);
  if (!server.success) {
    throw new ProblemError({ kind: 'discovery-failed', url: wellKnown, detail: 'The SMART configuration lacks its endpoints.' });
  }
  if (!server.data.code_challenge_methods_supported.includes('S256')) {
    throw new ProblemError({ kind: 'pkce-unsupported', url: wellKnown });
  }
  const stateKey = crypto.randomUUID();
  const storage = keeping.kind === 'server' ? memoryLaunchStorage() : undefined;
  const url = await authorize(createAdapter(storage), {
    iss: params.iss,
    ...(params.launch ? { launch: params.launch } : {}),
    clientId: config.clientId,
    scope: requestedScopes(config.scopes, params.kind, server.data),
    redirectUri: config.redirectUri,
    pkceMode: 'required',
    completeInTarget: true,
    stateKey,
    noRedirect: true,
  });
  if (typeof url !== 'string') throw new ProblemError({ kind: 'unknown', detail: 'No authorization URL was built.' });
  if (keeping.kind === 'server' && storage) await handOffLaunch(keeping, stateKey, await storage.get(stateKey));
  return url;
}
