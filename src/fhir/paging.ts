// zod/mini: this module is on the launch path (the first reads go out from index.html's entry).
import * as z from 'zod/mini';
import { ProblemError } from '../shared/problem';
import { fhirGet, type FhirGateway } from './gateway';

const bundleSchema = z.looseObject({
  resourceType: z.literal('Bundle'),
  total: z.optional(z.int().check(z.nonnegative())),
  link: z.optional(z.array(z.looseObject({ relation: z.string(), url: z.string() }))),
  entry: z.optional(z.array(z.looseObject({ resource: z.optional(z.unknown()) }))),
});

/** A list read from a paged search, and whether the page cap cut it short. */
export interface PagedList<T> {
  items: T[];
  /** True when a `next` link remained after `maxPages` pages. */
  truncated: boolean;
  /** The server's `Bundle.total`, when it gave one. */
  total: number | null;
  /** Entries dropped because they were not the expected resource type. */
  skipped: number;
}

/**
 * Reads a search and follows its `next` links, at most `maxPages` pages, keeping the entries
 * whose `resourceType` matches. The cap keeps a runaway record from stalling the sidebar; the
 * caller says so when `truncated` is set.
 * @example await searchAll(gateway, 'Task?patient=Patient/1&status=ready', 'Task', 5)
 */
export async function searchAll<T extends { resourceType: string }>(
  gateway: FhirGateway,
  url: string,
  resourceType: T['resourceType'],
  maxPages: number,
  signal?: AbortSignal,
): Promise<PagedList<T>> {
  const items: T[] = [];
  let skipped = 0;
  let total: number | null = null;
  let next: string | null = url;
  let pages = 0;
  const seen = new Set<string>();
  const absolute = (u: string) => new URL(u, `${gateway.serverUrl.replace(/\/$/, '')}/`).href;
  while (next && pages < maxPages) {
    seen.add(absolute(next));
    const raw = await fhirGet<unknown>(gateway, next, signal);
    const bundle = bundleSchema.safeParse(raw);
    if (!bundle.success) {
      throw new ProblemError({ kind: 'bad-response', what: resourceType, status: 200, detail: 'The server returned something other than a search Bundle.' });
    }
    pages += 1;
    if (pages === 1 && bundle.data.total !== undefined) total = bundle.data.total;
    for (const entry of bundle.data.entry ?? []) {
      const resource = entry.resource;
      if (resource && typeof resource === 'object' && (resource as { resourceType?: unknown }).resourceType === resourceType) {
        items.push(resource as T);
      } else if (resource && typeof resource === 'object' && (resource as { resourceType?: unknown }).resourceType === 'OperationOutcome') {
        // search outcome warnings ride along in the Bundle; they are not data
      } else {
        skipped += 1;
      }
    }
    const link: string | null = bundle.data.link?.find((l) => l.relation === 'next')?.url ?? null;
    // A server that links a page to itself would otherwise loop until the cap.
    next = link && !seen.has(absolute(link)) ? link : null;
  }
  return { items, truncated: next !== null, total, skipped };
}
