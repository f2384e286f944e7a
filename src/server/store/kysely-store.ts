/**
 * The audit store over Kysely, for SQLite (better-sqlite3) and PostgreSQL (pg).
 *
 * Writes go through one queue per process: concurrent requests are grouped into one transaction
 * (group commit), which keeps the hash chain linear and makes one durable commit serve many
 * requests. Across processes, PostgreSQL serialises writers with a transaction-scoped advisory lock;
 * SQLite has a single writer by construction.
 *
 * Reads, migrations and PostgreSQL writes go through Kysely. SQLite writes do not: better-sqlite3 is
 * synchronous, so a whole group commit runs as one synchronous transaction on prepared statements
 * whose SQL Kysely compiles once, with no query building and no promise per statement. That path
 * is most of the server's work under load (see `SqliteWriter`).
 */
import Database from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { GENESIS_HASH, type AuditActor, type AuditEntry, type NormalizedAuditEvent } from '../../shared/audit-event.ts';
import { AUDIT_COLUMN_NAMES, eventOf, entryOf, entryOfEvent, rowOf, rowValues, type AuditDatabase, type ColumnValue, type NewRow, type Row } from './audit-columns.ts';
import { ChainWalk, eventDigest, hashBuiltEntry } from './chain.ts';
import { migrate } from './migrations.ts';
import type { AppendBatchOutcome, AppendOptions, AppendOutcome, AuditStore, ChainVerification, TimelineQuery } from './types.ts';

/** Where the records live. */
export type StoreLocation =
  | { kind: 'sqlite'; path: string }
  /** `schema` (optional) isolates the tables in a PostgreSQL schema, e.g. one per test file. */
  | { kind: 'postgres'; connectionString: string; schema?: string | undefined; maxConnections?: number | undefined };

/** An advisory lock key for the chain (any constant; "CAREloop AUDit" in hex-ish). */
const CHAIN_LOCK_KEY = 0x0ca7e100d;
/** Most events written in one group commit. */
const MAX_GROUP_EVENTS = 2_000;
/**
 * PostgreSQL statement shapes: inserts go in chunks of these row counts (greedy), lookups are padded
 * to these id counts, so a few SQL texts recur.
 */
const INSERT_SHAPES = [200, 50, 10, 1] as const;
const SELECT_SHAPES = [1, 10, 50, 100, 200, 500] as const;
const SELECT_CHUNK = 500;

/** Splits `n` into chunk sizes from `INSERT_SHAPES`, largest first. */
function insertChunks(n: number): number[] {
  const out: number[] = [];
  let left = n;
  for (const size of INSERT_SHAPES) {
    while (left >= size) {
      out.push(size);
      left -= size;
    }
  }
  return out;
}

/** Pads a non-empty id list to the next lookup shape by repeating its last id. */
function padIds(ids: readonly string[]): string[] {
  const target = SELECT_SHAPES.find((s) => s >= ids.length) ?? ids.length;
  const last = ids[ids.length - 1] ?? '';
  return [...ids, ...Array.from({ length: target - ids.length }, () => last)];
}

/**
 * better-sqlite3 behind Kysely prepares every query anew; preparing a query can cost more than
 * running it. This keeps the prepared statements of recent SQL texts (the connection is used by one
 * query at a time, so reusing a statement is safe).
 */
function cachingStatements(database: Database.Database): Database.Database {
  const cache = new Map<string, Database.Statement>();
  return new Proxy(database, {
    get(target, property, receiver) {
      if (property !== 'prepare') {
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      }
      return (source: string) => {
        let statement = cache.get(source);
        if (!statement) {
          statement = target.prepare(source);
          if (cache.size >= 64) {
            const oldest = cache.keys().next().value;
            if (oldest !== undefined) cache.delete(oldest);
          }
          cache.set(source, statement);
        }
        return statement;
      };
    },
  });
}

/** One caller's batch, as the group commit sees it. */
interface AppendRequest {
  events: readonly NormalizedAuditEvent[];
  actor: AuditActor;
}

interface PendingAppend extends AppendRequest {
  resolve: (result: AppendBatchOutcome) => void;
  reject: (error: unknown) => void;
}

/** The last record of the chain, or none for an empty store. */
type ChainHead = { seq: number | string; hash: string } | undefined;

/** What {@link planGroup} decided: one result per request, and the new records in chain order. */
interface GroupPlan {
  results: AppendBatchOutcome[];
  records: AuditEntry[];
}

