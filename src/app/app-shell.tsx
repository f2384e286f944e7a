import CssBaseline from '@mui/material/CssBaseline';
import { ThemeProvider } from '@mui/material/styles';
import { QueryClientProvider, useQuery, type QueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { SessionProvider, type SessionValue } from '../fhir/session-context.tsx';
import { AuditProvider, memoryAuditPort, type AuditPort } from '../features/care-gaps/audit-port.ts';
import { AuditDeliveryIndicator, type AuditStatusSource } from '../features/audit/audit-delivery-indicator.tsx';
import { ChartContext } from '../features/chart/chart-context.tsx';
import { LiveUpdatesProvider, type LiveSource } from '../features/live-updates/live-updates-provider.tsx';
import { createQueryClient, smartStyleQuery } from './query-client.ts';
import { careloopTheme } from './theme.ts';


function Themed({ session, asOf, auditStatus }: { session: SessionValue; asOf: string; auditStatus: AuditStatusSource | null }) {
  const url = session.context.smartStyleUrl;
  const style = useQuery(smartStyleQuery(url));
  const theme = useMemo(() => careloopTheme(style.data ?? null), [style.data]);
  return (
    <ThemeProvider theme={theme}>
      <CssBaseline />
      <ChartContext asOf={asOf} />
      {auditStatus ? <AuditDeliveryIndicator source={auditStatus} /> : null}
    </ThemeProvider>
  );
}

/**
 * Everything after a successful launch: one QueryClient per session (so one patient's data can
 * never be served to another launch), the EHR's style, and the chart.
 */
export function AppShell({
  session,
  asOf,
  queryClient,
  audit,
  auditStatus = null,
  live = null,
}: {
  session: SessionValue;
  asOf: string;
  queryClient?: QueryClient;
  audit?: AuditPort;
  /** The audit client's delivery status, for the "behind" indicator. */
  auditStatus?: AuditStatusSource | null;
  /** The live chart (the server's change channel, polling while it is down); null: the card is as of its read. */
  live?: LiveSource | null;
}) {
  const [client] = useState(() => queryClient ?? createQueryClient());
  const [port] = useState(() => audit ?? memoryAuditPort());
  return (
    <QueryClientProvider client={client}>
      <SessionProvider value={session}>
        <AuditProvider value={port}>
          {live ? (
            <LiveUpdatesProvider source={live}>
              <Themed session={session} asOf={asOf} auditStatus={auditStatus} />
            </LiveUpdatesProvider>
          ) : (
            <Themed session={session} asOf={asOf} auditStatus={auditStatus} />
          )}
        </AuditProvider>
      </SessionProvider>
    </QueryClientProvider>
  );
}
