/**
 * The workflow service's admin status page (`GET /api/workflow/status`, the admin credential as
 * for `/api/audit/verify`): inbox depth and event → evaluation latency over the last hour as charts,
 * plus dead letters, duplicates dropped and reconciliation misses. The charts are SVG drawn here on
 * the server (no script: the CSP allows none inline), from per-minute buckets ({@link MinuteSeries})
 * filled from the inbox's own history: depth samples every instance records per minute, and the
 * latency of each event done (received → done), so every instance of a shared inbox draws the same
 * charts. Nothing from a FHIR resource is shown: numbers and times only.
 */
import type { InboxHistory } from './inbox.ts';

/** Latency buckets (seconds) for the per-minute quantiles. */
const BOUNDS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, Infinity];

/** The bucket bounds in ms, as the inbox's history groups latencies. */
export const LATENCY_BOUNDS_MS: readonly number[] = BOUNDS.map((b) => b * 1000);
const MINUTE = 60_000;

interface Bucket {
  /** Start of the minute, ms since epoch. */
  readonly minute: number;
  depthMax: number;
  depthLast: number;
  depthSamples: number;
  count: number;
  sum: number;
  max: number;
  readonly hist: number[];
}

/** One minute of the last hour, as the page draws it. */
export interface MinutePoint {
  readonly minute: number;
  /** Deepest the inbox was in that minute (pending + processing), or null when not sampled. */
  readonly depth: number | null;
  readonly evaluations: number;
  /** Latency quantiles (upper bucket bounds, seconds), or null with no evaluation. */
  readonly p50: number | null;
  readonly p95: number | null;
  readonly max: number | null;
}

/** Per-minute buckets of inbox depth and event → evaluation latency, for the last `minutes`. */
export class MinuteSeries {
  private readonly buckets: Bucket[] = [];

  constructor(
    private readonly now: () => number = Date.now,
    readonly minutes = 60,
  ) {}

  private bucket(at: number): Bucket {
    const minute = Math.floor(at / MINUTE) * MINUTE;
    const last = this.buckets.at(-1);
    if (last && last.minute === minute) return last;
    const found = this.buckets.find((b) => b.minute === minute);
    if (found) return found;
    const b: Bucket = { minute, depthMax: 0, depthLast: 0, depthSamples: 0, count: 0, sum: 0, max: 0, hist: BOUNDS.map(() => 0) };
    this.buckets.push(b);
    this.buckets.sort((x, y) => x.minute - y.minute);
    const oldest = minute - this.minutes * MINUTE;
    while ((this.buckets[0]?.minute ?? Infinity) <= oldest) this.buckets.shift();
    return b;
  }

  /** A sample of the inbox's depth (events waiting or in progress). */
  recordDepth(depth: number, at = this.now()): void {
    const b = this.bucket(at);
    b.depthMax = b.depthSamples === 0 ? depth : Math.max(b.depthMax, depth);
    b.depthLast = depth;
    b.depthSamples++;
  }

  /** One event evaluated, `seconds` after it entered the inbox. */
  recordLatency(seconds: number, at = this.now()): void {
    const b = this.bucket(at);
    b.count++;
    b.sum += seconds;
    b.max = Math.max(b.max, seconds);
    const i = BOUNDS.findIndex((x) => seconds <= x);
    b.hist[i] = (b.hist[i] ?? 0) + 1;
  }

  /** Adds `count` events of one latency bucket (index into the bounds) done in the minute of `at`. */
  addLatencies(at: number, bucket: number, count: number, maxSeconds: number, sumSeconds: number): void {
    const b = this.bucket(at);
    b.count += count;
    b.sum += sumSeconds;
    b.max = Math.max(b.max, maxSeconds);
    const i = Math.min(Math.max(0, bucket), BOUNDS.length - 1);
    b.hist[i] = (b.hist[i] ?? 0) + count;
  }

  /** A series from an inbox's history (see `WorkflowInbox.history`). */
  static fromHistory(history: InboxHistory, now: () => number, minutes = 60): MinuteSeries {
    const series = new MinuteSeries(now, minutes);
    for (const d of history.depth) series.recordDepth(d.depth, d.minute);
    for (const l of history.latency) series.addLatencies(l.minute, l.bucket, l.count, l.maxMs / 1000, l.sumMs / 1000);
    return series;
  }

  /** The last hour, one point per minute, oldest first (minutes without data included). */
  points(at = this.now()): MinutePoint[] {
    const current = Math.floor(at / MINUTE) * MINUTE;
    const byMinute = new Map(this.buckets.map((b) => [b.minute, b]));
    const out: MinutePoint[] = [];
    for (let m = current - (this.minutes - 1) * MINUTE; m <= current; m += MINUTE) {
      const b = byMinute.get(m);
      const q = (p: number): number | null => {
        if (!b || b.count === 0) return null;
        let seen = 0;
        for (let i = 0; i < BOUNDS.length; i++) {
          seen += b.hist[i] ?? 0;
          if (seen >= p * b.count) return Math.min(BOUNDS[i] ?? b.max, b.max);
        }
        return b.max;
      };
      out.push({ minute: m, depth: b && b.depthSamples > 0 ? b.depthMax : null, evaluations: b?.count ?? 0, p50: q(0.5), p95: q(0.95), max: b && b.count > 0 ? b.max : null });
    }
    return out;
  }
}

/** What the page shows besides the charts. */
export interface StatusFigures {
  readonly store: 'sqlite' | 'postgres';
  readonly pending: number;
  readonly processing: number;
  readonly done: number;
  readonly deadLetters: number;
  readonly duplicatesDropped: number;
  readonly reconciliationMisses: number;
  readonly stale: number;
  /** Who runs polling, reconciliation and heartbeat checks (the lease's holder). */
  readonly loops: 'this-instance' | 'another-instance' | 'none';
}

