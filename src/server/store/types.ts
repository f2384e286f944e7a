/**
 * The audit store: append-only, hash-chained, idempotent by event id. One interface, two databases
 * (SQLite through better-sqlite3, PostgreSQL through pg), one query layer (Kysely).
 */
import type { AuditAction, AuditActor, AuditEntry, NormalizedAuditEvent } from '../../shared/audit-event.ts';

/** What a receipt says about one stored event: enough for a client to match and check it. */
export interface AppendReceipt {
  id: string;
  seq: number;
  hash: string;
}

/** The outcome of appending one event: the stored record (or, when asked for, only its receipt). */
export type AppendOutcome<R extends AppendReceipt = AuditEntry> =
  | { status: 'created'; record: R }
  | { status: 'duplicate'; record: R };

/** The outcome of appending a batch: all stored (or replays), or nothing stored because of conflicts. */
export type AppendBatchOutcome<R extends AppendReceipt = AuditEntry> =
  | { kind: 'ok'; results: Array<AppendOutcome<R>> }
  /** Ids already stored with a different body (or by another actor); nothing of the batch was stored. */
  | { kind: 'conflict'; conflictingIds: string[] };

/** Options of {@link AuditStore.append}. */
export interface AppendOptions {
  /**
   * `receipts`: each result carries only id, seq and hash, not the whole record (the route's
   * `Prefer: return=minimal`; cheaper to pass back from the writer thread). Default `records`.
   */
  returning?: 'records' | 'receipts';
}

/** A timeline query: one patient, newest first. */
export interface TimelineQuery {
  patient: string;
  /** Inclusive lower bound on the server time (ISO 8601). */
  from?: string | undefined;
  /** Exclusive upper bound on the server time (ISO 8601). */
  to?: string | undefined;
  /** Only these actions. */
  actions?: readonly AuditAction[] | undefined;
  /** Only records whose actor is one of these (issuer FHIR base and client id). An empty list matches nothing. */
  actors?: ReadonlyArray<{ issuer: string; clientId: string }> | undefined;
  /** Only records with a sequence number below this one (from the previous page's cursor). */
  beforeSeq?: number | undefined;
  limit: number;
}

/** What `verify` found walking the chain. */
export type ChainVerification =
  | { ok: true; records: number; headHash: string }
  | {
      ok: false;
      records: number;
      /** The first record that does not verify. */
      firstBroken: { seq: number; id: string; reason: 'hash-mismatch' | 'prev-hash-mismatch' | 'sequence-gap' };
    };

/** The audit store. Every method is safe to call concurrently. */
export interface AuditStore {
  /** `sqlite` or `postgres`. */
  readonly dialect: 'sqlite' | 'postgres';
  /** Appends a batch atomically; resolves only once the transaction is durable. */
  append(events: readonly NormalizedAuditEvent[], actor: AuditActor, options?: { returning?: 'records' }): Promise<AppendBatchOutcome>;
  /** The same, answering with receipts only (an implementation may still give whole records). */
  append(events: readonly NormalizedAuditEvent[], actor: AuditActor, options: { returning: 'receipts' }): Promise<AppendBatchOutcome<AppendReceipt>>;
  /** One page of a patient's timeline, newest first. */
  timeline(query: TimelineQuery): Promise<AuditEntry[]>;
  /** Walks the whole chain from the first record. */
  verify(): Promise<ChainVerification>;
  /** Number of stored records. */
  count(): Promise<number>;
  /** Cheap liveness check of the database. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
