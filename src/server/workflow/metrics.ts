/**
 * The workflow service's Prometheus metrics (text exposition format 0.0.4), served at
 * `GET /api/workflow/metrics` beside the audit metrics: inbox depth, duplicates dropped, dead
 * letters, stale versions, event → processed and event → sidebar (live channel) latency, catch-ups, missed heartbeats,
 * reconciliation misses and FHIR write failures by status.
 */
import type { InboxStats } from './inbox.ts';

const BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export class LatencyHistogram {
  private readonly counts = BUCKETS.map(() => 0);
  private sum = 0;
  private count = 0;

  observe(seconds: number): void {
    this.sum += seconds;
    this.count++;
    BUCKETS.forEach((b, i) => {
      if (seconds <= b) this.counts[i] = (this.counts[i] ?? 0) + 1;
    });
  }

  render(name: string, help: string): string[] {
    const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} histogram`];
    BUCKETS.forEach((b, i) => lines.push(`${name}_bucket{le="${b}"} ${this.counts[i] ?? 0}`));
    lines.push(`${name}_bucket{le="+Inf"} ${this.count}`, `${name}_sum ${this.sum}`, `${name}_count ${this.count}`);
    return lines;
  }
}

export interface WorkflowMetricsInput {
  readonly inbox: InboxStats;
  /** The intake's group commits and the notifications they carried. */
  readonly intake: { readonly batches: number; readonly items: number };
  readonly receiver: { readonly catchUps: number; readonly recovered: number; readonly catchUpFailures: number; readonly missedHeartbeats: number };
  readonly reconciliationMisses: number;
  /** This instance holds the lease on polling, reconciliation and heartbeat checks. */
  readonly leader: boolean;
  readonly writeFailures: ReadonlyMap<number, number>;
  readonly processed: LatencyHistogram;
  /** From an event entering the inbox to its change leaving on a sidebar's live channel (one per open channel). */
  readonly pushed: LatencyHistogram;
}

export function renderWorkflowMetrics(m: WorkflowMetricsInput): string {
  const g = (name: string, help: string, type: 'gauge' | 'counter', value: number) => [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${value}`];
  const lines = [
    '# HELP careloop_workflow_inbox_events Inbox events by status.',
    '# TYPE careloop_workflow_inbox_events gauge',
    ...(['pending', 'processing', 'done', 'stale', 'superseded', 'dead'] as const).map((s) => `careloop_workflow_inbox_events{status="${s}"} ${m.inbox[s]}`),
    ...g('careloop_workflow_intake_commits_total', 'Group commits of the notification intake (one transaction each).', 'counter', m.intake.batches),
    ...g('careloop_workflow_intake_notifications_total', 'Notifications stored through the group commit.', 'counter', m.intake.items),
    ...g('careloop_workflow_duplicates_dropped_total', 'Events dropped as duplicates (event number or resource version).', 'counter', m.inbox.duplicatesDropped),
    ...g('careloop_workflow_catch_ups_total', 'Catch-ups through $status/$events.', 'counter', m.receiver.catchUps),
    ...g('careloop_workflow_catch_up_failures_total', 'Catch-ups that failed.', 'counter', m.receiver.catchUpFailures),
    ...g('careloop_workflow_events_recovered_total', 'Events recovered by catch-up.', 'counter', m.receiver.recovered),
    ...g('careloop_workflow_missed_heartbeats_total', 'Heartbeats not received in time.', 'counter', m.receiver.missedHeartbeats),
    ...g('careloop_workflow_reconciliation_misses_total', 'Changes the events missed, found by reconciliation.', 'counter', m.reconciliationMisses),
    ...g('careloop_workflow_leader', '1 while this instance runs polling, reconciliation and heartbeat checks for all instances.', 'gauge', m.leader ? 1 : 0),
    '# HELP careloop_workflow_fhir_write_failures_total FHIR writes of automatic actions that failed, by status.',
    '# TYPE careloop_workflow_fhir_write_failures_total counter',
    ...[...m.writeFailures].map(([status, n]) => `careloop_workflow_fhir_write_failures_total{status="${status}"} ${n}`),
    ...m.processed.render('careloop_workflow_event_processed_seconds', 'From an event entering the inbox to its processing.'),
    ...m.pushed.render('careloop_workflow_event_to_sidebar_seconds', 'From an event entering the inbox to its change sent on a sidebar live channel.'),
  ];
  return `${lines.join('\n')}\n`;
}
