import type { QueryClient } from '@tanstack/react-query';
import { auditPortOf, browserConnectivity, createAuditClient, sessionOutboxStorage, type AuditClient } from '../audit';
import { memoryAuditPort, type AuditPort } from '../features/care-gaps/audit-port';
import type { SessionValue } from '../fhir/session-context';
import { APP_VERSION } from '../shared/version';
import { AppShell } from './app-shell';
import { mount } from './render';

export { mountProblem } from './render';

/**
 * The audit trail for this launch: a durable outbox (sessionStorage, per launch) delivering to the
 * configured audit API, or, with no audit API configured, decisions kept in memory for the page.
 */
export function auditFor(session: SessionValue, accessToken: () => Promise<string | null>): { port: AuditPort; client: AuditClient | null } {
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

/** Renders the launched app (React, MUI and the card live in this chunk). */
export function mountApp(session: SessionValue, queryClient: QueryClient, asOf: string, accessToken: () => Promise<string | null>): void {
  const { port, client } = auditFor(session, accessToken);
  mount(<AppShell session={session} asOf={asOf} queryClient={queryClient} audit={port} auditStatus={client} />);
}