/**
 * Decides a group commit: dedup against `known` (stored records by event id) and within the group,
 * conflicts per request (a conflicting request stores nothing), then numbers, chains and hashes the
 * new records after `head`. Pure: the caller reads `known` and `head` and writes `records` inside
 * one transaction.
 */
function planGroup(group: readonly AppendRequest[], known: Map<string, AuditEntry>, head: ChainHead, serverTime: string): GroupPlan {
  let seq = head ? Number(head.seq) : 0;
  let prevHash = head ? head.hash : GENESIS_HASH;
  const results: AppendBatchOutcome[] = [];
  const records: AuditEntry[] = [];
  for (const pending of group) {
    // The actor built field by field, the record by entryOfEvent: every record has exactly the
    // fields the fast serialiser writes.
    const a = pending.actor;
    const actor: AuditActor = { sub: a.sub, fhirUser: a.fhirUser, clientId: a.clientId, issuer: a.issuer };
    const staged = new Map<string, AuditEntry>();
    const outcomes: AppendOutcome[] = [];
    let conflicting: string[] | null = null;
    let stagedSeq = seq;
    let stagedPrev = prevHash;
    for (const event of pending.events) {
      const existing = staged.get(event.id) ?? known.get(event.id);
      if (existing) {
        if (sameEvent(existing, event, actor)) outcomes.push({ status: 'duplicate', record: existing });
        else (conflicting ??= []).push(event.id);
        continue;
      }
      stagedSeq += 1;
      const record = entryOfEvent(event, { seq: stagedSeq, serverTime, actor, prevHash: stagedPrev, hash: '' });
      record.hash = hashBuiltEntry(record);
      stagedPrev = record.hash;
      staged.set(event.id, record);
      outcomes.push({ status: 'created', record });
    }
    if (conflicting) {
      results.push({ kind: 'conflict', conflictingIds: [...new Set(conflicting)] });
      continue;
    }
    seq = stagedSeq;
    prevHash = stagedPrev;
    for (const [id, record] of staged) {
      known.set(id, record);
      records.push(record);
    }
    results.push({ kind: 'ok', results: outcomes });
  }
  return { results, records };
}

/**
 * The SQLite write path: one synchronous `BEGIN IMMEDIATE … COMMIT` per group on prepared
 * statements. BEGIN IMMEDIATE takes the write lock before the chain head is read, so a second
 * process on the same file waits (busy_timeout) instead of forking the chain. Single-row inserts:
 * with the statement prepared, SQLite inserts them faster than multi-row VALUES lists.
 *
 * It shares the connection with Kysely's reads. That is safe because better-sqlite3 runs each
 * statement to completion synchronously and this transaction never yields to the event loop; the
 * only Kysely transaction (the migration) has finished before the store is returned.
 */
class SqliteWriter {
  private readonly insert: Database.Statement<[ColumnValue[]]>;
  private readonly byEventId: Database.Statement<[string], Row>;
  private readonly head: Database.Statement<unknown[], { seq: number; hash: string }>;
  private readonly headParameters: readonly unknown[];
  private readonly write: Database.Transaction<(group: readonly AppendRequest[], serverTime: string) => AppendBatchOutcome[]>;

  constructor(database: Database.Database, db: Kysely<AuditDatabase>) {
    // The columns in rowValues' order (both come from the one declaration, audit-columns.ts).
    const columns = Object.fromEntries(AUDIT_COLUMN_NAMES.map((name) => [name, null])) as unknown as NewRow;
    this.insert = database.prepare<[ColumnValue[]]>(db.insertInto('audit_event').values(columns).compile().sql);
    this.byEventId = database.prepare<[string], Row>(db.selectFrom('audit_event').selectAll().where('event_id', '=', '').compile().sql);
    const head = db.selectFrom('audit_event').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1).compile();
    this.head = database.prepare<unknown[], { seq: number; hash: string }>(head.sql);
    this.headParameters = head.parameters;
    this.write = database.transaction((group: readonly AppendRequest[], serverTime: string) => {
      const known = new Map<string, AuditEntry>();
      for (const pending of group) {
        for (const event of pending.events) {
          if (known.has(event.id)) continue;
          const row = this.byEventId.get(event.id);
          if (row) known.set(event.id, entryOf(row));
        }
      }
      const plan = planGroup(group, known, this.head.get(...this.headParameters), serverTime);
      for (const record of plan.records) this.insert.run(rowValues(record));
      return plan.results;
    });
  }

  /** Writes a group in one durable transaction; returns one result per request. */
  writeGroup(group: readonly AppendRequest[], serverTime: string): AppendBatchOutcome[] {
    return this.write.immediate(group, serverTime);
  }
}

