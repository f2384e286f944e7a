import type { fhirclient } from 'fhirclient/lib/types';
import { ProblemError } from '../shared/problem';

/**
 * Where a launch keeps fhirclient's launch record (endpoints, client id, PKCE verifier, later the
 * tokens) between launch.html and index.html:
 * - `session`: sessionStorage, as fhirclient does (the iframe may use storage; a reload resumes);
 * - `server`: the browser denies the EHR's cross-site iframe all storage (Chromium's default
 *   "block third-party cookies"), so launch.html leaves the record with Careloop's server for the
 *   one launch, bound by a partitioned HttpOnly cookie, and index.html takes it back once. Tokens
 *   then live only in the page's memory: a reload asks for a new launch from the chart.
 */
export type LaunchKeeping = { kind: 'session' } | { kind: 'server'; pageUrl: string; fetchImpl: typeof fetch };

/** fhirclient's storage interface over a page-lifetime Map: nothing reaches the browser's storage. */
export function memoryLaunchStorage(): fhirclient.Storage {
  const values = new Map<string, string>();
  return {
    async get(key: string): Promise<unknown> {
      const value = values.get(key);
      return value === undefined ? null : (JSON.parse(value) as unknown);
    },
    async set(key: string, value: unknown): Promise<unknown> {
      values.set(key, JSON.stringify(value));
      return value;
    },
    async unset(key: string): Promise<boolean> {
      return values.delete(key);
    },
  };
}

/** The hand-off routes on the app's own origin (the server that serves the app, or its proxy). */
function endpoint(pageUrl: string, path: '' | '/bound' | '/claim'): string {
  return new URL(`api/launch-state${path}`, pageUrl).href;
}

function post(keeping: Extract<LaunchKeeping, { kind: 'server' }>, path: '' | '/bound' | '/claim', body: unknown): Promise<Response> {
  // Called unbound: the browser's fetch throws "Illegal invocation" when called as another object's method.
  const fetchImpl = keeping.fetchImpl;
  return fetchImpl(endpoint(keeping.pageUrl, path), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    credentials: 'same-origin',
    cache: 'no-store',
  });
}

const blocked = (): ProblemError => new ProblemError({ kind: 'storage-blocked', openUrl: null });

/**
 * launch.html: leaves the launch record with the server, then checks that the browser kept the
 * binding cookie. A browser that blocks every cookie (or a deployment without the route) keeps the
 * `storage-blocked` screen.
 */
export async function handOffLaunch(keeping: Extract<LaunchKeeping, { kind: 'server' }>, state: string, record: unknown): Promise<void> {
  if (typeof record !== 'object' || record === null) throw new ProblemError({ kind: 'unknown', detail: 'No launch record was built.' });
  try {
    const held = await post(keeping, '', { state, record });
    // Busy or failing: worth a retry. Anything else (no such route on this deployment) leaves the
    // browser's block as the cause.
    if (held.status === 429 || held.status >= 500) throw new TypeError('hand-off unavailable');
    if (held.status !== 201) throw blocked();
    const bound = await post(keeping, '/bound', { state });
    if (bound.status !== 204) throw blocked();
  } catch (error) {
    if (error instanceof ProblemError) throw error;
    throw new ProblemError({ kind: 'offline', url: endpoint(keeping.pageUrl, '') });
  }
}

/**
 * index.html: takes the launch record back from the server, once. An unknown state (used, expired,
 * or a reload after the exchange) is `state-missing`; a browser that did not send the cookie is
 * `storage-blocked`.
 */
export async function claimLaunch(keeping: Extract<LaunchKeeping, { kind: 'server' }>, state: string): Promise<Record<string, unknown>> {
  let answer: Response;
  let body: unknown;
  try {
    answer = await post(keeping, '/claim', { state });
    body = answer.ok ? await answer.json() : null;
  } catch {
    throw new ProblemError({ kind: 'offline', url: endpoint(keeping.pageUrl, '/claim') });
  }
  if (answer.status === 404) throw new ProblemError({ kind: 'state-missing' });
  if (answer.status === 403) throw blocked();
  const record = (body as { record?: unknown } | null)?.record;
  if (!answer.ok || typeof record !== 'object' || record === null || Array.isArray(record)) {
    throw new ProblemError({ kind: 'state-missing' });
  }
  return record as Record<string, unknown>;
}
