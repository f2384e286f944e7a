/**
 * The audit store over Kysely, for SQLite (better-sqlite3) and PostgreSQL (pg).
 *
 * Writes go through one queue per process: concurrent requests are grouped into one transaction
 * (group commit), which keeps the hash chain linear and makes one durable commit serve many
 * requests. Across processes, PostgreSQL serialises writers with a transaction-scoped advisory lock;
 * SQLite has a single writer by construction.
 */
import Database from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql, type ColumnType } from 'kysely';
import pg from 'pg';
import { GENESIS_HASH, type AuditAction, type AuditActor, type AuditEvidence, type AuditOutcome, type AuditRecord, type NormalizedAuditEvent } from '../../shared/audit-event.ts';
import { eventDigest, eventOf, hashRecord } from './chain.ts';
import { migrate } from './migrations.ts';
import type { AppendBatchResult, AppendOutcome, AuditStore, ChainVerification, TimelineQuery } from './types.ts';

/** A row of `audit_event`. */
export interface AuditEventTable {
  seq: ColumnType<number | string, number, never>;
  event_id: string;
  server_time: string;
  client_time: string;
  patient: string;
  encounter: string | null;
  action: string;
  rule_id: string | null;
  rule_version: string | null;
  pack_digest: string | null;
  evidence: string | null;
  evidence_digest: string | null;
  outcome: string | null;
  correlation_id: string | null;
  app_version: string;
  snooze_until: string | null;
  reason: string | null;
  actor_sub: string | null;
  actor_fhir_user: string | null;
  actor_client_id: string | null;
  actor_issuer: string;
  prev_hash: string;
  hash: string;
}

/** The database as Kysely sees it. */
export interface AuditDatabase {
  audit_event: AuditEventTable;
  audit_schema_version: { version: number; applied_at: string };
}

type Row = { [K in keyof AuditEventTable]: AuditEventTable[K] extends ColumnType<infer S, unknown, unknown> ? S : AuditEventTable[K] };
type NewRow = Omit<Row, 'seq'> & { seq: number };

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
 * Statement shapes: inserts go in chunks of these row counts (greedy), lookups are padded to these
 * id counts, so a few SQL texts recur and their prepared statements are reused.
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
 * better-sqlite3 behind Kysely prepares every query anew; preparing a 200-row insert costs more
 * than running it. This keeps the prepared statements of recent SQL texts (the connection is used
 * by one query at a time, so reusing a statement is safe).
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

interface PendingAppend {
  events: readonly NormalizedAuditEvent[];
  actor: AuditActor;
  resolve: (result: AppendBatchResult) => void;
  reject: (error: unknown) => void;
}

/** Options for {@link openAuditStore}. */
export interface OpenStoreOptions {
  /** Clock for server times (tests pin it). */
  now?: () => Date;
  /** Called after each durable group commit with its duration (for the store-write metric). */
  onCommit?: (seconds: number, events: number) => void;
}