/** Options for {@link openAuditStore}. */
export interface OpenStoreOptions {
  /** Clock for server times (tests pin it). */
  now?: () => Date;
  /** Called after each durable group commit with its duration (for the store-write metric). */
  onCommit?: (seconds: number, events: number) => void;
  /**
   * SQLite: the WAL size in pages past which a commit also checkpoints (SQLite's default: 1000).
   * Raised where another connection checkpoints in the background (sqlite-checkpointer.ts), so
   * that commits seldom pay for it; the commit's own checkpoint then only bounds the WAL.
   */
  walAutocheckpointPages?: number;
}

/**
 * Opens (and migrates) the store in this thread. The audit server runs SQLite in a writer thread
 * instead (see `openSqliteStoreThread`); this is what that thread opens, and what the store's own
 * tests open.
 *
 * @example
 * const store = await openAuditStore({ kind: 'sqlite', path: './audit.sqlite' });
 */
export async function openAuditStore(location: StoreLocation, options: OpenStoreOptions = {}): Promise<AuditStore> {
  if (location.kind === 'sqlite') {
    const database = new Database(location.path);
    // WAL with synchronous=FULL: a commit is on disk (WAL fsynced) before it returns.
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = FULL');
    database.pragma('busy_timeout = 5000');
    if (options.walAutocheckpointPages !== undefined) database.pragma(`wal_autocheckpoint = ${Math.max(0, Math.floor(options.walAutocheckpointPages))}`);
    const db = new Kysely<AuditDatabase>({ dialect: new SqliteDialect({ database: cachingStatements(database) }) });
    await migrate(db, 'sqlite');
    return new KyselyAuditStore(db, 'sqlite', options.now ?? (() => new Date()), options.onCommit, new SqliteWriter(database, db));
  }
  const schema = location.schema;
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error('PostgreSQL schema name must match [a-z_][a-z0-9_]*');
  const pool = new pg.Pool({
    connectionString: location.connectionString,
    max: location.maxConnections ?? 10,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  if (schema) {
    const client = await pool.connect();
    try {
      // Created only when missing: CREATE SCHEMA (even IF NOT EXISTS) needs the CREATE privilege on
      // the database, which the least-privilege role (README, PostgreSQL) does not have.
      const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
      if (exists.rowCount === 0) await client.query(`CREATE SCHEMA ${schema}`);
    } finally {
      client.release();
    }
  }
  const db = new Kysely<AuditDatabase>({ dialect: new PostgresDialect({ pool }) });
  await migrate(db, 'postgres');
  return new KyselyAuditStore(db, 'postgres', options.now ?? (() => new Date()), options.onCommit, null);
}

class KyselyAuditStore implements AuditStore {
  private readonly queue: PendingAppend[] = [];
  private draining = false;
  private drainScheduled = false;
  private closed = false;

  constructor(
    private readonly db: Kysely<AuditDatabase>,
    readonly dialect: 'sqlite' | 'postgres',
    private readonly now: () => Date,
    private readonly onCommit: ((seconds: number, events: number) => void) | undefined,
    /** The synchronous write path (SQLite only). */
    private readonly sqlite: SqliteWriter | null,
  ) {}

  /** Always answers with whole records (they are receipts too): nothing crosses a thread here. */
  append(events: readonly NormalizedAuditEvent[], actor: AuditActor, _options?: AppendOptions): Promise<AppendBatchOutcome> {
    if (this.closed) return Promise.reject(new Error('audit store is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ events, actor, resolve, reject });
      // Start on the next turn of the event loop, so requests read in the same turn share one
      // transaction and one fsync (group commit).
      if (!this.draining && !this.drainScheduled) {
        this.drainScheduled = true;
        setImmediate(() => {
          this.drainScheduled = false;
          void this.drain();
        });
      }
    });
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        const group: PendingAppend[] = [];
        let size = 0;
        while (this.queue.length > 0 && (group.length === 0 || size + (this.queue[0]?.events.length ?? 0) <= MAX_GROUP_EVENTS)) {
          const next = this.queue.shift();
          if (!next) break;
          group.push(next);
          size += next.events.length;
        }
        try {
          const started = performance.now();
          const serverTime = this.now().toISOString();
          const results = this.sqlite
            ? this.sqlite.writeGroup(group, serverTime)
            : await this.db.transaction().execute((trx) => writeGroupPostgres(trx, group, serverTime));
          this.onCommit?.((performance.now() - started) / 1000, size);
          group.forEach((p, i) => {
            const result = results[i];
            if (result) p.resolve(result);
            else p.reject(new Error('missing group result'));
          });
        } catch (error) {
          for (const p of group) p.reject(error);
        }
      }
    } finally {
      this.draining = false;
    }
  }

  async timeline(query: TimelineQuery): Promise<AuditEntry[]> {
    let q = this.db.selectFrom('audit_event').selectAll().where('patient', '=', query.patient);
    if (query.from !== undefined) q = q.where('server_time', '>=', query.from);
    if (query.to !== undefined) q = q.where('server_time', '<', query.to);
    if (query.actions && query.actions.length > 0) q = q.where('action', 'in', [...query.actions]);
    if (query.beforeSeq !== undefined) q = q.where('seq', '<', query.beforeSeq);
    const actors = query.actors;
    if (actors !== undefined) {
      q = actors.length === 0 ? q.where(sql<boolean>`1 = 0`) : q.where((eb) => eb.or(actors.map((x) => eb.and([eb('actor_issuer', '=', x.issuer), eb('actor_client_id', '=', x.clientId)]))));
    }
    const rows = await q.orderBy('seq', 'desc').limit(query.limit).execute();
    return rows.map(entryOf);
  }

  /**
   * Walks the chain in pages of 1,000 rows, yielding to the event loop between pages, on reads that
   * never take the writer's lock: on PostgreSQL another pooled connection, on SQLite (in this
   * thread) the shared connection between group commits. Concurrent calls share one walk.
   */
  verify(): Promise<ChainVerification> {
    this.verifying ??= this.walkChain().finally(() => {
      this.verifying = null;
    });
    return this.verifying;
  }

  private verifying: Promise<ChainVerification> | null = null;

  private async walkChain(): Promise<ChainVerification> {
    const walk = new ChainWalk();
    let after = 0;
    for (;;) {
      const rows = await this.db.selectFrom('audit_event').selectAll().where('seq', '>', after).orderBy('seq', 'asc').limit(1_000).execute();
      if (rows.length === 0) break;
      for (const row of rows) {
        const broken = walk.next({ seq: Number(row.seq), id: row.event_id, prevHash: row.prev_hash, hash: row.hash }, () => entryOf(row));
        if (broken) return broken;
        after = Number(row.seq);
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    return walk.done();
  }

  async count(): Promise<number> {
    const row = await this.db.selectFrom('audit_event').select((eb) => eb.fn.countAll().as('n')).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async ping(): Promise<void> {
    await sql`SELECT 1`.execute(this.db);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Let queued writes finish: they were accepted and their callers are waiting.
    while (this.draining || this.drainScheduled || this.queue.length > 0) await new Promise((r) => setTimeout(r, 5));
    await this.db.destroy();
  }
}

/** The PostgreSQL write path, inside a transaction: the advisory lock serialises writers across servers. */
async function writeGroupPostgres(trx: Kysely<AuditDatabase>, group: readonly AppendRequest[], serverTime: string): Promise<AppendBatchOutcome[]> {
  await sql`SELECT pg_advisory_xact_lock(${CHAIN_LOCK_KEY})`.execute(trx);
  const ids = [...new Set(group.flatMap((p) => p.events.map((e) => e.id)))];
  const known = new Map<string, AuditEntry>();
  for (let i = 0; i < ids.length; i += SELECT_CHUNK) {
    const rows = await trx.selectFrom('audit_event').selectAll().where('event_id', 'in', padIds(ids.slice(i, i + SELECT_CHUNK))).execute();
    for (const row of rows) known.set(row.event_id, entryOf(row));
  }
  const head = await trx.selectFrom('audit_event').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
  const { results, records } = planGroup(group, known, head, serverTime);
  let offset = 0;
  for (const size of insertChunks(records.length)) {
    await trx.insertInto('audit_event').values(records.slice(offset, offset + size).map(rowOf)).execute();
    offset += size;
  }
  return results;
}

function sameEvent(existing: AuditEntry, event: NormalizedAuditEvent, actor: AuditActor): boolean {
  return (
    eventDigest(eventOf(existing)) === eventDigest(event) &&
    existing.actor.issuer === actor.issuer &&
    existing.actor.sub === actor.sub &&
    existing.actor.clientId === actor.clientId
  );
}
