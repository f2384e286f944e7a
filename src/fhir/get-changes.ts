/**
 * The sidebar's polling fallback: has anything in the patient's chart changed since the last look?
 * One search per type the card reads (`<Type>?patient=…&_lastUpdated=gt<watermark>`), where the
 * watermark is the *server's* time of the previous round (the searchset's `meta.lastUpdated`), less
 * an overlap for writes that commit while a search runs. A version already seen is no change, so
 * the overlap never reports the same change twice.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { PatientId } from '../shared/ids.ts';
import { canSearch } from '../smart/permissions.ts';
import { fhirGet, type FhirGateway } from './gateway.ts';
import { RECORD_TYPES } from './fetchers.ts';

/** What a change would show in: the record the rules read, and the open Tasks. */
export const WATCHED_TYPES: readonly string[] = [...RECORD_TYPES, 'Task'];

/** Overlap subtracted from the server's time (writes committing during a search). */
export const OVERLAP_MS = 5_000;
/** Entries asked for per type and round; more than this many changes in one round is still "changed". */
const PAGE = 50;

/** Where the next round starts: a watermark and the versions already seen since it. */
export interface ChangeCursor {
  /** `_lastUpdated=gt` this instant (server time, ISO 8601). */
  readonly since: string;
  /** `Type/id/version` keys already known, with their `meta.lastUpdated`. */
  readonly seen: ReadonlyMap<string, string>;
}

function keyOf(r: Resource): string | null {
  if (!r.id) return null;
  return `${r.resourceType}/${r.id}/${r.meta?.versionId ?? r.meta?.lastUpdated ?? ''}`;
}

/**
 * The first cursor: versions the card already shows are not changes; the watermark is the time
 * the card's data was read (this browser's clock, less a minute for the difference to the server's).
 */
export function initialCursor(readAtMs: number, known: readonly Resource[]): ChangeCursor {
  const seen = new Map<string, string>();
  for (const r of known) {
    const key = keyOf(r);
    if (key) seen.set(key, r.meta?.lastUpdated ?? '');
  }
  return { since: new Date(readAtMs - 60_000).toISOString(), seen };
}

interface SearchBundle {
  resourceType?: string;
  meta?: { lastUpdated?: string };
  entry?: Array<{ resource?: Resource }>;
}

/**
 * One round: which watched types changed since the cursor, and the next cursor. Fails with the
 * gateway's `FhirRequestError` (its `retryAfter` set on 429/503), so the caller backs off.
 * @param granted the token's scopes: a type Careloop may not search is not asked for
 */
export async function getChanges(
  gateway: FhirGateway,
  patientId: PatientId,
  cursor: ChangeCursor,
  granted: readonly string[] | null,
  signal?: AbortSignal,
): Promise<{ changed: string[]; cursor: ChangeCursor }> {
  const types = WATCHED_TYPES.filter((t) => granted === null || canSearch(granted, t));
  const answers = await Promise.all(
    types.map(async (type) => {
      const query = new URLSearchParams({ patient: `Patient/${patientId}`, _lastUpdated: `gt${cursor.since}`, _count: String(PAGE) });
      return { type, bundle: await fhirGet<SearchBundle>(gateway, `${type}?${query.toString()}`, signal) };
    }),
  );
  const seen = new Map(cursor.seen);
  const changed = new Set<string>();
  let serverTime: number | null = null;
  let newest: number | null = null;
  for (const { type, bundle } of answers) {
    const at = Date.parse(bundle?.meta?.lastUpdated ?? '');
    // The earliest of the rounds' server times: no type's window is skipped.
    if (Number.isFinite(at)) serverTime = serverTime === null ? at : Math.min(serverTime, at);
    for (const { resource } of bundle?.entry ?? []) {
      if (!resource || resource.resourceType !== type) continue;
      const key = keyOf(resource);
      if (!key) continue;
      const updated = Date.parse(resource.meta?.lastUpdated ?? '');
      if (Number.isFinite(updated)) newest = newest === null ? updated : Math.max(newest, updated);
      if (seen.has(key)) continue;
      seen.set(key, resource.meta?.lastUpdated ?? '');
      changed.add(type);
    }
  }
  // Without the server's time, the newest change seen is the next watermark; without either, the same.
  const base = serverTime ?? newest;
  const since = base === null ? cursor.since : new Date(Math.max(Date.parse(cursor.since), base - OVERLAP_MS)).toISOString();
  // Versions older than the window can no longer come back: forget them.
  const floor = Date.parse(since);
  for (const [key, updated] of seen) if (updated && Date.parse(updated) < floor - OVERLAP_MS) seen.delete(key);
  return { changed: [...changed].sort(), cursor: { since, seen } };
}
