/**
 * The SQLite checkpointer thread, started by the writer thread (sqlite-thread-worker.ts) beside it.
 *
 * In WAL mode a commit appends pages to the WAL and fsyncs it (synchronous=FULL); that is what
 * makes it durable. Copying those pages back into the database file (a checkpoint, with its own
 * fsync) is housekeeping, which SQLite by default does inside whichever commit takes the WAL past
 * 1000 pages. Under load that is every few commits, and it made the writer's commits about twice as
 * long. Here a second connection checkpoints (PASSIVE: it never blocks the writer, nor waits for
 * it) as soon as there is something to copy, so the writer only writes. The writer keeps a
 * commit-time checkpoint at a higher threshold, which bounds the WAL if this thread falls behind
 * or stops; nothing here affects what a commit guarantees.
 */
import Database from 'better-sqlite3';
import { setTimeout as sleep } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { isStoreThreadData } from './sqlite-thread-protocol.ts';

/** Pause after a checkpoint that found new pages: the next commit is likely milliseconds away. */
const BUSY_PAUSE_MS = 2;
/** Pause when the WAL has not changed since the last look. */
const IDLE_PAUSE_MS = 100;

const port = parentPort;
if (!port || !isStoreThreadData(workerData) || workerData.role !== 'checkpointer') {
  throw new Error('sqlite-checkpointer.ts runs as the checkpointer thread of the SQLite store (see sqlite-thread-worker.ts)');
}

const stop = new AbortController();
port.once('message', () => stop.abort());

const database = new Database(workerData.path, { fileMustExist: true });
const checkpoint = database.prepare<[], { busy: number; log: number; checkpointed: number }>('PRAGMA wal_checkpoint(PASSIVE)');
let lastLog = -1;
try {
  while (!stop.signal.aborted) {
    const { log } = checkpoint.get() ?? { log: -1 };
    const pause = log === lastLog ? IDLE_PAUSE_MS : BUSY_PAUSE_MS;
    lastLog = log;
    await sleep(pause, undefined, { signal: stop.signal }).catch(() => undefined);
  }
} finally {
  database.close();
  port.close();
}
