import type { Task } from '@medplum/fhirtypes';
import type { FhirGateway } from '../fhir/gateway.ts';
import { writeFailureMessage } from '../shared/problem-copy.ts';
import { ProblemError, isTransient } from '../shared/problem.ts';

/** How closing an existing Task ended. */
export type CloseOutcome =
  | { kind: 'closed'; task: Task }
  /** The Task changed in the EHR since it was read: not overwritten; here is what it is now. */
  | { kind: 'conflict'; current: Task }
  | { kind: 'failed'; message: string };

function completed(task: Task, by: string, at: string): Task {
  return {
    ...task,
    status: 'completed',
    lastModified: at,
    output: [...(task.output ?? []), { type: { text: 'Careloop action' }, valueReference: { reference: by } }],
  };
}

function isOurs(task: Task, by: string): boolean {
  return task.status === 'completed' && (task.output ?? []).some((o) => o.valueReference?.reference === by);
}

/**
 * Closes an open Task (e.g. an outreach Task) as done by `by`, with `If-Match` on the version the
 * clinician saw. A stale version (412) is never overwritten: the Task is re-read and returned so
 * the clinician sees its new state. An unknown outcome is settled by re-reading it.
 */
export async function closeTask(gateway: FhirGateway, task: Task, by: string, at: string): Promise<CloseOutcome> {
  const id = task.id ?? '';
  const version = task.meta?.versionId;
  const reread = async () => (await gateway.request<Task>({ url: `Task/${encodeURIComponent(id)}` })).body;
  try {
    const reply = await gateway.request<Task>({
      url: `Task/${encodeURIComponent(id)}`,
      method: 'PUT',
      body: completed(task, by, at),
      headers: version ? { 'if-match': `W/"${version}"` } : {},
    });
    return { kind: 'closed', task: reply.body };
  } catch (error) {
    if (!(error instanceof ProblemError)) return { kind: 'failed', message: 'Not saved: something unexpected went wrong while closing the task.' };
    const { problem } = error;
    try {
      if (problem.kind === 'precondition-failed') {
        const current = await reread();
        return isOurs(current, by) ? { kind: 'closed', task: current } : { kind: 'conflict', current };
      }
      // The PUT may have landed: no answer, a 5xx, or an answer that could not be read.
      const unknown = isTransient(problem) || problem.kind === 'bad-response' || problem.kind === 'unknown';
      if (unknown) {
        const current = await reread();
        if (isOurs(current, by)) return { kind: 'closed', task: current };
        if (current.meta?.versionId !== version) return { kind: 'conflict', current };
      }
    } catch {
      // the re-read failed too: report the original failure
    }
    return { kind: 'failed', message: writeFailureMessage('task', problem) };
  }
}
