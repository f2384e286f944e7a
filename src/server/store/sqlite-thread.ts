/**
 * The SQLite audit store in a writer thread. better-sqlite3 is synchronous: in the server's thread,
 * every group commit (SQL, hashing, and the fsync of COMMIT) would stop HTTP parsing and token
 * checks until it returns. Here the store (kysely-store.ts, unchanged in behaviour) runs in a worker
 * thread, and this `AuditStore` forwards each call to it and resolves with its reply, so an append
 * still resolves only once its transaction is durable. The writer groups what arrives during a
 * commit into the next one, as the in-thread store does. Beside it, a checkpointer thread copies
 * committed WAL pages into the database file (sqlite-checkpointer.ts), so commits need not, and
 * `verify` walks the chain in a thread of its own on a read-only connection (sqlite-verifier.ts),
 * so a verification never holds an append or the health check.
 *
 * If the thread dies, pending and later calls reject with an Error saying so, and `ping` (the health
 * check) fails; they never hang.
 */
import type { Worker } from 'node:worker_threads';
import type { AuditActor, AuditEntry, NormalizedAuditEvent } from '../../shared/audit-event.ts';
import { startStoreThread, unpackReceipts, type PackedReceipts, type StoreCall, type ThreadError, type VerifierMessage, type WriterMessage } from './sqlite-thread-protocol.ts';
import type { AppendBatchOutcome, AppendOptions, AppendReceipt, AuditStore, ChainVerification, TimelineQuery } from './types.ts';

/** Options of {@link openSqliteStoreThread}. */
export interface SqliteStoreThreadOptions {
  /** Called (in this thread) after each durable group commit with its duration and size. */
  onCommit?: (seconds: number, events: number) => void;
}

/** An `AuditStore` whose SQLite database lives in a writer thread. */
export interface SqliteStoreThread extends AuditStore {
  readonly dialect: 'sqlite';
  /** The writer thread, for monitoring (and for tests that stop it). */
  readonly worker: Worker;
}

/**
 * Starts the writer thread, which opens (and migrates) the SQLite store at `path`; resolves once it
 * is ready, rejects if it cannot open the database.
 *
 * @example
 * const store = await openSqliteStoreThread('.data/audit.sqlite', { onCommit: (s) => metrics.observeStoreWrite(s) });
 */
export async function openSqliteStoreThread(path: string, options: SqliteStoreThreadOptions = {}): Promise<SqliteStoreThread> {
  const worker = startStoreThread({ role: 'writer', path });
  const store = new ThreadedAuditStore(worker, path, options.onCommit);
  await store.ready;
  return store;
}

/** Runs one chain walk in a verifier thread (sqlite-verifier.ts) and resolves with its verdict. */
function verifyInThread(path: string): Promise<ChainVerification> {
  return new Promise((resolve, reject) => {
    const thread = startStoreThread({ role: 'verifier', path });
    let settled = false;
    thread.once('message', (message: VerifierMessage) => {
      settled = true;
      if (message.ok) resolve(message.value);
      else reject(errorFrom(message.error));
    });
    thread.once('error', (error) => {
      if (settled) return;
      settled = true;
      reject(new Error(`the chain verifier thread failed: ${error.message}`));
    });
    thread.once('exit', (code) => {
      if (settled) return;
      settled = true;
      reject(new Error(`the chain verifier thread stopped (exit code ${code}) without a verdict`));
    });
  });
}

interface PendingCall {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

function errorFrom(error: ThreadError): Error {
  const rebuilt = new Error(error.message);
  rebuilt.name = error.name;
  return rebuilt;
}

class ThreadedAuditStore implements SqliteStoreThread {
  readonly dialect = 'sqlite';
  readonly ready: Promise<void>;
  private readonly pending = new Map<number, PendingCall>();
  private nextId = 1;
  /** Why the thread is gone, once it is (and not because of `close`). */
  private failure: Error | null = null;
  private closeRequested = false;
  private closed = false;
  private closing: Promise<void> | null = null;
  private settleReady: { resolve: () => void; reject: (error: Error) => void } | null = null;

  constructor(
    readonly worker: Worker,
    private readonly path: string,
    private readonly onCommit: ((seconds: number, events: number) => void) | undefined,
  ) {
    this.ready = new Promise((resolve, reject) => {
      this.settleReady = { resolve, reject };
    });
    worker.on('message', (message: WriterMessage) => this.receive(message));
    worker.on('messageerror', (error) => this.fail(new Error(`the audit store's writer thread sent a message that could not be read: ${error.message}`)));
    worker.on('error', (error) => this.fail(new Error(`the audit store's writer thread failed: ${error.message}`)));
    worker.on('exit', (code) => this.fail(new Error(`the audit store's writer thread stopped (exit code ${code}); the store is unavailable`)));
  }

