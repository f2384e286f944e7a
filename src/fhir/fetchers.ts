/**
 * The plain fetchers behind the query files (get-patient.ts, get-encounter.ts, get-open-tasks.ts,
 * get-record.ts): no React, no react-query. They live apart from their queries and hooks, unlike
 * the rest of fhir/, so that index.html's entry can send the first card's reads the moment the
 * token is there (app/launch-reads.ts) without loading React or react-query first. The query
 * files re-export them.
 */
import type { Encounter, Patient, Resource, Task } from '@medplum/fhirtypes';
import type { EncounterId, PatientId } from '../shared/ids.ts';
import { ProblemError } from '../shared/problem.ts';
import { fhirGet, type FhirGateway } from './gateway.ts';
import { canSearch, searchNarrowedTo } from '../smart/permissions.ts';
import { searchAll, type PagedList } from './paging.ts';
import { OPEN_TASK_STATUSES } from '../shared/task-status.ts';

/** Reads the patient in context; a body that is not that Patient is refused, not shown. */
export async function getPatient(gateway: FhirGateway, id: PatientId, signal?: AbortSignal): Promise<Patient> {
  const body = await fhirGet<unknown>(gateway, `Patient/${encodeURIComponent(id)}`, signal);
  if (!body || typeof body !== 'object' || (body as Patient).resourceType !== 'Patient' || (body as Patient).id !== id) {
    throw new ProblemError({ kind: 'bad-response', what: 'Patient', status: 200, detail: 'The server returned a different resource than the patient in context.' });
  }
  return body as Patient;
}

/** Reads the encounter in context. */
export async function getEncounter(gateway: FhirGateway, id: EncounterId, signal?: AbortSignal): Promise<Encounter> {
  const body = await fhirGet<unknown>(gateway, `Encounter/${encodeURIComponent(id)}`, signal);
  if (!body || typeof body !== 'object' || (body as Encounter).resourceType !== 'Encounter') {
    throw new ProblemError({ kind: 'bad-response', what: 'Encounter', status: 200, detail: 'The server did not return an Encounter.' });
  }
  return body as Encounter;
}

export function openTasksUrl(patientId: PatientId, pageSize: number): string {
  const query = new URLSearchParams({
    patient: `Patient/${patientId}`,
    status: OPEN_TASK_STATUSES.join(','),
    _count: String(pageSize),
  });
  return `Task?${query.toString()}`;
}

/** The patient's open Tasks, following `next` links up to `maxPages`. */
export function getOpenTasks(gateway: FhirGateway, patientId: PatientId, pageSize: number, maxPages: number, signal?: AbortSignal): Promise<PagedList<Task>> {
  return searchAll<Task>(gateway, openTasksUrl(patientId, pageSize), 'Task', maxPages, signal);
}

/** The resource types the care-gap rules read, each searched by the patient in context. */
export const RECORD_TYPES = [
  'Observation',
  'Condition',
  'Procedure',
  'Encounter',
  'Immunization',
  'MedicationRequest',
  'DiagnosticReport',
  'AllergyIntolerance',
  'ServiceRequest',
] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

/**
 * One round of reads of the patient's record: the resources the rules index into a `PatientRecord`,
 * and the types the round could not read in full.
 */
export interface RecordRead {
  resources: Resource[];
  /** Types whose search stopped at the page cap: the rules saw only part of them. */
  incomplete: RecordType[];
  /**
   * Types Careloop may not read: not in the granted scopes, or refused by the server (403). The
   * rules that need one of them are "not assessed", never decided on a record with a hole in it.
   */
  unread: RecordType[];
  /**
   * Types the granted scopes let Careloop read only in part (`patient/Observation.rs?category=
   * laboratory`): the server returns what `only` matches. The rules that need one cannot tell
   * "not on record" from "not shown", so they are "not assessed" too.
   */
  partial: PartialType[];
}

/** A record type read only in part, and the scope queries that narrowed it. */
export interface PartialType {
  readonly type: RecordType;
  readonly only: readonly string[];
}

function narrowedPart(granted: readonly string[], type: RecordType): PartialType[] {
  const only = searchNarrowedTo(granted, type);
  return only === null ? [] : [{ type, only }];
}

/**
 * Reads every record type in parallel (one round of requests after the token, then `next` pages
 * where a type has more), so the card waits for the slowest search, not the sum of them.
 * @param granted the token's scopes: a type they do not let Careloop search is not asked for
 *   (null: ask for every type)
 */
export async function getRecord(
  gateway: FhirGateway,
  patientId: PatientId,
  pageSize: number,
  maxPages: number,
  signal?: AbortSignal,
  granted: readonly string[] | null = null,
): Promise<RecordRead> {
  const lists = await Promise.all(
    RECORD_TYPES.map((type) => {
      if (granted !== null && !canSearch(granted, type)) return { type, list: null };
      const query = new URLSearchParams({ patient: `Patient/${patientId}`, _count: String(pageSize) });
      return searchAll<Resource>(gateway, `${type}?${query.toString()}`, type, maxPages, signal).then(
        (list) => ({ type, list }),
        (error: unknown) => {
          // A server that refuses one type (fewer scopes than the token says, or a policy) leaves
          // that type unread; any other failure fails the record.
          if (error instanceof ProblemError && error.problem.kind === 'forbidden') return { type, list: null };
          throw error;
        },
      );
    }),
  );
  return {
    resources: lists.flatMap(({ list }) => list?.items ?? []),
    incomplete: lists.filter(({ list }) => list?.truncated === true).map(({ type }) => type),
    unread: lists.filter(({ list }) => list === null).map(({ type }) => type),
    partial: granted === null ? [] : lists.flatMap(({ type, list }) => (list === null ? [] : narrowedPart(granted, type))),
  };
}
