/**
 * Task statuses that still ask someone to act (FHIR R4 task-status): neither a draft nor a final
 * state (`rejected`, `cancelled`, `failed`, `completed`, `entered-in-error`). One list for the
 * sidebar's open-Task search, its outreach matching and the workflow service.
 */
export const OPEN_TASK_STATUSES = ['requested', 'received', 'accepted', 'ready', 'in-progress', 'on-hold'] as const;

export type OpenTaskStatus = (typeof OPEN_TASK_STATUSES)[number];

/** Whether a Task status still asks someone to act. */
export function isOpenTaskStatus(status: string | undefined): status is OpenTaskStatus {
  return (OPEN_TASK_STATUSES as readonly (string | undefined)[]).includes(status);
}
