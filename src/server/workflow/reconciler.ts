/**
 * The reconciliation job: events drive immediacy, this guarantees completeness. Each run reads,
 * per resource type, only what changed on the server since the previous run (`_lastUpdated` from the
 * server-issued time of that run, minus an overlap), keeps the resources of the patients that matter
 * (open outreach work, or a change seen recently), and compares each version with what the inbox
 * holds. A version the inbox never received is a miss: one log line and a count, and it goes into the
 * inbox (source `reconcile`) so it is acted on like any event.
 */
import type { WorkflowInbox } from './inbox.ts';
import type { PollPage } from './poller.ts';
import { OPEN_TASK_STATUSES } from '../../shared/task-status.ts';

export interface ReconcilerOptions {
  readonly inbox: WorkflowInbox;
  readonly get: (pathOrUrl: string) => Promise<PollPage>;
  /** Types the rules read, and Task. */
  readonly types: readonly string[];
  /** Careloop's action identifier system: patients with an open Task under it have open work. */
  readonly identifierSystem: string;
  /** First run: look back this far. Default 1 h. */
  readonly initialLookbackMs?: number;
  /** Default 5 s. */
  readonly overlapMs?: number;
  /** Patients of inbox events received within this window count as recently changed. Default 1 h. */
  readonly recentMs?: number;
  readonly now?: () => number;
  readonly log?: (line: Record<string, unknown>) => void;
}

export interface ReconcileResult {
  readonly patients: number;
  /** Changed resources of watched patients compared with the inbox. */
  readonly checked: number;
  /** Changes the events had missed (now in the inbox). */
  readonly missed: number;
  readonly requests: number;
}

function patientOf(r: Record<string, unknown>): string | null {
  for (const field of ['subject', 'patient', 'for', 'beneficiary']) {
    const ref = (r[field] as { reference?: unknown } | undefined)?.reference;
    const m = typeof ref === 'string' ? /(?:^|\/)Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(ref) : null;
    if (m?.[1]) return m[1];
  }
  return null;
}

type SearchBundle = { meta?: { lastUpdated?: unknown }; entry?: Array<{ resource?: Record<string, unknown> }>; link?: Array<{ relation?: string; url?: string }> };

export class Reconciler {
  private readonly now: () => number;
  /** Misses found since start (metric). */
  missedTotal = 0;

  constructor(private readonly options: ReconcilerOptions) {
    this.now = options.now ?? Date.now;
  }

  private async all(path: string, counter: { requests: number }): Promise<{ resources: Array<Record<string, unknown>>; serverTime: string | null }> {
    const resources: Array<Record<string, unknown>> = [];
    let serverTime: string | null = null;
    let next: string | undefined = path;
    for (let n = 0; next && n < 1000; n++) {
      const page: PollPage = await this.options.get(next);
      counter.requests++;
      if (page.status !== 200) throw new Error(`reconciliation read answered ${page.status}`);
      const bundle = page.body as SearchBundle;
      if (n === 0) serverTime = typeof bundle.meta?.lastUpdated === 'string' ? bundle.meta.lastUpdated : page.date !== null ? new Date(Date.parse(page.date)).toISOString() : null;
      for (const e of bundle.entry ?? []) if (e.resource) resources.push(e.resource);
      next = bundle.link?.find((l) => l.relation === 'next')?.url;
    }
    return { resources, serverTime };
  }

  async run(): Promise<ReconcileResult> {
    const { inbox } = this.options;
    const counter = { requests: 0 };
    const overlap = this.options.overlapMs ?? 5000;
    const last = await inbox.lastReconciliation();
    const since = new Date((last ? Date.parse(last.serverTime) : this.now() - (this.options.initialLookbackMs ?? 3_600_000)) - overlap).toISOString();

    // Patients with open Careloop work, and patients that changed recently.
    const open = await this.all(`Task?status=${OPEN_TASK_STATUSES.join(',')}&_count=1000`, counter);
    const watched = new Set<string>(await inbox.recentPatients(this.now() - (this.options.recentMs ?? 3_600_000)));
    for (const t of open.resources) {
      const ids = (t['identifier'] as Array<{ system?: string }> | undefined) ?? [];
      const p = patientOf(t);
      if (p && ids.some((i) => i.system === this.options.identifierSystem)) watched.add(p);
    }
    let serverTime = open.serverTime;
    let checked = 0;
    let missed = 0;
    for (const type of this.options.types) {
      const changed = await this.all(`${type}?_lastUpdated=gt${encodeURIComponent(since)}&_count=1000`, counter);
      serverTime ??= changed.serverTime;
      for (const r of changed.resources) {
        const patient = patientOf(r);
        if (!patient || !watched.has(patient) || typeof r['id'] !== 'string') continue;
        checked++;
        const meta = r['meta'] as { versionId?: unknown; lastUpdated?: unknown } | undefined;
        const versionId = typeof meta?.versionId === 'string' ? meta.versionId : null;
        const lastUpdated = typeof meta?.lastUpdated === 'string' ? meta.lastUpdated : null;
        if (await inbox.knows(type, r['id'], versionId, lastUpdated)) continue;
        missed++;
        this.options.log?.({ msg: 'reconciliation found a change the events missed', resource: `${type}/${r['id']}`, versionId, patient });
        await inbox.receive([{ source: 'reconcile', resourceType: type, resourceId: r['id'], versionId, lastUpdated, patient, resource: r }]);
      }
    }
    if (serverTime === null) throw new Error('the server issued no time to reconcile from');
    await inbox.recordReconciliation({ since, serverTime, patients: watched.size, checked, missed });
    this.missedTotal += missed;
    return { patients: watched.size, checked, missed, requests: counter.requests };
  }
}
