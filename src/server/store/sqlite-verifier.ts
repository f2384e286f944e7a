/**
 * The SQLite chain verifier thread, started by the server's thread (sqlite-thread.ts) for each
 * `verify` and gone when it has answered.
 *
 * Walking a 100,000-record chain (reading, rebuilding and hashing each record) takes about a
 * second. On the writer thread it held every append, and the health check, for that long. Here a
 * read-only connection of its own reads one snapshot of the chain in a single read transaction (WAL:
 * readers never block the writer, nor wait for it), so appends and the health check carry on; what
 * was appended after the snapshot began is verified by the next call.
 */
import Database from 'better-sqlite3';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { ChainWalk } from './chain.ts';
import { entryOf, type Row } from './audit-columns.ts';
import { isStoreThreadData, threadError, type VerifierMessage } from './sqlite-thread-protocol.ts';

const port = parentPort;
if (!port || !isStoreThreadData(workerData) || workerData.role !== 'verifier') {
  throw new Error('sqlite-verifier.ts runs as the verifier thread of the SQLite store (see sqlite-thread.ts)');
}
const post = (message: VerifierMessage): void => port.postMessage(message);

try {
  // The lowest CPU priority for this thread alone (on Linux, setpriority on pid 0 applies to the
  // calling thread): on a busy machine the writer and the HTTP thread go first, the walk waits.
  setPriority(19);
} catch {
  // Not permitted here: the walk still runs off the writer, only without the lower priority.
}

try {
  const database = new Database(workerData.path, { readonly: true, fileMustExist: true });
  try {
    database.pragma('busy_timeout = 5000');
    const walk = new ChainWalk();
    let verdict = null;
    // One statement, iterated: one read transaction, so one consistent snapshot of the chain.
    for (const row of database.prepare<[], Row>('SELECT * FROM audit_event ORDER BY seq ASC').iterate()) {
      verdict = walk.next({ seq: Number(row.seq), id: row.event_id, prevHash: row.prev_hash, hash: row.hash }, () => entryOf(row));
      if (verdict) break;
    }
    post({ type: 'verified', ok: true, value: verdict ?? walk.done() });
  } finally {
    database.close();
  }
} catch (error) {
  post({ type: 'verified', ok: false, error: threadError(error) });
}
port.close();
