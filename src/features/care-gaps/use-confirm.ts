import { useMutation, useQueryClient } from '@tanstack/react-query';
import { fhirKeys } from '../../fhir/keys';
import { useSession } from '../../fhir/session-context';
import { APP_VERSION } from '../../shared/version';
import { type OpenGap, type WriteContext } from '../../writeback/builders';
import { writeAction, type WriteResult } from '../../writeback/write-action';
import { useAudit, type CareEvent } from './audit-port';

export function auditFields(gap: OpenGap, correlationId: string): Omit<CareEvent, 'action'> {
  return { correlationId, rule: gap.rule, ruleVersion: gap.version, packDigest: gap.packDigest, evidence: gap.evidence, evidenceDigest: gap.evidenceDigest };
}

/**
 * The confirm step: the `confirmed` event is queued durably first, then the write-back runs
 * (exactly once per patient, rule and due period), then `written` or `write-failed` is recorded
 * and the record is re-read so the gap shows as in progress.
 */
export function useConfirm(gap: OpenGap, correlationId: string) {
  const { context, fhir, config } = useSession();
  const audit = useAudit();
  const queryClient = useQueryClient();
  return useMutation<WriteResult>({
    mutationKey: ['write-action', context.patientId, gap.rule, gap.dueDate],
    mutationFn: async () => {
      const fields = auditFields(gap, correlationId);
      try {
        await audit.emit({ ...fields, action: 'confirmed' });
      } catch {
        return {
          kind: 'failed',
          problem: { kind: 'unknown', detail: 'audit queue unavailable' },
          status: null,
          message: 'Not saved: Careloop could not record your confirmation, so nothing was written. Try again.',
          retryable: true,
        };
      }
      const ctx: WriteContext = {
        patientId: context.patientId,
        encounterId: context.encounterId,
        fhirUser: context.fhirUser,
        identifierSystem: config.identifierSystem,
        confirmedAt: new Date().toISOString(),
        appVersion: APP_VERSION,
        packId: config.rulePack,
      };
      const result = await writeAction(fhir, gap, ctx);
      if (result.kind === 'written') {
        void audit.emit({ ...fields, action: 'written', outcome: { reference: result.reference, status: result.created ? 201 : 200 } }).catch(() => undefined);
        await Promise.all([
          queryClient.invalidateQueries({ queryKey: fhirKeys.record(context.patientId) }),
          queryClient.invalidateQueries({ queryKey: fhirKeys.tasks(context.patientId) }),
        ]);
      } else {
        void audit.emit({ ...fields, action: 'write-failed', outcome: { ...(result.status !== null ? { status: result.status } : {}), error: result.message } }).catch(() => undefined);
      }
      return result;
    },
  });
}
