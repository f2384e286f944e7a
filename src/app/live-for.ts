import type { LiveSource } from '../features/live-updates/live-updates-provider.tsx';
import type { SessionValue } from '../fhir/session-context.tsx';

/**
 * The live chart of this launch: the change channel on Careloop's server (the audit API's origin),
 * authenticated with the launch's access token in a header; with no server configured, polling
 * the FHIR server only.
 */
export function liveFor(session: SessionValue, accessToken: () => Promise<string | null>): LiveSource {
  const base = session.config.auditApiBaseUrl;
  return {
    channel: base === null ? null : { baseUrl: base.replace(/\/+$/, ''), fhirBase: session.context.serverUrl, accessToken, fetch: (...args) => fetch(...args) },
  };
}
