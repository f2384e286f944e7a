import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import type { Resource } from '@medplum/fhirtypes';
import type { PackResult } from '../../rules/index.ts';
import { isOpenGap } from '../../rules/types.ts';
import { useOpenTasks } from '../../fhir/get-open-tasks.ts';
import { usePatient } from '../../fhir/get-patient.ts';
import { useRecord, type PartialType, type RecordType } from '../../fhir/get-record.ts';
import { useSession } from '../../fhir/session-context.tsx';
import { decisionsQuery, useAudit } from './audit-port.ts';
import { gapViews, reviewGapOf, undecidedOf, withLocalDecisions, type GapView } from './gap-views.ts';
import type { InsufficientDataResult } from '../../rules/index.ts';
import type { LocalDecision } from './ui-store.ts';
import { rulesEngineQuery } from './load-rules.ts';

/** A rule Careloop could not assess: it needs record types the EHR did not let it read, or read whole. */
export interface NotAssessed {
  rule: string;
  title: string;
  /** The unread types the rule needs. */
  unread: RecordType[];
  /** The types it needs that Careloop could read only in part, and what it could read of them. */
  partial: PartialType[];
}

/** Rules not shown because an exclusion applies, grouped by the exclusion ("hospice care since …"). */
export interface ExcludedGroup {
  /** e.g. "Hospice care". */
  label: string;
  /** The day the excluding record starts (`YYYY-MM-DD`), when it has one. */
  since: string | null;
  titles: string[];
}

/** The day a record starts: a period's start, a performed or onset date, an effective date. */
function startDay(resource: Resource | undefined): string | null {
  if (!resource) return null;
  const r = new Map<string, unknown>(Object.entries(resource));
  const candidates = ['period', 'performedPeriod', 'onsetPeriod', 'effectivePeriod']
    .map((k) => r.get(k))
    .map((p) => (p && typeof p === 'object' && 'start' in p ? p.start : undefined))
    .concat(['performedDateTime', 'onsetDateTime', 'effectiveDateTime', 'occurrenceDateTime', 'authoredOn'].map((k) => r.get(k)));
  const found = candidates.find((c): c is string => typeof c === 'string' && /^\d{4}-\d{2}-\d{2}/.test(c));
  return found ? found.slice(0, 10) : null;
}

/** Groups the excluded results by exclusion, dated from the excluding record when it is in the record. */
export function excludedGroups(result: PackResult, resources: readonly Resource[]): ExcludedGroup[] {
  const groups = new Map<string, ExcludedGroup>();
  for (const r of result.results) {
    if (r.status !== 'excluded') continue;
    const label = r.exclusion.label.replace(/ during the period$/, '');
    const ref = r.exclusion.reference?.replace(/\/_history\/.*$/, '');
    const since = ref ? startDay(resources.find((x) => `${x.resourceType}/${x.id ?? ''}` === ref)) : null;
    const key = `${label}|${since ?? ''}`;
    const group = groups.get(key) ?? { label, since, titles: [] };
    group.titles.push(r.title);
    groups.set(key, group);
  }
  return [...groups.values()];
}

export type CareGaps =
  | { status: 'loading'; progress: number }
  | { status: 'error'; error: unknown; retry: () => void }
  | {
      status: 'ready';
      result: PackResult;
      views: GapView[];
      incomplete: RecordType[];
      notAssessed: NotAssessed[];
      /** Rules the record could not decide, with why (the folded list names them). */
      undecided: InsufficientDataResult[];
      excluded: ExcludedGroup[];
      readAt: number;
    };

/**
 * Splits the pack's results into those the record could decide and the rules that need a type
 * Careloop could not read, or could read only in part (a scope narrowed by a query): those are
 * "not assessed", whatever the evaluation said (a missing colonoscopy in an unread record is no
 * gap, nor is a blood pressure missing from the lab results Careloop was shown). A rule whose
 * data needs are unknown (an official measure package) needs every type.
 */
