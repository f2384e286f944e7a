/**
 * Every audit event of a care-gap decision is emitted here, and only here: the panel and the
 * confirm step call these functions rather than building events themselves, so what the audit
 * trail holds for a decision (card shown → why opened → confirmed → written / write failed, or
 * snoozed / dismissed → unsnoozed) can be read in one place.
 *
 * Only `confirmed` is waited for (a write is sent only once it is durably queued); every other
 * event is fire-and-forget: the clinician never waits for the audit outbox.
 */
import { useMemo } from 'react';
import type { OpenGap } from '../../writeback/builders.ts';
import type { CloseOutcome } from '../../writeback/close-task.ts';
import type { WriteOutcome } from '../../writeback/write-action.ts';
import { useAudit, type AuditPort, type CareEvent } from './audit-port.ts';
import type { LocalDecision } from './ui-store.ts';

/** What every event of a decision on `gap` carries: the rule, its logic and evidence, and the decision's correlation id. */
export function auditFields(gap: OpenGap, correlationId: string): Omit<CareEvent, 'action'> {
  return { correlationId, rule: gap.rule, ruleVersion: gap.version, packDigest: gap.packDigest, logic: gap.logic, evidence: gap.evidence, evidenceDigest: gap.evidenceDigest };
}

/** The events of one decision on one gap, each emitted by its own function. */
export interface DecisionEvents {
  /** The card offered the gap (the panel calls this once per decision). */
  cardShown(gap: OpenGap, correlationId: string): void;
  /** The clinician opened the Why panel. */
  whyOpened(gap: OpenGap, correlationId: string): void;
  /**
   * The clinician confirmed the action. Resolves once the event is durably queued; rejects when
   * the outbox cannot take it (then nothing may be written).
   */
  confirmed(gap: OpenGap, correlationId: string): Promise<void>;
  /** How the write-back ended: `written` with the resource, or `write-failed` with the problem. */
  writeFinished(gap: OpenGap, correlationId: string, write: WriteOutcome): void;
  /** Closing the outreach Task after the write: `written` with the Task's version, or `write-failed`. */
  outreachClosed(gap: OpenGap, correlationId: string, closed: CloseOutcome): void;
  /** The gap was snoozed or dismissed, with a reason code (and, for a snooze, its end). */
  decided(gap: OpenGap, correlationId: string, decision: Exclude<LocalDecision, { kind: 'unsnoozed' }>): void;
  /** The gap is offered again (Undo, or Bring back): shares the correlation id of what it ends. */
  unsnoozed(gap: OpenGap, correlationId: string): void;
}

/**
 * The decision events over an audit port.
 *
 * @example
 * const events = decisionEvents(memoryAuditPort());
 * events.cardShown(gap, correlationId);
 */
export function decisionEvents(port: AuditPort): DecisionEvents {
  const send = (event: CareEvent): void => void port.emit(event).catch(() => undefined);
  return {
    cardShown: (gap, id) => send({ ...auditFields(gap, id), action: 'card-shown' }),
    whyOpened: (gap, id) => send({ ...auditFields(gap, id), action: 'why-opened' }),
    confirmed: (gap, id) => port.emit({ ...auditFields(gap, id), action: 'confirmed' }),
    writeFinished(gap, id, write) {
      if (write.kind === 'written') send({ ...auditFields(gap, id), action: 'written', outcome: { reference: write.reference, status: write.created ? 201 : 200 } });
      else send({ ...auditFields(gap, id), action: 'write-failed', outcome: { ...(write.status !== null ? { status: write.status } : {}), error: write.problem.kind } });
    },
    outreachClosed(gap, id, closed) {
      if (closed.kind === 'closed') {
        const reference = `Task/${closed.task.id ?? ''}${closed.task.meta?.versionId ? `/_history/${closed.task.meta.versionId}` : ''}`;
        send({ ...auditFields(gap, id), action: 'written', outcome: { reference, status: 200 } });
      } else {
        send({ ...auditFields(gap, id), action: 'write-failed', outcome: { ...(closed.kind === 'conflict' ? { status: 412 } : {}), error: closed.kind === 'conflict' ? 'outreach-task-changed' : 'outreach-task-not-closed' } });
      }
    },
    decided(gap, id, decision) {
      send({ ...auditFields(gap, id), action: decision.kind, decision: { reason: decision.reason, ...(decision.kind === 'snoozed' ? { until: decision.until } : {}) } });
    },
    unsnoozed: (gap, id) => send({ ...auditFields(gap, id), action: 'unsnoozed' }),
  };
}

/** The decision events over the audit port in context. */
export function useDecisionEvents(): DecisionEvents {
  const port = useAudit();
  return useMemo(() => decisionEvents(port), [port]);
}
