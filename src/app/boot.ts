import type { SessionValue } from '../fhir/session-context';
import { completeLaunch } from '../smart/session';
import { beginLaunch, readLaunchParams, startDiscovery } from '../smart/launch';
import type { LaunchKeeping } from '../smart/launch-handoff';
import { toProblem, type Problem } from '../shared/problem';
import { storageAvailable } from '../smart/storage-available';
import { loadConfig } from './config';

export type IndexBoot = { ok: true; session: SessionValue; accessToken: () => Promise<string | null> } | { ok: false; problem: Problem };
export type LaunchBoot = { ok: true; authorizeUrl: string } | { ok: false; problem: Problem };

/**
 * Where this page keeps the launch: sessionStorage when the browser allows it; otherwise (the EHR's
 * cross-site iframe in a browser blocking third-party storage) Careloop's server, bound to this
 * browser by a partitioned cookie.
 */
export function launchKeeping(href: string, fetchImpl: typeof fetch): LaunchKeeping {
  return storageAvailable() ? { kind: 'session' } : { kind: 'server', pageUrl: href, fetchImpl };
}

/** True inside the EHR's iframe (or any frame); a cross-origin parent makes `top` opaque, not absent. */
function isFramed(): boolean {
  try {
    return window.self !== window.top;
  } catch {
    return true;
  }
}

/** launch.html: config and discovery side by side → launch parameters → the authorization URL. */
export async function bootLaunch(location: Pick<Location, 'href' | 'search'>, fetchImpl: typeof fetch = fetch, framed: boolean = isFramed()): Promise<LaunchBoot> {
  startDiscovery(location.search);
  const loaded = await loadConfig(location.href, fetchImpl);
  if (!loaded.ok) return { ok: false, problem: loaded.problem };
  try {
    const params = readLaunchParams(location.search, loaded.config);
    return { ok: true, authorizeUrl: await beginLaunch(params, loaded.config, launchKeeping(location.href, fetchImpl)) };
  } catch (error) {
    const problem = toProblem(error);
    // A browser that refuses even the partitioned cookie in the iframe may still run Careloop in its
    // own window, with the same (not yet used) launch; a window of its own has nowhere else to go.
    if (problem.kind === 'storage-blocked') return { ok: false, problem: { kind: 'storage-blocked', openUrl: framed ? location.href : null } };
    return { ok: false, problem };
  }
}

/** index.html (the redirect URI): config → token exchange or resumed session → context. */
export async function bootIndex(
  location: Pick<Location, 'href' | 'search'>,
  { fetchImpl = fetch, now = Date.now }: { fetchImpl?: typeof fetch; now?: () => number } = {},
): Promise<IndexBoot> {
  // The token exchange and the config load run side by side; a config problem is reported first.
  const launched = completeLaunch(location.search, now, launchKeeping(location.href, fetchImpl)).then(
    (session) => ({ ok: true as const, session }),
    (error: unknown) => ({ ok: false as const, problem: toProblem(error) }),
  );
  const loaded = await loadConfig(location.href, fetchImpl);
  const launch = await launched;
  if (!loaded.ok) return { ok: false, problem: loaded.problem };
  if (!launch.ok) return launch;
  return {
    ok: true,
    session: { context: launch.session.context, fhir: launch.session.connect(loaded.config.fhir.timeoutMs), config: loaded.config },
    accessToken: () => launch.session.accessToken(),
  };
}
