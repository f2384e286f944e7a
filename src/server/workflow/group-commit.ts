/**
 * Group commit: callers submit items one by one; the items submitted while the process was busy
 * (the same turn of the event loop, or while earlier batches were committing) are committed
 * together by one call of `commit` — one transaction, one fsync — and each caller's promise
 * settles once its batch has committed (or failed: then every caller of that batch gets the error).
 * At most `inFlight` batches commit at a time: 1 for a synchronous store (SQLite), a few for a
 * server database whose commits overlap (PostgreSQL).
 *
 * @example
 * const group = new GroupCommit((requests) => inbox.intakeBatch(requests));
 * const result = await group.submit(request); // durable now: acknowledge
 */
export class GroupCommit<I, O> {
  private queue: Array<{ item: I; resolve: (o: O) => void; reject: (e: unknown) => void }> = [];
  private scheduled = false;
  private running = 0;
  /** Batches committed and items in them (benchmarks, metrics). */
  readonly counters = { batches: 0, items: 0 };

  constructor(
    private readonly commit: (items: readonly I[]) => O[] | Promise<O[]>,
    private readonly options: { readonly maxBatch?: number; readonly inFlight?: number } = {},
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.scheduled && this.running < (this.options.inFlight ?? 1)) {
        this.scheduled = true;
        // After the I/O callbacks already due: the requests that arrived together go in one batch.
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    while (this.queue.length > 0 && this.running < (this.options.inFlight ?? 1)) {
      const batch = this.queue.splice(0, this.options.maxBatch ?? 1000);
      this.running++;
      void this.run(batch);
    }
  }

  private async run(batch: Array<{ item: I; resolve: (o: O) => void; reject: (e: unknown) => void }>): Promise<void> {
    try {
      const out = await this.commit(batch.map((b) => b.item));
      this.counters.batches++;
      this.counters.items += batch.length;
      batch.forEach((b, i) => b.resolve(out[i] as O));
    } catch (e) {
      for (const b of batch) b.reject(e);
    } finally {
      this.running--;
      // What arrived meanwhile waits for no timer: it is the next batch.
      if (this.queue.length > 0 && !this.scheduled) this.flush();
    }
  }
}
