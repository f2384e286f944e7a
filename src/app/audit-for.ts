import { auditPortOf, browserConnectivity, createAuditClient, sessionOutboxStorage, type AuditClient } from '../audit/index.ts';
import { memoryAuditPort, type AuditPort } from '../features/care-gaps/audit-port.ts';
import type { SessionValue } from '../fhir/session-context.tsx';
import { APP_VERSION } from '../shared/version.ts';
import { isClinician } from '../smart/permissions.ts';
import { sessionStorageOrMemory } from './page-storage.ts';

/** The reason code of the `launch-error` recorded when the user is not a clinician. */
export const NOT_CLINICIAN_REASON = 'write-refused:fhir-user-not-clinician';

/** The audit trail of one launch: what the card emits to, and the client's delivery status. */
export interface LaunchAudit {
  port: AuditPort;
  client: AuditClient | null;
}

/**
 * The audit trail for this launch: a durable outbox (sessionStorage, per launch; page memory where
 * the browser denies the EHR's iframe its storage) delivering to the
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
    storage: sessionOutboxStorage(context.launchKey, sessionStorageOrMemory()),
    appVersion: APP_VERSION,
    fhirBase: context.serverUrl,
    connectivity: browserConnectivity(),
  });
  const encounter = context.encounterId ? { encounter: context.encounterId } : {};
  const correlationId = crypto.randomUUID();
  client.enqueue({ patient: context.patientId, ...encounter, action: 'launch', correlationId });
  // Careloop acts only for a clinician: a launch by anyone else (a patient portal, a relative, no
  // fhirUser) is recorded as refused for write-back; the card shows read only.
  if (!isClinician(context.fhirUser)) {
    client.enqueue({ patient: context.patientId, ...encounter, action: 'launch-error', reason: NOT_CLINICIAN_REASON, correlationId });
  }
  const scope = { patient: context.patientId, encounter: context.encounterId };
  const trail = auditPortOf(client, scope);
  const port: AuditPort = {
    decisions: () => trail.decisions(),
    async emit(event) {
      // An Undo (`unsnoozed`) carries no day or reason: only the snooze it ends (same correlation id).
      if (event.action === 'unsnoozed') {
        const { decision: _none, ...undo } = event;
        return trail.emit(undo);
      }
      return trail.emit(event);
    },
  };
  return { port, client };
}
