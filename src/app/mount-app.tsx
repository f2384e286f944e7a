import type { QueryClient } from '@tanstack/react-query';
import type { SessionValue } from '../fhir/session-context.tsx';
import { AppShell } from './app-shell.tsx';
import type { LaunchAudit } from './audit-for.ts';
import type { LiveSource } from '../features/live-updates/live-updates-provider.tsx';
import { mount } from './render.tsx';

export { mountProblem } from './render.tsx';

/** Renders the launched app (React, MUI and the card live in this chunk). */
export function mountApp(session: SessionValue, queryClient: QueryClient, asOf: string, audit: LaunchAudit, live: LiveSource | null = null): void {
  mount(<AppShell session={session} asOf={asOf} queryClient={queryClient} audit={audit.port} auditStatus={audit.client} live={live} />);
}
