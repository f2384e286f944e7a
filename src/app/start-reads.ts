import type { IndexBoot } from './boot';
import { auditFor } from './audit-for';
import { createQueryClient, prefetchLaunch } from './query-client';

/**
 * Everything the first card needs, started at once: the FHIR reads, the EHR's style, the
 * decisions on file in the audit trail (with the launch recorded there) and the rule engine. Its
 * own chunk, so that the page sends the token request before evaluating any of it.
 */
export function startReads(boot: Extract<IndexBoot, { ok: true }>) {
  const queryClient = createQueryClient();
  const audit = auditFor(boot.session, boot.accessToken);
  prefetchLaunch(queryClient, boot.session, audit.port);
  return { queryClient, audit };
}
