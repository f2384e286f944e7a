import Box from '@mui/material/Box';
import { useSyncExternalStore } from 'react';
import type { AuditDeliveryStatus } from '../../audit/audit-client.ts';

/** What the indicator needs of the audit client. */
export interface AuditStatusSource {
  subscribe(listener: () => void): () => void;
  getStatus(): AuditDeliveryStatus;
}

/**
 * An unobtrusive note, shown only while audit events wait for delivery and delivery is failing
 * (or the browser is offline). It never blocks anything: the events are safe in the outbox.
 *
 * @example
 * <AuditDeliveryIndicator source={auditClient} />
 */
export function AuditDeliveryIndicator({ source }: { source: AuditStatusSource }) {
  const status = useSyncExternalStore(source.subscribe, source.getStatus, source.getStatus);
  if (!status.behind) return null;
  const events = status.pending === 1 ? '1 event' : `${status.pending} events`;
  return (
    <Box
      role="status"
      aria-label="Audit delivery is behind"
      title={status.lastError === 'offline' ? 'Offline: the audit trail will catch up when you are back online.' : 'The audit server is not reachable; Careloop keeps retrying.'}
      sx={{ display: 'inline-flex', alignItems: 'center', gap: 0.5, px: 1, py: 0.25, borderRadius: 1, fontSize: '0.75rem', color: 'text.secondary', bgcolor: 'action.hover' }}
    >
      Audit delivery is behind ({events} waiting) — your work is saved and not affected
    </Box>
  );
}
