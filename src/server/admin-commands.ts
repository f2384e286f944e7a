/**
 * The audit server's admin commands on a SQLite store, run beside the live server (WAL: they read a
 * snapshot and never block its appends):
 *
 * - `backup <file>`: SQLite's online backup API into a new file, then the copy's chain is verified.
 * - `verify <file>`: walks a database file's chain (e.g. a backup before restoring it).
 * - `export <file.ndjson> [--before <ISO date>]`: the records (with `seq`, `prevHash`, `hash`) as
 *   JSON lines, for an archive; nothing is deleted, so the chain stays whole.
 */
import Database from 'better-sqlite3';
import { createWriteStream, existsSync } from 'node:fs';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { ChainWalk } from './store/chain.ts';
import { entryOf, type Row } from './store/audit-columns.ts';
import type { ChainVerification } from './store/types.ts';

/** Walks the chain of a SQLite audit database file in one read transaction. */
export function verifySqliteFile(path: string): ChainVerification {
  const database = new Database(path, { readonly: true, fileMustExist: true });
  try {
    database.pragma('busy_timeout = 5000');
    const walk = new ChainWalk();
    for (const row of database.prepare<[], Row>('SELECT * FROM audit_event ORDER BY seq ASC').iterate()) {
      const verdict = walk.next({ seq: Number(row.seq), id: row.event_id, prevHash: row.prev_hash, hash: row.hash }, () => entryOf(row));
      if (verdict) return verdict;
    }
    return walk.done();
  } finally {
    database.close();
  }
}

/**
 * Copies a live SQLite audit database with the online backup API (consistent while the server
 * appends), then verifies the copy's chain. Refuses to overwrite an existing file.
 */
export async function backupSqlite(source: string, destination: string): Promise<ChainVerification> {
  if (existsSync(destination)) throw new Error(`${destination} exists already; give a new file name`);
  const database = new Database(source, { readonly: true, fileMustExist: true });
  try {
    database.pragma('busy_timeout = 5000');
    await database.backup(destination);
  } finally {
    database.close();
  }
  return verifySqliteFile(destination);
}

/** Writes the records accepted before `before` (all when null) as JSON lines; returns how many. */
export async function exportSqlite(source: string, destination: string, before: string | null): Promise<number> {
  if (existsSync(destination)) throw new Error(`${destination} exists already; give a new file name`);
  const database = new Database(source, { readonly: true, fileMustExist: true });
  const out = createWriteStream(destination, { flags: 'wx' });
  let count = 0;
  try {
    database.pragma('busy_timeout = 5000');
    const rows =
      before === null
        ? database.prepare<[], Row>('SELECT * FROM audit_event ORDER BY seq ASC').iterate()
        : database.prepare<[string], Row>('SELECT * FROM audit_event WHERE server_time < ? ORDER BY seq ASC').iterate(before);
    for (const row of rows) {
      if (!out.write(`${JSON.stringify(entryOf(row))}\n`)) await once(out, 'drain');
      count += 1;
    }
  } finally {
    database.close();
    out.end();
    await finished(out);
  }
  return count;
}

const USAGE = [
  'Usage: node dist/server/main.js <command> (SQLite store; PostgreSQL: see the README)',
  '  backup <new file>                        online backup of AUDIT_SQLITE_PATH, then verify the copy',
  '  verify <file>                            verify the chain of a database file',
  '  export <new file.ndjson> [--before <date>]  the records accepted before an ISO 8601 date, as JSON lines',
].join('\n');

/** Runs an admin command; returns the process exit code. */
export async function runAdminCommand(args: readonly string[], env: Readonly<Record<string, string | undefined>>): Promise<number> {
  const [command, target, flag, value] = args;
  const source = env['AUDIT_SQLITE_PATH'] || '.data/audit.sqlite';
  const report = (verdict: ChainVerification, what: string): number => {
    if (verdict.ok) {
      console.info(`${what}: chain verified, ${verdict.records} records, head ${verdict.headHash}`);
      return 0;
    }
    console.error(`${what}: chain broken at record ${verdict.firstBroken.seq} (${verdict.firstBroken.reason}) after ${verdict.records} good records`);
    return 2;
  };
  try {
    if (command === 'backup' && target && !flag) return report(await backupSqlite(source, target), `Backup of ${source} written to ${target}`);
    if (command === 'verify' && target && !flag) return report(verifySqliteFile(target), target);
    if (command === 'export' && target && (flag === undefined || (flag === '--before' && value && !Number.isNaN(Date.parse(value))))) {
      const before = value ? new Date(value).toISOString() : null;
      const count = await exportSqlite(source, target, before);
      console.info(`Exported ${count} records${before ? ` accepted before ${before}` : ''} from ${source} to ${target}`);
      return 0;
    }
  } catch (error) {
    console.error(`${command ?? ''}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  console.error(USAGE);
  return 64;
}
