import { queryOptions } from '@tanstack/react-query';
import { createContext, useContext } from 'react';
import type { CareEvent, Decision } from '../../audit/care-events.ts';

export type { CareEvent, Decision };

/**
 * The card's view of the audit trail. `emit` resolves once the event is durably queued (not
 * delivered): a confirm waits for that before any write is sent; nothing else waits at all.
 */
export interface AuditPort {
  emit(event: CareEvent): Promise<void>;
  /** Snoozes and dismissals recorded for the patient in context. */
  decisions(): Promise<Decision[]>;
}

/** A port that keeps events in memory: tests, and deployments without an audit API. */
export function memoryAuditPort(initial: Decision[] = []): AuditPort & { events: CareEvent[] } {
  const events: CareEvent[] = [];
  return {
    events,
    async emit(event) {
      events.push(event);
    },
    async decisions() {
      // As the trail is read back: the newest decision per rule wins, and `unsnoozed` ends it.
      const latest = new Map<string, Decision | null>(initial.map((d) => [d.rule, d]));
      for (const e of events) {
        if (e.action === 'unsnoozed') latest.set(e.rule, null);
        else if ((e.action === 'snoozed' || e.action === 'dismissed') && e.decision) latest.set(e.rule, { rule: e.rule, kind: e.action, reason: e.decision.reason, until: e.decision.until ?? null });
      }
      return [...latest.values()].filter((d): d is Decision => d !== null);
    },
  };
}

/**
 * The snoozes and dismissals on file for a patient, as a query: started with the FHIR reads at
 * launch (app/query-client.ts), read by the card. Never retried and never blocking: without the
 * trail nothing is hidden.
 */
export function decisionsQuery(port: AuditPort, patientId: string) {
  return queryOptions({ queryKey: ['audit', 'decisions', patientId] as const, queryFn: () => port.decisions(), retry: false, staleTime: Infinity });
}

const AuditContext = createContext<AuditPort | null>(null);
export const AuditProvider = AuditContext.Provider;

export function useAudit(): AuditPort {
  const port = useContext(AuditContext);
  if (!port) throw new Error('useAudit() outside an AuditProvider');
  return port;
}
