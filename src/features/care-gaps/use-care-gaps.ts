import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import type { PackResult } from '../../rules';
import { useOpenTasks } from '../../fhir/get-open-tasks';
import { usePatient } from '../../fhir/get-patient';
import { useRecord, type RecordType } from '../../fhir/get-record';
import { useSession } from '../../fhir/session-context';
import { decisionsQuery, useAudit } from './audit-port';
import { gapViews, type GapView } from './gap-views';
import { rulesEngineQuery } from './load-rules';

/** A rule Careloop could not assess: it needs record types the EHR did not let it read. */
export interface NotAssessed {
  rule: string;
  title: string;
  /** The unread types the rule needs. */
  unread: RecordType[];
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
      readAt: number;
      refreshDecisions: () => Promise<unknown>;
    };

/**
 * Splits the pack's results into those the record could decide and the rules that need a type
 * Careloop could not read: those are "not assessed", whatever the evaluation said (a missing
 * colonoscopy in an unread record is no gap). A rule whose data needs are unknown (an official
 * measure package) needs every type.
 */
export function splitAssessed(result: PackResult, unread: readonly RecordType[], needs: ReadonlyMap<string, readonly string[]>): { result: PackResult; notAssessed: NotAssessed[] } {
  if (unread.length === 0) return { result, notAssessed: [] };
  const notAssessed: NotAssessed[] = [];
  const assessed = result.results.filter((r) => {
    const types = needs.get(r.rule);
    const missing = unread.filter((type) => types === undefined || types.includes(type));
    if (missing.length === 0) return true;
    notAssessed.push({ rule: r.rule, title: r.title, unread: missing });
    return false;
  });
  const next = assessed.find((r) => r.status === 'due' || r.status === 'overdue')?.rule ?? null;
  return { result: { ...result, results: assessed, next }, notAssessed };
}

/**
 * Reads the record, evaluates the rule pack in the browser as of `asOf`, and sorts the open gaps
 * into what to offer, given what Careloop already wrote and the snoozes and dismissals on file.
 */
export function useCareGaps(asOf: string): CareGaps {
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
    return splitAssessed(all, record.data.unread, engine.ruleDataTypes);
  }, [patient.data, record.data, engine, asOf, context.encounterId]);
  const result = evaluated?.result ?? null;

  const views = useMemo(() => {
    if (!result || !record.data) return null;
    const existing = [...record.data.resources, ...(tasks.data?.items ?? [])];
    return gapViews(result, existing, decisions.data ?? [], { identifierSystem: config.identifierSystem, patientId: context.patientId, asOf });
  }, [result, record.data, tasks.data, decisions.data, config.identifierSystem, context.patientId, asOf]);

  if (rules.isError) return { status: 'error', error: rules.error, retry: () => void rules.refetch() };
  if (record.isError) return { status: 'error', error: record.error, retry: () => void record.refetch() };
  if (patient.isError) return { status: 'error', error: patient.error, retry: () => void patient.refetch() };
  if (!result || !views || record.isPending || decisions.isPending) {
    const done = [patient.isSuccess, record.isSuccess, tasks.isSuccess || tasks.isError, !decisions.isPending, rules.isSuccess].filter(Boolean).length;
    return { status: 'loading', progress: Math.round((done / 5) * 100) };
  }
  return { status: 'ready', result, views, incomplete: record.data?.incomplete ?? [], notAssessed: evaluated?.notAssessed ?? [], readAt: record.dataUpdatedAt, refreshDecisions: () => decisions.refetch() };
}