const LOOPS_WORDS: Readonly<Record<StatusFigures['loops'], string>> = {
  'this-instance': 'this instance',
  'another-instance': 'another instance',
  none: 'no instance yet (the lease is free)',
};

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);

function seconds(s: number): string {
  return s < 1 ? `${Math.round(s * 1000)} ms` : `${s.toFixed(s < 10 ? 1 : 0)} s`;
}

/** A "nice" axis maximum ≥ v (1, 2, 5 × 10^n). */
function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

const W = 720;
const H = 200;
const PAD = { left: 56, right: 12, top: 12, bottom: 28 };

/**
 * One chart: a bar per minute (`series[0]`, with a `<title>` per bar) and optionally a line
 * (`series[1]`), y from 0 to a nice maximum, x the last hour.
 */
function chart(id: string, label: string, points: readonly MinutePoint[], bars: (p: MinutePoint) => number | null, line: ((p: MinutePoint) => number | null) | null, format: (v: number) => string, describe: (p: MinutePoint) => string): string {
  const values = points.flatMap((p) => [bars(p), line?.(p) ?? null]).filter((v): v is number => v !== null);
  const top = niceMax(Math.max(0, ...values));
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const slot = innerW / Math.max(1, points.length);
  const y = (v: number) => PAD.top + innerH - (v / top) * innerH;
  const parts: string[] = [];
  for (const t of [0, 0.5, 1]) {
    const v = top * t;
    parts.push(`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" class="grid"/>`);
    parts.push(`<text x="${PAD.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${escapeHtml(format(v))}</text>`);
  }
  points.forEach((p, i) => {
    const v = bars(p);
    const x = PAD.left + i * slot;
    if (v !== null) {
      const h = Math.max(v > 0 ? 1 : 0, (v / top) * innerH);
      parts.push(
        `<rect class="bar" data-minute="${hhmm(p.minute)}" data-value="${v}" x="${(x + 1).toFixed(1)}" y="${(PAD.top + innerH - h).toFixed(1)}" width="${Math.max(1, slot - 2).toFixed(1)}" height="${h.toFixed(1)}"><title>${escapeHtml(`${hhmm(p.minute)} UTC: ${describe(p)}`)}</title></rect>`,
      );
    }
    if (i % 10 === 0 || i === points.length - 1) parts.push(`<text x="${(x + slot / 2).toFixed(1)}" y="${H - 8}" text-anchor="middle">${hhmm(p.minute)}</text>`);
  });
  if (line) {
    const pts = points
      .map((p, i) => ({ v: line(p), x: PAD.left + i * slot + slot / 2 }))
      .filter((q): q is { v: number; x: number } => q.v !== null)
      .map((q) => `${q.x.toFixed(1)},${y(q.v).toFixed(1)}`);
    if (pts.length > 0) parts.push(`<polyline class="line" points="${pts.join(' ')}"/>`);
  }
  return `<figure><figcaption id="${id}-caption">${escapeHtml(label)}</figcaption><svg id="${id}" role="img" aria-labelledby="${id}-caption" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}">${parts.join('')}</svg></figure>`;
}

/** The status page's HTML (a complete document; styles inline, no script). */
export function renderStatusPage(figures: StatusFigures, points: readonly MinutePoint[], at: number): string {
  const depth = chart(
    'depth',
    'Inbox depth (events waiting or in progress), highest per minute, last hour',
    points,
    (p) => p.depth,
    null,
    (v) => String(Math.round(v)),
    (p) => `depth ${p.depth ?? 0}`,
  );
  const latency = chart(
    'latency',
    'Event → evaluation latency per minute (received → processed), last hour: bars p95, line p50',
    points,
    (p) => p.p95,
    (p) => p.p50,
    seconds,
    (p) => `p50 ${seconds(p.p50 ?? 0)}, p95 ${seconds(p.p95 ?? 0)}, max ${seconds(p.max ?? 0)}, ${p.evaluations} evaluations`,
  );
  const row = (name: string, value: number | string, id: string) => `<tr><th scope="row">${escapeHtml(name)}</th><td id="${id}">${escapeHtml(String(value))}</td></tr>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Careloop workflow status</title>
<meta name="robots" content="noindex">
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1b1b1b}
h1{font-size:20px}table{border-collapse:collapse;margin:12px 0}th,td{padding:4px 12px;text-align:left;border-bottom:1px solid #ddd}
td{font-variant-numeric:tabular-nums}figure{margin:16px 0}figcaption{font-weight:600;margin-bottom:4px}
svg text{font-size:11px;fill:#555}.grid{stroke:#e3e3e3}.bar{fill:#3b6ea8}.line{fill:none;stroke:#c0392b;stroke-width:2}
</style></head>
<body><main>
<h1>Careloop workflow service</h1>
<p>As of ${escapeHtml(new Date(at).toISOString().replace(/\.\d+Z$/, 'Z'))}; inbox on ${figures.store === 'postgres' ? 'PostgreSQL (shared by every instance)' : 'SQLite'}.</p>
<table><tbody>
${row('Waiting', figures.pending, 'pending')}
${row('In progress', figures.processing, 'processing')}
${row('Processed', figures.done, 'done')}
${row('Dead letters (not replayed)', figures.deadLetters, 'dead-letters')}
${row('Duplicates dropped', figures.duplicatesDropped, 'duplicates')}
${row('Stale versions ignored', figures.stale, 'stale')}
${row('Reconciliation misses (this instance, since start)', figures.reconciliationMisses, 'misses')}
</tbody></table>
<p id="loops">Polling, reconciliation and heartbeat checks: run by ${LOOPS_WORDS[figures.loops]}.</p>
${depth}
${latency}
</main></body></html>
`;
}
