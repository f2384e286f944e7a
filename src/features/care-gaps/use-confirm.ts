import { useMutation, useQueryClient } from '@tanstack/react-query';
import { fhirKeys } from '../../fhir/keys.ts';
import { useSession } from '../../fhir/session-context.tsx';
import { APP_VERSION } from '../../shared/version.ts';
import { writeBlock } from '../../smart/permissions.ts';
import { type OpenGap, type WriteParams } from '../../writeback/builders.ts';
import type { Task } from '@medplum/fhirtypes';
import { closeTask, type CloseOutcome } from '../../writeback/close-task.ts';
import { writeAction, type WriteOutcome } from '../../writeback/write-action.ts';
import { useDecisionEvents } from './decision-events.ts';

/**
 * The confirm step: the `confirmed` event is queued durably first, then the write-back runs
 * (exactly once per patient, rule and due period), then `written` or `write-failed` is recorded
 * and the record is re-read so the gap shows as in progress.
 */
/** What confirm did: the write-back, and closing the outreach Task when there was one. */
export interface ConfirmOutcome {
  write: WriteOutcome;
  closed: CloseOutcome | null;
}

/**
 * `correlationOf` gives the decision's correlation id (minted on first use, outside render, and
 * kept by the panel's store): asked when the clinician confirms, not to render the card.
 */
export function useConfirm(gap: OpenGap, correlationOf: (rule: string) => string, outreach: Task | null, onWritten: (outcome: ConfirmOutcome) => void) {
  const { context, fhir, config } = useSession();
  const events = useDecisionEvents();
  const queryClient = useQueryClient();
  return useMutation<ConfirmOutcome>({
    mutationKey: ['write-action', context.patientId, gap.rule, gap.dueDate],
    mutationFn: async () => {
      // The card offers no write when one is blocked; this holds even if something asks anyway.
      const blocked = writeBlock(context.fhirUser, context.scopes, gap.action.resourceType);
      if (blocked) {
        return {
          write: {
            kind: 'failed',
            problem: { kind: 'unknown', detail: blocked.kind },
            status: null,
            message: blocked.kind === 'not-clinician' ? "Not saved: Careloop's actions are for clinicians." : `Not saved: the EHR did not grant ${blocked.scopes.join(', ')}.`,
            retryable: false,
          },
          closed: null,
        };
      }
      const correlationId = correlationOf(gap.rule);
      try {
        await events.confirmed(gap, correlationId);
      } catch {
        return {
          write: {
            kind: 'failed',
            problem: { kind: 'unknown', detail: 'audit queue unavailable' },
            status: null,
            message: 'Not saved: Careloop could not record your confirmation, so nothing was written. Try again.',
            retryable: true,
          },
          closed: null,
        };
      }
      const params: WriteParams = {
        patientId: context.patientId,
        encounterId: context.encounterId,
        fhirUser: context.fhirUser,
        identifierSystem: config.identifierSystem,
        confirmedAt: new Date().toISOString(),
        appVersion: APP_VERSION,
        packId: config.rulePack,
      };
      const write = await writeAction(fhir, gap, params);
      events.writeFinished(gap, correlationId, write);
      const closed = write.kind === 'written' && outreach ? await closeTask(fhir, outreach, write.reference, params.confirmedAt) : null;
      if (closed) events.outreachClosed(gap, correlationId, closed);
      return { write, closed };
    },
    // Hook-level callbacks run even when the card has unmounted (the gap it showed is now in
    // progress), so the panel still hears of the success before the record is re-read.
    onSuccess: (outcome) => {
      if (outcome.write.kind !== 'written') return;
      onWritten(outcome);
      void queryClient.invalidateQueries({ queryKey: fhirKeys.record(context.patientId) });
      void queryClient.invalidateQueries({ queryKey: fhirKeys.tasks(context.patientId) });
    },
  });
}
