import type { IndexBoot } from './boot.ts';
import { auditFor } from './audit-for.ts';
import type { LaunchReads } from './launch-reads.ts';
import { createQueryClient, prefetchDecisions, prefetchLaunch } from './query-client.ts';

/**
 * The rest of what the first card needs, beside the FHIR reads the entry has sent (`reads`): the
 * query cache that adopts them, the decisions on file in the audit trail (with the launch recorded
 * there) and the rule engine. Its own chunk, so that the page sends the token request and the
 * reads before evaluating any of it.
 */
export function startReads(boot: Extract<IndexBoot, { ok: true }>, reads: LaunchReads) {
  const queryClient = createQueryClient();
  const fhirReads = prefetchLaunch(queryClient, boot.session, reads);
  const audit = auditFor(boot.session, boot.accessToken);
  const decisions = prefetchDecisions(queryClient, audit.port, boot.session.context.patientId);
  /** Settles when every read has answered or failed (never rejects). */
  const settled = Promise.all([fhirReads, decisions]).then(() => undefined);
  return { queryClient, audit, settled };
}
