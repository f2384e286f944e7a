import type { IndexBoot } from './boot';
import { auditFor } from './audit-for';
import { createQueryClient, prefetchDecisions, prefetchLaunch } from './query-client';

/**
 * Everything the first card needs, started at once: the FHIR reads, the EHR's style, the
 * decisions on file in the audit trail (with the launch recorded there) and the rule engine. Its
 * own chunk, so that the page sends the token request before evaluating any of it.
 */
export function startReads(boot: Extract<IndexBoot, { ok: true }>) {
  const queryClient = createQueryClient();
  // The FHIR reads go out first; the audit client (outbox, validation, the `launch` record) is
  // set up while they are in flight.
  const fhirReads = prefetchLaunch(queryClient, boot.session);
  const audit = auditFor(boot.session, boot.accessToken);
  const decisions = prefetchDecisions(queryClient, audit.port, boot.session.context.patientId);
  /** Settles when every read has answered or failed (never rejects). */
  const settled = Promise.all([fhirReads, decisions]).then(() => undefined);
  return { queryClient, audit, settled };
}
