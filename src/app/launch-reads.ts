import type { Encounter, Patient, Task } from '@medplum/fhirtypes';
import { getEncounter, getOpenTasks, getPatient, getRecord, type RecordRead } from '../fhir/fetchers.ts';
import type { PagedList } from '../fhir/paging.ts';
import type { SessionValue } from '../fhir/session-context.tsx';
import { fetchSmartStyle, type SmartStyle } from '../smart/style.ts';

/** The first card's reads, in flight. Each settles once; react-query adopts them (./query-client.ts). */
export interface LaunchReads {
  patient: Promise<Patient>;
  tasks: Promise<PagedList<Task>>;
  record: Promise<RecordRead>;
  /** Null when the EHR launched without an encounter. */
  encounter: Promise<Encounter> | null;
  /** Null when the launch named no `smart_style_url`. */
  style: Promise<SmartStyle> | null;
}

/**
 * Sends every FHIR read the first card needs, in one round, the moment the token is there. It
 * lives in index.html's entry chunk (with the fetchers, the paging and zod/mini, not React or
 * react-query), so the requests go out before the UI's chunks are compiled and evaluated; the
 * page does that work while the server answers.
 */
export function sendLaunchReads({ fhir, context, config }: SessionValue): LaunchReads {
  const reads: LaunchReads = {
    patient: getPatient(fhir, context.patientId),
    tasks: getOpenTasks(fhir, context.patientId, config.fhir.pageSize, config.fhir.maxPages),
    record: getRecord(fhir, context.patientId, config.fhir.recordPageSize, config.fhir.recordMaxPages, undefined, context.scopes),
    encounter: context.encounterId ? getEncounter(fhir, context.encounterId) : null,
    style: context.smartStyleUrl !== null ? fetchSmartStyle(context.smartStyleUrl) : null,
  };
  // A failure is reported by the query that adopts it; until then it is not an unhandled rejection.
  for (const read of Object.values(reads)) (read as Promise<unknown> | null)?.catch(() => undefined);
  return reads;
}