  private receive(message: WriterMessage): void {
    switch (message.type) {
      case 'ready':
        // Idle, the thread does not keep the process alive (an in-thread store would not either).
        if (this.pending.size === 0) this.worker.unref();
        this.settleReady?.resolve();
        this.settleReady = null;
        return;
      case 'open-failed':
        this.fail(new Error(`could not open the SQLite audit store at ${this.path}: ${message.error.message}`));
        void this.worker.terminate();
        return;
      case 'commit':
        this.onCommit?.(message.seconds, message.events);
        return;
      case 'reply': {
        const call = this.pending.get(message.id);
        if (!call) return;
        this.pending.delete(message.id);
        if (this.pending.size === 0) this.worker.unref();
        if (message.ok) call.resolve(message.value);
        else call.reject(errorFrom(message.error));
        return;
      }
    }
  }

  /** The first failure wins; every pending call rejects with it, and so does every later one. */
  private fail(error: Error): void {
    if (this.closed || this.failure) return;
    this.failure = error;
    this.settleReady?.reject(error);
    this.settleReady = null;
    const calls = [...this.pending.values()];
    this.pending.clear();
    for (const call of calls) call.reject(error);
  }

  /**
   * Posts a call and resolves with the writer's answer. The answer is the value the same store
   * method resolved with in the writer thread (our own code on both sides, structured-cloned), so
   * the typed methods below state its type.
   */
  private call(make: (id: number) => StoreCall): Promise<unknown> {
    if (this.failure) return Promise.reject(new Error(this.failure.message));
    const id = this.nextId++;
    const call = make(id);
    if (this.closeRequested && call.method !== 'close') return Promise.reject(new Error('audit store is closed'));
    return new Promise((resolve, reject) => {
      try {
        this.worker.postMessage(call);
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve, reject });
    });
  }

  append(events: readonly NormalizedAuditEvent[], actor: AuditActor, options?: { returning?: 'records' }): Promise<AppendBatchOutcome>;
  append(events: readonly NormalizedAuditEvent[], actor: AuditActor, options: { returning: 'receipts' }): Promise<AppendBatchOutcome<AppendReceipt>>;
  append(events: readonly NormalizedAuditEvent[], actor: AuditActor, options?: AppendOptions): Promise<AppendBatchOutcome<AppendReceipt>> {
    const eventsJson = JSON.stringify(events);
    if (options?.returning === 'receipts') {
      const packed = this.call((id) => ({ id, method: 'append', eventsJson, actor, receipts: true })) as Promise<PackedReceipts>;
      return packed.then((p) => unpackReceipts(p, events));
    }
    return this.call((id) => ({ id, method: 'append', eventsJson, actor, receipts: false })) as Promise<AppendBatchOutcome>;
  }

  timeline(query: TimelineQuery): Promise<AuditEntry[]> {
    return this.call((id) => ({ id, method: 'timeline', query })) as Promise<AuditEntry[]>;
  }

  /** Concurrent calls share one walk; a call after it has finished starts a new one (and sees newer records). */
  verify(): Promise<ChainVerification> {
    if (this.failure) return Promise.reject(new Error(this.failure.message));
    if (this.closeRequested) return Promise.reject(new Error('audit store is closed'));
    // An in-memory database is visible to the writer's connection only.
    if (this.path === ':memory:' || this.path === '') return this.call((id) => ({ id, method: 'verify' })) as Promise<ChainVerification>;
    this.verifying ??= verifyInThread(this.path).finally(() => {
      this.verifying = null;
    });
    return this.verifying;
  }

  private verifying: Promise<ChainVerification> | null = null;

  count(): Promise<number> {
    return this.call((id) => ({ id, method: 'count' })) as Promise<number>;
  }

  async ping(): Promise<void> {
    await this.call((id) => ({ id, method: 'ping' }));
  }

  /** Lets accepted appends finish, closes the database, ends the thread. Resolves if the thread is already gone. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.failure) return;
      const closed = this.call((id) => ({ id, method: 'close' }));
      this.closeRequested = true;
      try {
        await closed;
      } finally {
        this.closed = true;
        await this.worker.terminate();
      }
    })();
    return this.closing;
  }
}
