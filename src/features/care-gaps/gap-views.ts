import type { Resource, Task } from '@medplum/fhirtypes';
import type { InsufficientDataResult, PackResult } from '../../rules/index.ts';
import { isOpenGap } from '../../rules/types.ts';
import { actionIdentifier, type OpenGap } from '../../writeback/builders.ts';
import type { Decision } from './audit-port.ts';
import type { LocalDecision } from './ui-store.ts';
import { isOpenTaskStatus, OPEN_TASK_STATUSES } from '../../shared/task-status.ts';

/** An open gap as the clinician sees it. */
export type GapView =
  /** `outreach`: an open Task (not Careloop's) asking for this same action, closed on confirm. */
  | { state: 'open'; gap: OpenGap; outreach: Task | null }
  /** Careloop already wrote the action (found by its business identifier). */
  | { state: 'in-progress'; gap: OpenGap; reference: string; since: string | null }
  | { state: 'snoozed'; gap: OpenGap; until: string; reason: string }
  | { state: 'dismissed'; gap: OpenGap; reason: string };

/**
 * The decisions in force: those read from the trail at launch, overridden per rule by the ones made
 * in this browser session (which the outbox may not have delivered yet).
 */
export function withLocalDecisions(fromTrail: readonly Decision[], local: Readonly<Record<string, LocalDecision>>): Decision[] {
  const kept = fromTrail.filter((d) => !(d.rule in local));
  for (const [rule, d] of Object.entries(local)) {
    if (d.kind === 'snoozed') kept.push({ rule, kind: 'snoozed', reason: d.reason, until: d.until });
    else if (d.kind === 'dismissed') kept.push({ rule, kind: 'dismissed', reason: d.reason, until: null });
  }
  return kept;
}

/** A Task or ServiceRequest that is still being worked on: drafts, active requests, open Tasks. */
const LIVE_STATUSES: ReadonlySet<string> = new Set(['draft', 'active', ...OPEN_TASK_STATUSES]);


/**
 * Sorts the pack's open gaps into what to offer: gaps already acted on (a live Task or
 * ServiceRequest with the same business identifier), snoozed until a later day, or dismissed
 * are not offered again. Order stays the pack's priority order.
 */
export function gapViews(result: PackResult, existing: readonly Resource[], decisions: readonly Decision[], params: { identifierSystem: string; patientId: string; asOf: string }): GapView[] {
  const byIdentifier = new Map<string, Resource>();
  for (const resource of existing) {
    if (resource.resourceType !== 'Task' && resource.resourceType !== 'ServiceRequest') continue;
    if (!LIVE_STATUSES.has(String(resource.status))) continue;
    for (const id of resource.identifier ?? []) {
      if (id.system === params.identifierSystem && id.value) byIdentifier.set(id.value, resource);
    }
  }
  return result.results.filter(isOpenGap).map((gap): GapView => {
    const found = byIdentifier.get(actionIdentifier(params, gap).value);
    if (found) {
      const since = found.resourceType === 'Task' || found.resourceType === 'ServiceRequest' ? (found.authoredOn ?? null) : null;
      return { state: 'in-progress', gap, reference: `${found.resourceType}/${found.id ?? ''}`, since };
    }
    const decision = [...decisions].reverse().find((d) => d.rule === gap.rule);
    if (decision?.kind === 'dismissed') return { state: 'dismissed', gap, reason: decision.reason };
    if (decision?.kind === 'snoozed' && decision.until && decision.until > params.asOf) return { state: 'snoozed', gap, until: decision.until, reason: decision.reason };
    return { state: 'open', gap, outreach: outreachFor(gap, existing, params.identifierSystem) };
  });
}

/** An open Task, not written by Careloop, whose reason is the gap's action code. */
function outreachFor(gap: OpenGap, existing: readonly Resource[], identifierSystem: string): Task | null {
  const { system, code } = gap.action.code;
  for (const r of existing) {
    if (r.resourceType !== 'Task' || !isOpenTaskStatus(r.status)) continue;
    if (r.identifier?.some((i) => i.system === identifierSystem)) continue;
    if (r.reasonCode?.coding?.some((c) => c.system === system && c.code === code)) return r;
  }
  return null;
}

/** The code of the Task that asks a clinician to review a result Careloop could not assess. */
export const REVIEW_RESULT_CODE = { system: 'http://careloop.example/fhir/CodeSystem/care-gap-action', code: 'review-result', display: 'Review a result that could not be assessed' } as const;

