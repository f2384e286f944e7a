/**
 * The audit store: append-only, hash-chained, idempotent by event id. One interface, two databases
 * (SQLite through better-sqlite3, PostgreSQL through pg), one query layer (Kysely).
 */
import type { AuditAction, AuditActor, AuditRecord, NormalizedAuditEvent } from '../../shared/audit-event.ts';

/** The outcome of appending one event. */
export type AppendOutcome =
  | { status: 'created'; record: AuditRecord }
  | { status: 'duplicate'; record: AuditRecord };

/** The outcome of appending a batch: all stored (or replays), or nothing stored because of conflicts. */
export type AppendBatchResult =
  | { kind: 'ok'; results: AppendOutcome[] }
  /** Ids already stored with a different body (or by another actor); nothing of the batch was stored. */
  | { kind: 'conflict'; conflictingIds: string[] };

/** A timeline query: one patient, newest first. */
export interface TimelineQuery {
  patient: string;
  /** Inclusive lower bound on the server time (ISO 8601). */
  from?: string | undefined;
  /** Exclusive upper bound on the server time (ISO 8601). */
  to?: string | undefined;
  /** Only these actions. */
  actions?: readonly AuditAction[] | undefined;
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
  append(events: readonly NormalizedAuditEvent[], actor: AuditActor): Promise<AppendBatchResult>;
  /** One page of a patient's timeline, newest first. */
  timeline(query: TimelineQuery): Promise<AuditRecord[]>;
  /** Walks the whole chain from the first record. */
  verify(): Promise<ChainVerification>;
  /** Number of stored records. */
  count(): Promise<number>;
  /** Cheap liveness check of the database. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