/**
 * Opens (and migrates) the store.
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
    const db = new Kysely<AuditDatabase>({ dialect: new SqliteDialect({ database: cachingStatements(database) }) });
    await migrate(db, 'sqlite');
    return new KyselyAuditStore(db, 'sqlite', options.now ?? (() => new Date()), options.onCommit);
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
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    } finally {
      client.release();
    }
  }
  const db = new Kysely<AuditDatabase>({ dialect: new PostgresDialect({ pool }) });
  await migrate(db, 'postgres');
  return new KyselyAuditStore(db, 'postgres', options.now ?? (() => new Date()), options.onCommit);
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
    private readonly onCommit?: (seconds: number, events: number) => void,
  ) {}

  append(events: readonly NormalizedAuditEvent[], actor: AuditActor): Promise<AppendBatchResult> {
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
          const results = await this.transaction((trx) => this.writeGroup(trx, group));
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

  /**
   * SQLite: BEGIN IMMEDIATE takes the write lock before the chain head is read, so a second
   * process on the same file waits (busy_timeout) instead of forking the chain.
   */
  private async transaction<T>(work: (trx: Kysely<AuditDatabase>) => Promise<T>): Promise<T> {
    if (this.dialect === 'postgres') return this.db.transaction().execute(work);
    return this.db.connection().execute(async (conn) => {
      await sql`BEGIN IMMEDIATE`.execute(conn);
      try {
        const result = await work(conn);
        await sql`COMMIT`.execute(conn);
        return result;
      } catch (error) {
        await sql`ROLLBACK`.execute(conn).catch(() => undefined);
        throw error;
      }
    });
  }

  private async writeGroup(trx: Kysely<AuditDatabase>, group: readonly PendingAppend[]): Promise<AppendBatchResult[]> {
    if (this.dialect === 'postgres') await sql`SELECT pg_advisory_xact_lock(${CHAIN_LOCK_KEY})`.execute(trx);

    const ids = [...new Set(group.flatMap((p) => p.events.map((e) => e.id)))];
    const known = new Map<string, AuditRecord>();
    for (let i = 0; i < ids.length; i += SELECT_CHUNK) {
      const rows = await trx.selectFrom('audit_event').selectAll().where('event_id', 'in', padIds(ids.slice(i, i + SELECT_CHUNK))).execute();
      for (const row of rows) known.set(row.event_id, recordOf(row));
    }
    const head = await trx.selectFrom('audit_event').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
    let seq = head ? Number(head.seq) : 0;
    let prevHash = head ? head.hash : GENESIS_HASH;
    const serverTime = this.now().toISOString();

    const results: AppendBatchResult[] = [];
    const rows: NewRow[] = [];
    for (const pending of group) {
      const staged = new Map<string, AuditRecord>();
      const outcomes: AppendOutcome[] = [];
      const conflicting: string[] = [];
      let stagedSeq = seq;
      let stagedPrev = prevHash;
      const stagedRows: NewRow[] = [];
      for (const event of pending.events) {
        const existing = staged.get(event.id) ?? known.get(event.id);
        if (existing) {
          if (sameEvent(existing, event, pending.actor)) outcomes.push({ status: 'duplicate', record: existing });
          else conflicting.push(event.id);
          continue;
        }
        stagedSeq += 1;
        const unhashed = { ...event, seq: stagedSeq, serverTime, actor: pending.actor, prevHash: stagedPrev };
        const record: AuditRecord = { ...unhashed, hash: hashRecord(unhashed) };
        stagedPrev = record.hash;
        staged.set(event.id, record);
        stagedRows.push(rowOf(record));
        outcomes.push({ status: 'created', record });
      }
      if (conflicting.length > 0) {
        results.push({ kind: 'conflict', conflictingIds: [...new Set(conflicting)] });
        continue;
      }
      seq = stagedSeq;
      prevHash = stagedPrev;
      for (const [id, record] of staged) known.set(id, record);
      rows.push(...stagedRows);
      results.push({ kind: 'ok', results: outcomes });
    }
    let offset = 0;
    for (const size of insertChunks(rows.length)) {
      await trx.insertInto('audit_event').values(rows.slice(offset, offset + size)).execute();
      offset += size;
    }
    return results;
  }

  async timeline(query: TimelineQuery): Promise<AuditRecord[]> {
    let q = this.db.selectFrom('audit_event').selectAll().where('patient', '=', query.patient);
    if (query.from !== undefined) q = q.where('server_time', '>=', query.from);
    if (query.to !== undefined) q = q.where('server_time', '<', query.to);
    if (query.actions && query.actions.length > 0) q = q.where('action', 'in', [...query.actions]);
    if (query.beforeSeq !== undefined) q = q.where('seq', '<', query.beforeSeq);
    const rows = await q.orderBy('seq', 'desc').limit(query.limit).execute();
    return rows.map(recordOf);
  }

  async verify(): Promise<ChainVerification> {
    let expectedSeq = 1;
    let prevHash = GENESIS_HASH;
    let after = 0;
    let records = 0;
    for (;;) {
      const rows = await this.db.selectFrom('audit_event').selectAll().where('seq', '>', after).orderBy('seq', 'asc').limit(1_000).execute();
      if (rows.length === 0) break;
      for (const row of rows) {
        const seq = Number(row.seq);
        const broken = (reason: 'hash-mismatch' | 'prev-hash-mismatch' | 'sequence-gap'): ChainVerification => ({
          ok: false,
          records,
          firstBroken: { seq, id: row.event_id, reason },
        });
        if (seq !== expectedSeq) return broken('sequence-gap');
        if (row.prev_hash !== prevHash) return broken('prev-hash-mismatch');
        let recomputed: string;
        try {
          const { hash: _hash, ...unhashed } = recordOf(row);
          recomputed = hashRecord(unhashed);
        } catch {
          return broken('hash-mismatch');
        }
        if (recomputed !== row.hash) return broken('hash-mismatch');
        records += 1;
        expectedSeq += 1;
        prevHash = row.hash;
        after = seq;
      }
    }
    return { ok: true, records, headHash: prevHash };
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

function sameEvent(existing: AuditRecord, event: NormalizedAuditEvent, actor: AuditActor): boolean {
  return (
    eventDigest(eventOf(existing)) === eventDigest(event) &&
    existing.actor.issuer === actor.issuer &&
    existing.actor.sub === actor.sub &&
    existing.actor.clientId === actor.clientId
  );
}

function rowOf(r: AuditRecord): NewRow {
  return {
    seq: r.seq,
    event_id: r.id,
    server_time: r.serverTime,
    client_time: r.clientTime,
    patient: r.patient,
    encounter: r.encounter,
    action: r.action,
    rule_id: r.ruleId,
    rule_version: r.ruleVersion,
    pack_digest: r.packDigest,
    evidence: r.evidence === null ? null : JSON.stringify(r.evidence),
    evidence_digest: r.evidenceDigest,
    outcome: r.outcome === null ? null : JSON.stringify(r.outcome),
    correlation_id: r.correlationId,
    app_version: r.appVersion,
    snooze_until: r.snoozeUntil,
    reason: r.reason,
    actor_sub: r.actor.sub,
    actor_fhir_user: r.actor.fhirUser,
    actor_client_id: r.actor.clientId,
    actor_issuer: r.actor.issuer,
    prev_hash: r.prevHash,
    hash: r.hash,
  };
}

/** Rebuilds a record from its row (JSON columns parsed back; a tampered column shows in the hash). */
export function recordOf(row: Row): AuditRecord {
  return {
    id: row.event_id,
    clientTime: row.client_time,
    patient: row.patient,
    encounter: row.encounter,
    action: row.action as AuditAction,
    ruleId: row.rule_id,
    ruleVersion: row.rule_version,
    packDigest: row.pack_digest,
    evidence: row.evidence === null ? null : (JSON.parse(row.evidence) as AuditEvidence[]),
    evidenceDigest: row.evidence_digest,
    outcome: row.outcome === null ? null : (JSON.parse(row.outcome) as AuditOutcome),
    correlationId: row.correlation_id,
    appVersion: row.app_version,
    snoozeUntil: row.snooze_until,
    reason: row.reason,
    seq: Number(row.seq),
    serverTime: row.server_time,
    actor: { sub: row.actor_sub, fhirUser: row.actor_fhir_user, clientId: row.actor_client_id, issuer: row.actor_issuer },
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
