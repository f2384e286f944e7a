/**
 * The raw loop a store's throughput is compared with: `rows` inserted into a fresh SQLite file
 * (WAL, synchronous=FULL, the store's own DDL) in transactions of `batch` rows; rows/s.
 */
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';

export function rawSqliteInsertRate(path: string, ddl: readonly string[], table: string, rows: ReadonlyArray<Record<string, unknown>>, batch: number): number {
  const raw = new Database(path);
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = FULL');
  for (const statement of ddl) raw.exec(statement);
  const columns = Object.keys(rows[0] ?? {});
  const insert = raw.prepare(`INSERT INTO ${table} (${columns.join(',')}) VALUES (${columns.map((c) => `@${c}`).join(',')})`);
  const insertBatch = raw.transaction((b: ReadonlyArray<Record<string, unknown>>) => {
    for (const row of b) insert.run(row);
  });
  const started = performance.now();
  for (let i = 0; i < rows.length; i += batch) insertBatch(rows.slice(i, i + batch));
  const seconds = (performance.now() - started) / 1000;
  raw.close();
  return rows.length / seconds;
}