export function splitAssessed(
  result: PackResult,
  unread: readonly RecordType[],
  needs: ReadonlyMap<string, readonly string[]>,
  partial: readonly PartialType[] = [],
): { result: PackResult; notAssessed: NotAssessed[] } {
  if (unread.length === 0 && partial.length === 0) return { result, notAssessed: [] };
  const notAssessed: NotAssessed[] = [];
  const assessed = result.results.filter((r) => {
    const types = needs.get(r.rule);
    const needed = (type: string) => types === undefined || types.includes(type);
    const missing = unread.filter(needed);
    const part = partial.filter((p) => needed(p.type));
    if (missing.length === 0 && part.length === 0) return true;
    notAssessed.push({ rule: r.rule, title: r.title, unread: missing, partial: part });
    return false;
  });
  const next = assessed.find(isOpenGap)?.rule ?? null;
  return { result: { ...result, results: assessed, next }, notAssessed };
}

const NO_LOCAL: Readonly<Record<string, LocalDecision>> = {};

/**
 * Reads the record, evaluates the rule pack in the browser as of `asOf`, and sorts the open gaps
 * into what to offer, given what Careloop already wrote and the snoozes and dismissals on file
 * (`local`: those made in this browser session, which win over what the trail said at launch).
 */
export function useCareGaps(asOf: string, local: Readonly<Record<string, LocalDecision>> = NO_LOCAL): CareGaps {
  const { context, config } = useSession();
  const audit = useAudit();
  const patient = usePatient();
  const record = useRecord();
  const tasks = useOpenTasks();
  // The rule engine and its value sets load as their own chunk, in parallel with the FHIR reads,
  // so they never delay the first paint or the token exchange.
  const rules = useQuery(rulesEngineQuery(config));
  const decisions = useQuery(decisionsQuery(audit, context.patientId));

  const engine = rules.data;
  const evaluated = useMemo(() => {
    if (!patient.data || !record.data || !engine) return null;
    const all = engine.evaluatePack(engine.pack, [patient.data, ...record.data.resources], {
      mode: 'point-of-care',
      asOf,
      ...(context.encounterId ? { encounterId: context.encounterId } : {}),
    });
    return splitAssessed(all, record.data.unread, engine.ruleDataTypes, record.data.partial);
  }, [patient.data, record.data, engine, asOf, context.encounterId]);
  const result = evaluated?.result ?? null;

  const views = useMemo(() => {
    if (!result || !record.data) return null;
    const existing = [...record.data.resources, ...(tasks.data?.items ?? [])];
    // An undecided rule that outranks the next-best gap takes the card's place as "Review result".
    const review = result.review ? undecidedOf(result).find((r) => r.rule === result.review) : undefined;
    const offered = review ? { ...result, results: [reviewGapOf(review, asOf), ...result.results] } : result;
    return gapViews(offered, existing, withLocalDecisions(decisions.data ?? [], local), { identifierSystem: config.identifierSystem, patientId: context.patientId, asOf });
  }, [result, record.data, tasks.data, decisions.data, local, config.identifierSystem, context.patientId, asOf]);

  if (rules.isError) return { status: 'error', error: rules.error, retry: () => void rules.refetch() };
  if (record.isError) return { status: 'error', error: record.error, retry: () => void record.refetch() };
  if (patient.isError) return { status: 'error', error: patient.error, retry: () => void patient.refetch() };
  if (!result || !views || record.isPending || decisions.isPending) {
    const done = [patient.isSuccess, record.isSuccess, tasks.isSuccess || tasks.isError, !decisions.isPending, rules.isSuccess].filter(Boolean).length;
    return { status: 'loading', progress: Math.round((done / 5) * 100) };
  }
  return { status: 'ready', result, views, incomplete: record.data?.incomplete ?? [], notAssessed: evaluated?.notAssessed ?? [], undecided: undecidedOf(result), excluded: excludedGroups(result, record.data?.resources ?? []), readAt: record.dataUpdatedAt };
}
