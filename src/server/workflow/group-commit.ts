/**
 * Group commit: callers submit items one by one; the items submitted while the process was busy
 * (the same turn of the event loop, or while the previous batch was committing) are committed
 * together by one call of `commit` — one transaction, one fsync — and each caller's promise
 * settles once its batch has committed (or failed: then every caller of that batch gets the error).
 * One batch is in flight at a time.
 *
 * @example
 * const group = new GroupCommit((requests) => inbox.intakeBatch(requests));
 * const result = await group.submit(request); // durable now: acknowledge
 */
export class GroupCommit<I, O> {
  private queue: Array<{ item: I; resolve: (o: O) => void; reject: (e: unknown) => void }> = [];
  private scheduled = false;
  private running = false;
  /** Batches committed and items in them (benchmarks, metrics). */
  readonly counters = { batches: 0, items: 0 };

  constructor(
    private readonly commit: (items: readonly I[]) => O[] | Promise<O[]>,
    private readonly maxBatch = 1000,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.scheduled && !this.running) {
        this.scheduled = true;
        // After the I/O callbacks already due: the requests that arrived together go in one batch.
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    this.running = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          const out = await this.commit(batch.map((b) => b.item));
          this.counters.batches++;
          this.counters.items += batch.length;
          batch.forEach((b, i) => b.resolve(out[i] as O));
        } catch (e) {
          for (const b of batch) b.reject(e);
        }
      }
    } finally {
      this.running = false;
    }
  }
}
