import type { QueryClient } from '@tanstack/react-query';
import type { SessionValue } from '../fhir/session-context';
import { AppShell } from './app-shell';
import type { LaunchAudit } from './audit-for';
import type { LiveSource } from '../features/live-updates/live-updates-provider';
import { mount } from './render';

export { mountProblem } from './render';

/** Renders the launched app (React, MUI and the card live in this chunk). */
export function mountApp(session: SessionValue, queryClient: QueryClient, asOf: string, audit: LaunchAudit, live: LiveSource | null = null): void {
  mount(<AppShell session={session} asOf={asOf} queryClient={queryClient} audit={audit.port} auditStatus={audit.client} live={live} />);
}
