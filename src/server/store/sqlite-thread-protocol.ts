/**
 * What the SQLite store's threads share: how they start, and the messages between the audit
 * server's thread and the writer thread (sqlite-thread.ts and sqlite-thread-worker.ts), which are
 * structured-cloned.
 */
import { Worker } from 'node:worker_threads';
import type { AuditActor, NormalizedAuditEvent } from '../../shared/audit-event.ts';
import type { AppendBatchOutcome, AppendOutcome, AppendReceipt, ChainVerification, TimelineQuery } from './types.ts';

/**
 * What a thread of the SQLite store is started with (its `workerData`): the writer, the
 * checkpointer the writer starts beside it, or a chain verifier (one per `verify`). `path` is the SQLite file, or `:memory:` for the writer
 * (then only the writer thread ever sees the database, and there is no checkpointer).
 */
export interface StoreThreadData {
  role: 'writer' | 'checkpointer' | 'verifier';
  path: string;
}

/** Reads `workerData` (it comes from our own code, but is `unknown` to the thread). */
export function isStoreThreadData(value: unknown): value is StoreThreadData {
  if (typeof value !== 'object' || value === null) return false;
  const { role, path } = value as { role?: unknown; path?: unknown };
  return (role === 'writer' || role === 'checkpointer' || role === 'verifier') && typeof path === 'string';
}

/** Set to true by the server build (src/cli/build-server.mjs); undefined under tsx and vitest. */
declare const __CARELOOP_SERVER_BUNDLE__: boolean | undefined;

/**
 * The threads' entry: in the compiled server, the bundled `store-thread.js` beside `main.js`; from
 * the sources, src/cli/store-thread-from-sources.mjs, which registers tsx and loads the TypeScript
 * module of its role (it says why). Nothing under src/server imports tsx.
 */
const STORE_THREAD_ENTRY =
  typeof __CARELOOP_SERVER_BUNDLE__ === 'boolean' && __CARELOOP_SERVER_BUNDLE__
    ? new URL('./store-thread.js', import.meta.url)
    : new URL('../../cli/store-thread-from-sources.mjs', import.meta.url);

/**
 * Starts a thread of the store. The parent's loader flags (tsx's, or vitest's) are not passed on, as
 * the entry registers its own; the profiler flags are, so `--cpu-prof` profiles these threads too.
 */
export function startStoreThread(data: StoreThreadData): Worker {
  return new Worker(STORE_THREAD_ENTRY, { workerData: data, execArgv: process.execArgv.filter((arg) => arg.startsWith('--cpu-prof')) });
}

/**
 * A call of a store method, numbered so its reply can find it. An append's events travel as JSON
 * text (`JSON.stringify` of the `NormalizedAuditEvent[]`): for these plain objects, V8's structured
 * clone costs about as much as JSON to write but 2 to 3 times as much to read, and the reading side
 * is the writer thread, the busier of the two.
 */
export type StoreCall =
  | { id: number; method: 'append'; eventsJson: string; actor: AuditActor; receipts: boolean }
  | { id: number; method: 'timeline'; query: TimelineQuery }
  | { id: number; method: 'verify' | 'count' | 'ping' | 'close' };

/**
 * The receipts of an append, packed: what `AppendBatchOutcome<AppendReceipt>` says, in three flat
 * values instead of an object per event, which cost more to clone than to build. The event ids are
 * those of the call, in order.
 */
export type PackedReceipts =
  | {
      kind: 'ok';
      /** One letter per event: `c` created, `d` duplicate. */
      statuses: string;
      seqs: number[];
      /** The 64-character hex hashes, one after another. */
      hashes: string;
    }
  | { kind: 'conflict'; conflictingIds: string[] };

/** Packs the receipts of an append (in the writer thread). */
export function packReceipts(result: AppendBatchOutcome): PackedReceipts {
  if (result.kind === 'conflict') return result;
  let statuses = '';
  let hashes = '';
  const seqs: number[] = [];
  for (const r of result.results) {
    statuses += r.status === 'created' ? 'c' : 'd';
    seqs.push(r.record.seq);
    hashes += r.record.hash;
  }
  return { kind: 'ok', statuses, seqs, hashes };
}

/** Unpacks receipts (in the server's thread), given the ids of the events that were appended. */
export function unpackReceipts(packed: PackedReceipts, events: readonly NormalizedAuditEvent[]): AppendBatchOutcome<AppendReceipt> {
  if (packed.kind === 'conflict') return packed;
  const results: Array<AppendOutcome<AppendReceipt>> = [];
  for (let i = 0; i < events.length; i++) {
    const record = { id: events[i]?.id ?? '', seq: packed.seqs[i] ?? 0, hash: packed.hashes.slice(64 * i, 64 * i + 64) };
    results.push(packed.statuses[i] === 'c' ? { status: 'created', record } : { status: 'duplicate', record });
  }
  return { kind: 'ok', results };
}

/** An error as it crosses the thread boundary. */
export interface ThreadError {
  name: string;
  message: string;
}

/** What the writer thread posts back. */
export type WriterMessage =
  | { type: 'ready' }
  | { type: 'open-failed'; error: ThreadError }
  /** After each durable group commit, for the store-write metric. */
  | { type: 'commit'; seconds: number; events: number }
  | { type: 'reply'; id: number; ok: true; value: unknown }
  | { type: 'reply'; id: number; ok: false; error: ThreadError };

/** What the verifier thread posts back, once. */
export type VerifierMessage = { type: 'verified'; ok: true; value: ChainVerification } | { type: 'verified'; ok: false; error: ThreadError };

/** Turns whatever was thrown into something that survives postMessage. */
export function threadError(error: unknown): ThreadError {
  return error instanceof Error ? { name: error.name, message: error.message } : { name: 'Error', message: String(error) };
}
