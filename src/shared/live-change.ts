/**
 * What the sidebar's live channel (`GET /api/workflow/changes`, Server-Sent Events) tells it: its
 * patient's chart changed and the workflow service processed the change. Sent by the server
 * (src/server/workflow/service.ts), read by the app (src/features/live-updates/change-stream.ts).
 */
export interface LiveChange {
  readonly patient: string;
  /** `Type/id` of the changed resource. */
  readonly resource: string;
  /** The inbox event, for correlation. */
  readonly event: number;
  /** When the service processed it (ISO instant). */
  readonly at: string;
}

/** The live channel's route on Careloop's server. */
export const CHANGES_PATH = '/api/workflow/changes';
