/**
 * The SQLite writer thread: opens the store (kysely-store.ts) here and serves the calls of
 * sqlite-thread.ts. Appends reach `store.append` as their messages arrive, so the store's group
 * commit works as in one thread: calls that arrive while a commit (and its fsync) runs are grouped
 * into the next one. A reply is posted only once the store's promise settles, that is, for an
 * append, once its transaction is durable.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openAuditStore } from './kysely-store.ts';
import { isStoreThreadData, packReceipts, startStoreThread, threadError, type StoreCall, type WriterMessage } from './sqlite-thread-protocol.ts';
import type { NormalizedAuditEvent } from '../../shared/audit-event.ts';
import type { AuditStore } from './types.ts';

const port = parentPort;
if (!port) throw new Error('sqlite-thread-worker.ts runs as a worker thread (see sqlite-thread.ts)');
const post = (message: WriterMessage): void => port.postMessage(message);

function answer(id: number, work: Promise<unknown>): void {
  work.then(
    (value) => post({ type: 'reply', id, ok: true, value }),
    (error: unknown) => post({ type: 'reply', id, ok: false, error: threadError(error) }),
  );
}

function serve(store: AuditStore, call: StoreCall, stopCheckpointer: () => Promise<void>): void {
  switch (call.method) {
    case 'append': {
      // Written by JSON.stringify of a NormalizedAuditEvent[] in the server's thread (the protocol says why JSON).
      const events = JSON.parse(call.eventsJson) as NormalizedAuditEvent[];
      answer(call.id, call.receipts ? store.append(events, call.actor).then(packReceipts) : store.append(events, call.actor));
      return;
    }
    case 'timeline':
      answer(call.id, store.timeline(call.query));
      return;
    case 'verify':
      answer(call.id, store.verify());
      return;
    case 'count':
      answer(call.id, store.count());
      return;
    case 'ping':
      answer(call.id, store.ping());
      return;
    case 'close':
      // The checkpointer's connection closes first, so that the writer's is the last one: closing
      // it checkpoints and removes the WAL, as a single connection would. Queued appends finish
      // before the store closes (store.close waits for them); the caller then ends the thread.
      answer(call.id, stopCheckpointer().then(() => store.close()));
      return;
  }
}

/**
 * With the checkpointer running, a commit checkpoints only past this many WAL pages (~40 MB), which
 * bounds the WAL if the checkpointer falls behind or stops.
 */
const WAL_AUTOCHECKPOINT_PAGES = 10_000;

/** Starts the checkpointer thread; `stop` resolves once it has closed its connection. */
function startCheckpointer(path: string): { stop: () => Promise<void> } {
  const thread = startStoreThread({ role: 'checkpointer', path });
  const exited = new Promise<void>((resolve) => thread.once('exit', () => resolve()));
  // Losing it costs speed, not safety (see WAL_AUTOCHECKPOINT_PAGES); its exit is enough to handle.
  thread.on('error', () => undefined);
  return {
    async stop() {
      thread.postMessage('stop');
      await exited;
    },
  };
}

const path = isStoreThreadData(workerData) && workerData.role === 'writer' ? workerData.path : null;
// An in-memory database has no WAL, and no other connection could see it.
const inMemory = path === ':memory:' || path === '';
let store: AuditStore | null = null;
try {
  if (path === null) throw new Error('the writer thread needs { role: "writer", path } as its workerData');
  store = await openAuditStore(
    { kind: 'sqlite', path },
    {
      onCommit: (seconds, events) => post({ type: 'commit', seconds, events }),
      ...(inMemory ? {} : { walAutocheckpointPages: WAL_AUTOCHECKPOINT_PAGES }),
    },
  );
} catch (error) {
  post({ type: 'open-failed', error: threadError(error) });
}
if (store && path !== null) {
  const open = store;
  let checkpointer: { stop: () => Promise<void> } | null = null;
  try {
    if (!inMemory) checkpointer = startCheckpointer(path);
  } catch {
    // Speed, not safety: see WAL_AUTOCHECKPOINT_PAGES.
  }
  const stopCheckpointer = async () => {
    await checkpointer?.stop();
    checkpointer = null;
  };
  port.on('message', (call: StoreCall) => serve(open, call, stopCheckpointer));
  post({ type: 'ready' });
}
