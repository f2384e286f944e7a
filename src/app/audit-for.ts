import { auditPortOf, browserConnectivity, createAuditClient, sessionOutboxStorage, type AuditClient } from '../audit';
import { memoryAuditPort, type AuditPort } from '../features/care-gaps/audit-port';
import type { SessionValue } from '../fhir/session-context';
import { APP_VERSION } from '../shared/version';

/** The audit trail of one launch: what the card emits to, and the client's delivery status. */
export interface LaunchAudit {
  port: AuditPort;
  client: AuditClient | null;
}

/**
 * The audit trail for this launch: a durable outbox (sessionStorage, per launch) delivering to the
 * configured audit API, or, with no audit API configured, decisions kept in memory for the page.
 * Created before React, so the snoozes and dismissals on file are read alongside the FHIR reads.
 */
export function auditFor(session: SessionValue, accessToken: () => Promise<string | null>): LaunchAudit {
  const base = session.config.auditApiBaseUrl;
  if (base === null) return { port: memoryAuditPort(), client: null };
  const { context } = session;
  const client = createAuditClient({
    baseUrl: base,
    getAccessToken: accessToken,
    storage: sessionOutboxStorage(context.launchKey),
    appVersion: APP_VERSION,
    fhirBase: context.serverUrl,
    connectivity: browserConnectivity(),
  });
  client.record({ patient: context.patientId, ...(context.encounterId ? { encounter: context.encounterId } : {}), action: 'launch', correlationId: crypto.randomUUID() });
  return { port: auditPortOf(client, { patient: context.patientId, encounter: context.encounterId }), client };
}
