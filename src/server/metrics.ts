/**
 * A few Prometheus metrics, written out in the text exposition format (no client library needed).
 */

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

class Histogram {
  readonly counts = LATENCY_BUCKETS.map(() => 0);
  sum = 0;
  count = 0;
  observe(seconds: number): void {
    this.sum += seconds;
    this.count += 1;
    LATENCY_BUCKETS.forEach((b, i) => {
      if (seconds <= b) this.counts[i] = (this.counts[i] ?? 0) + 1;
    });
  }
}

/** The audit backend's metrics. */
export class AuditMetrics {
  /** Events stored. */
  accepted = 0;
  /** Events replayed with the same id and body (stored nothing). */
  duplicates = 0;
  /** Requests (or events, for conflicts) refused, by reason. */
  readonly rejected = new Map<string, number>();
  private readonly latency = new Map<string, Histogram>();
  private readonly storeWrite = new Histogram();

  /** Counts one refusal. */
  reject(reason: string, n = 1): void {
    this.rejected.set(reason, (this.rejected.get(reason) ?? 0) + n);
  }

  /** Records a request's latency under its route and method. */
  observeRequest(method: string, route: string, status: number, seconds: number): void {
    const key = `method="${method}",route="${escapeLabel(route)}",status="${status}"`;
    let h = this.latency.get(key);
    if (!h) {
      h = new Histogram();
      this.latency.set(key, h);
    }
    h.observe(seconds);
  }

  /** Records how long one store write (a group commit) took. */
  observeStoreWrite(seconds: number): void {
    this.storeWrite.observe(seconds);
  }

  /** Prometheus text exposition format 0.0.4. */
  render(): string {
    const lines: string[] = [];
    lines.push('# HELP careloop_audit_events_accepted_total Audit events stored.');
    lines.push('# TYPE careloop_audit_events_accepted_total counter');
    lines.push(`careloop_audit_events_accepted_total ${this.accepted}`);
    lines.push('# HELP careloop_audit_events_duplicate_total Audit events replayed with the same id and body.');
    lines.push('# TYPE careloop_audit_events_duplicate_total counter');
    lines.push(`careloop_audit_events_duplicate_total ${this.duplicates}`);
    lines.push('# HELP careloop_audit_rejected_total Requests refused, by reason.');
    lines.push('# TYPE careloop_audit_rejected_total counter');
    for (const [reason, n] of [...this.rejected].sort()) lines.push(`careloop_audit_rejected_total{reason="${escapeLabel(reason)}"} ${n}`);
    lines.push('# HELP careloop_audit_request_duration_seconds Request latency.');
    lines.push('# TYPE careloop_audit_request_duration_seconds histogram');
    for (const [labels, h] of [...this.latency].sort(([a], [b]) => (a < b ? -1 : 1))) writeHistogram(lines, 'careloop_audit_request_duration_seconds', labels, h);
    lines.push('# HELP careloop_audit_store_write_seconds Time of one store transaction (group commit).');
    lines.push('# TYPE careloop_audit_store_write_seconds histogram');
    writeHistogram(lines, 'careloop_audit_store_write_seconds', '', this.storeWrite);
    return `${lines.join('\n')}\n`;
  }
}

function writeHistogram(lines: string[], name: string, labels: string, h: Histogram): void {
  const sep = labels ? ',' : '';
  LATENCY_BUCKETS.forEach((b, i) => lines.push(`${name}_bucket{${labels}${sep}le="${b}"} ${h.counts[i] ?? 0}`));
  lines.push(`${name}_bucket{${labels}${sep}le="+Inf"} ${h.count}`);
  const braces = labels ? `{${labels}}` : '';
  lines.push(`${name}_sum${braces} ${h.sum}`);
  lines.push(`${name}_count${braces} ${h.count}`);
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