/**
 * A rule the record could not decide, as a gap the card can show in its own place (pack `review`):
 * "could not be assessed", with a Task asking a clinician to review the result. Dated `asOf`: the
 * Task's business identifier is per day.
 */
export function reviewGapOf(undecided: InsufficientDataResult, asOf: string): OpenGap {
  const why = undecided.reason || undecided.missing.join('; ') || 'the record cannot decide it';
  return {
    ...undecided,
    status: 'due',
    dueDate: asOf,
    reason: `Could not be assessed: ${why}`,
    reasonCode: 'InvalidAttribute',
    priority: 0,
    action: {
      resourceType: 'Task',
      code: REVIEW_RESULT_CODE,
      intent: 'proposal',
      text: `Review the record for ${undecided.title}: ${why}`,
      reason: `Careloop could not assess ${undecided.title}: ${why}`,
      label: 'Create a task to review the result',
    },
  };
}

/** The rules the record could not decide (insufficient data), in the pack's order. */
export function undecidedOf(result: PackResult): InsufficientDataResult[] {
  return result.results.filter((r): r is InsufficientDataResult => r.status === 'insufficient-data');
}

/** Whether a gap stands for a rule that could not be assessed (see reviewGapOf). */
export function isReview(gap: OpenGap): boolean {
  return gap.action.code.system === REVIEW_RESULT_CODE.system && gap.action.code.code === REVIEW_RESULT_CODE.code;
}

/** Indicator of a gap: critical for a value out of range, warning when overdue, else info. */
export function indicatorOf(gap: OpenGap): 'info' | 'warning' | 'critical' {
  if (isReview(gap)) return 'warning';
  if (gap.reasonCode === 'ValueOutOfRange') return 'critical';
  return gap.status === 'overdue' ? 'warning' : 'info';
}

/**
 * The card's one line on timing, never more than the record says: "Overdue since 2024-11-23" (a
 * last test that ran out), "Due · nothing on record" (never done: no invented date), "Due by
 * 2026-10-31" / "Overdue · was due by 2026-10-31" (a season), "Needs attention · result of
 * 2026-09-23" (out of range).
 */
export function timingLine(gap: OpenGap): string {
  if (isReview(gap)) return 'Needs review · could not be assessed';
  const overdue = gap.status === 'overdue';
  const t = gap.timing;
  if (t === undefined) return overdue ? `Overdue since ${gap.dueDate}` : `Due since ${gap.dueDate}`;
  switch (t.kind) {
    case 'expired':
      return `${overdue ? 'Overdue' : 'Due'} since ${t.since}`;
    case 'never-done':
      return t.eligibleAge === null ? `Due · nothing on record, eligible since ${t.eligibleSince}` : 'Due · nothing on record';
    case 'season':
      return overdue ? `Overdue · was due by ${t.dueBy}` : `Due by ${t.dueBy}`;
    case 'out-of-range':
      return `Needs attention · result of ${t.resultDay}`;
  }
}

/** The one-line summary on the card, at most 140 characters. */
export function summaryOf(gap: OpenGap): string {
  const text = `${gap.title}: ${gap.reason}`;
  return text.length <= 140 ? text : `${text.slice(0, 139).trimEnd()}…`;
}

/** The primary button's words: the template's label ("Propose colorectal cancer screening"), else a verb for what is written. */
export function actionLabel(gap: OpenGap): string {
  const label = gap.action.label;
  if (label !== undefined && label.trim()) return label.trim();
  const what = gap.title.charAt(0).toLowerCase() + gap.title.slice(1);
  if (gap.action.resourceType === 'Task') return `Create a task: ${what}`.slice(0, 40);
  return `${gap.action.intent === 'order' ? 'Order' : gap.action.intent === 'plan' ? 'Plan' : 'Propose'} ${what}`.slice(0, 40);
}

/**
 * What is written, in words: "a proposal for screening for malignant neoplasm of colon (a
 * ServiceRequest with intent proposal, not an order)", "a task for the care team: Measure blood
 * pressure."
 */
export function writtenWords(action: OpenGap['action']): string {
  const what = (action.code.display ?? action.text).replace(/\.$/, '');
  const lower = what.charAt(0).toLowerCase() + what.slice(1);
  if (action.resourceType === 'Task') return `a task for the care team: ${action.text}`;
  switch (action.intent) {
    case 'proposal':
      return `a proposal for ${lower} (a ServiceRequest with intent “proposal”, not an order)`;
    case 'plan':
      return `a plan for ${lower} (a ServiceRequest with intent “plan”)`;
    case 'order':
      return `an order for ${lower} (a ServiceRequest with intent “order”)`;
  }
}
