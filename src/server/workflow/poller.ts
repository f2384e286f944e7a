/**
 * Polling, for an EHR without subscriptions (or beside them): per resource type, an incremental
 * search `Type?_lastUpdated=gt<watermark>` where the watermark is an instant the *server* issued
 * (the searchset's `meta.lastUpdated`, else the response's `Date`), moved back by an overlap window
 * so a resource committed while the previous search ran is not missed. What the overlap reads again
 * is dropped by the inbox (same resource version). 429 and 5xx back off exponentially, honouring
 * `Retry-After`. The first poll of a type only sets the watermark (no backfill).
 */
import type { InboxEventInput, WorkflowInbox } from './inbox.ts';

export interface PollPage {
  readonly status: number;
  readonly body: unknown;
  /** `Retry-After` and `Date` response headers, when present. */
  readonly retryAfter: string | null;
  readonly date: string | null;
}

export interface PollerOptions {
  readonly inbox: WorkflowInbox;
  /** GET relative to the FHIR base (`Observation?...`) or an absolute `next` link, with the service's token. */
  readonly get: (pathOrUrl: string) => Promise<PollPage>;
  readonly types: readonly string[];
  /** Default 5 s. */
  readonly overlapMs?: number;
  /** Backoff after a 429/5xx: base doubling up to max. Default 1 s and 5 min. */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Results per page. Default 200. */
  readonly pageSize?: number;
  readonly now?: () => number;
}

export type PollOutcome =
  | { readonly kind: 'polled'; readonly received: number; readonly accepted: number }
  | { readonly kind: 'backing-off'; readonly until: number }
  | { readonly kind: 'failed'; readonly status: number; readonly retryAt: number };

function patientOf(r: Record<string, unknown>): string | null {
  if (r['resourceType'] === 'Patient') return typeof r['id'] === 'string' ? r['id'] : null;
  for (const field of ['subject', 'patient', 'for', 'beneficiary']) {
    const ref = (r[field] as { reference?: unknown } | undefined)?.reference;
    const m = typeof ref === 'string' ? /(?:^|\/)Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(ref) : null;
    if (m?.[1]) return m[1];
  }
  return null;
}

/** Seconds or an HTTP date → ms from now (null when absent or unreadable). */
export function retryAfterMs(value: string | null, now: number): number | null {
  if (value === null) return null;
  if (/^\d{1,6}$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

export class Poller {
  private failures = 0;
  private notBefore = 0;
  private readonly now: () => number;

  constructor(private readonly options: PollerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Polls every type once (unless backing off); stops at the first throttled or failed type. */
  async pollOnce(): Promise<PollOutcome> {
    if (this.now() < this.notBefore) return { kind: 'backing-off', until: this.notBefore };
    let received = 0;
    let accepted = 0;
    for (const type of this.options.types) {
      const r = await this.pollType(type);
      if (r.kind !== 'polled') return r;
      received += r.received;
      accepted += r.accepted;
    }
    this.failures = 0;
    return { kind: 'polled', received, accepted };
  }

  private fail(page: PollPage): PollOutcome {
    this.failures++;
    const backoff = Math.min(this.options.maxDelayMs ?? 300_000, (this.options.baseDelayMs ?? 1000) * 2 ** (this.failures - 1));
    const asked = retryAfterMs(page.retryAfter, this.now()) ?? 0;
    this.notBefore = this.now() + Math.max(backoff, asked);
    return { kind: 'failed', status: page.status, retryAt: this.notBefore };
  }

  private async pollType(type: string): Promise<PollOutcome> {
    const { inbox } = this.options;
    const since = await inbox.watermark(type);
    const first = await this.options.get(
      since === null ? `${type}?_summary=count` : `${type}?_lastUpdated=gt${encodeURIComponent(since)}&_count=${this.options.pageSize ?? 200}`,
    );
    if (first.status !== 200) return this.fail(first);
    const issued = (first.body as { meta?: { lastUpdated?: unknown } }).meta?.lastUpdated;
    const serverTime = typeof issued === 'string' && !Number.isNaN(Date.parse(issued)) ? Date.parse(issued) : first.date !== null ? Date.parse(first.date) : NaN;
    if (Number.isNaN(serverTime)) return this.fail({ ...first, status: 502 });
    let received = 0;
    let accepted = 0;
    if (since !== null) {
      let page: PollPage | null = first;
      for (let n = 0; page && n < 1000; n++) {
        const bundle = page.body as { entry?: Array<{ resource?: Record<string, unknown> }>; link?: Array<{ relation?: string; url?: string }> };
        const events: InboxEventInput[] = [];
        for (const e of bundle.entry ?? []) {
          const r = e.resource;
          if (!r || typeof r['id'] !== 'string' || typeof r['resourceType'] !== 'string') continue;
          const meta = r['meta'] as { versionId?: unknown; lastUpdated?: unknown } | undefined;
          events.push({
            source: 'poll',
            resourceType: r['resourceType'],
            resourceId: r['id'],
            versionId: typeof meta?.versionId === 'string' ? meta.versionId : null,
            lastUpdated: typeof meta?.lastUpdated === 'string' ? meta.lastUpdated : null,
            patient: patientOf(r),
            resource: r,
          });
        }
        const outcomes = events.length > 0 ? await inbox.receive(events) : [];
        received += outcomes.length;
        accepted += outcomes.filter((o) => o === 'accepted').length;
        const next = bundle.link?.find((l) => l.relation === 'next')?.url;
        if (!next) break;
        page = await this.options.get(next);
        if (page.status !== 200) return this.fail(page);
      }
    }
    // Only once every page is in the inbox does the watermark move.
    await inbox.setWatermark(type, new Date(serverTime - (this.options.overlapMs ?? 5000)).toISOString());
    return { kind: 'polled', received, accepted };
  }
}
