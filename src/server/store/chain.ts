/**
 * The hash chain: each record's hash is SHA-256 over the canonical JSON of all its other fields,
 * `prevHash` included, so changing any stored field, or removing or reordering a record, breaks it.
 *
 * `logic` (the library that decided, added after the first records were stored) enters the hashed
 * form only when it is set: a record without it hashes exactly as records did before the field
 * existed, so old chains verify unchanged, and setting `logic` on such a row afterwards breaks it.
 */
import { hash } from 'node:crypto';
import { canonicalJson } from '../../shared/canonical-json.ts';
import { digestOf } from '../../shared/digest.ts';
import { GENESIS_HASH, type AuditLogic, type AuditEntry, type NormalizedAuditEvent } from '../../shared/audit-event.ts';
import type { ChainVerification } from './types.ts';

/** The record without its hash: what the hash is computed over. */
export type UnhashedEntry = Omit<AuditEntry, 'hash'>;

/**
 * SHA-256 (hex) of the canonical JSON of the record's fields other than `hash`. The same value as
 * `sha256Hex(canonicalJson(record))` from src/shared/digest.ts; node:crypto is several times faster
 * on the write path.
 */
export function hashEntry(record: UnhashedEntry): string {
  return hash('sha256', canonicalEntryJson(record), 'hex');
}

/**
 * The value whose canonical JSON is hashed: the record without `hash`, and without `logic` when
 * that is null. `sha256Hex(canonicalJson(hashedForm(r)))` is `hashEntry(r)`.
 */
export function hashedForm(record: UnhashedEntry): Omit<UnhashedEntry, 'logic'> & { logic?: AuditLogic } {
  const { logic, ...rest } = record;
  return logic === null ? rest : { ...rest, logic };
}

/**
 * `hashEntry` for a record the caller built field by field, with exactly a record's fields (a
 * `hash` field, if present, is ignored): skips the shape check that costs two key lists per record.
 */
export function hashBuiltEntry(record: UnhashedEntry): string {
  return hash('sha256', writeEntryJson(record), 'hex');
}

/** True when the fast serialiser applies: exactly the 20 fields of a record, 4 of its actor and 4 of its logic. */
export function hasEntryShape(r: UnhashedEntry): boolean {
  return Object.keys(r).length === 20 && Object.keys(r.actor).length === 4 && (r.logic === null || Object.keys(r.logic).length === 4);
}

/** Printable ASCII other than `"` and `\`: JSON writes such a string as it is, between quotes. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
// Ids, codes, digests and times are plain; the test is several times cheaper than JSON.stringify.
const str = (v: string | null): string => (v === null ? 'null' : PLAIN.test(v) ? `"${v}"` : JSON.stringify(v));
// A safe integer (-0 included, which String writes as "0") is written as canonicalJson writes it.
const num = (v: number | null): string => (v === null ? 'null' : Number.isSafeInteger(v) ? String(v) : canonicalJson(v));

/**
 * `canonicalJson(record)` for the fixed shape of a record, written out with its keys already in
 * canonical (UTF-16) order: the write path's hottest function. Equal output is tested against the
 * generic serialiser; a record of another shape falls back to it.
 */
export function canonicalEntryJson(r: UnhashedEntry): string {
  return hasEntryShape(r) ? writeEntryJson(r) : canonicalJson(hashedForm(r));
}

/** The fast serialiser: writes the 20 fields of a record (and the 4 of its actor and logic) by name; `logic` only when set. */
function writeEntryJson(r: UnhashedEntry): string {
  const evidence =
    r.evidence === null
      ? 'null'
      : `[${r.evidence.map((e) => (Object.keys(e).length === 2 ? `{"reference":${str(e.reference)},"version":${str(e.version)}}` : canonicalJson(e))).join(',')}]`;
  const o = r.outcome;
  const outcome =
    o === null
      ? 'null'
      : Object.keys(o).length === 4
        ? `{"error":${str(o.error)},"reference":${str(o.reference)},"status":${num(o.status)},"version":${str(o.version)}}`
        : canonicalJson(o);
  const a = r.actor;
  const l = r.logic;
  const logic = l === null ? '' : `,"logic":{"elmDigest":${str(l.elmDigest)},"library":${str(l.library)},"source":${str(l.source)},"version":${str(l.version)}}`;
  return (
    `{"action":${str(r.action)}` +
    `,"actor":{"clientId":${str(a.clientId)},"fhirUser":${str(a.fhirUser)},"issuer":${str(a.issuer)},"sub":${str(a.sub)}}` +
    `,"appVersion":${str(r.appVersion)},"clientTime":${str(r.clientTime)},"correlationId":${str(r.correlationId)}` +
    `,"encounter":${str(r.encounter)},"evidence":${evidence},"evidenceDigest":${str(r.evidenceDigest)},"id":${str(r.id)}${logic}` +
    `,"outcome":${outcome},"packDigest":${str(r.packDigest)},"patient":${str(r.patient)},"prevHash":${str(r.prevHash)}` +
    `,"reason":${str(r.reason)},"ruleId":${str(r.ruleId)},"ruleVersion":${str(r.ruleVersion)},"seq":${num(r.seq)}` +
    `,"serverTime":${str(r.serverTime)},"snoozeUntil":${str(r.snoozeUntil)}}`
  );
}

/**
 * Walks a chain record by record, from seq 1 in order: every store's `verify` (and the SQLite
 * verifier thread) feeds it its rows, in pages, and stops at the first verdict.
 *
 * @example
 * const walk = new ChainWalk();
 * for (const row of rows) { const broken = walk.next(row, () => entryOf(row)); if (broken) return broken; }
 * return walk.done();
 */
export class ChainWalk {
  private expectedSeq = 1;
  private prevHash = GENESIS_HASH;
  private records = 0;

  /**
   * Checks the next stored row: its sequence, its link to the one before, and its hash over the
   * record `build` rebuilds from it (a row that cannot be rebuilt, e.g. tampered JSON, is a hash
   * mismatch). Returns the verdict when the chain breaks here, null when it holds.
   */
  next(row: { seq: number; id: string; prevHash: string; hash: string }, build: () => AuditEntry): ChainVerification | null {
    const broken = (reason: 'hash-mismatch' | 'prev-hash-mismatch' | 'sequence-gap'): ChainVerification => ({ ok: false, records: this.records, firstBroken: { seq: row.seq, id: row.id, reason } });
    if (row.seq !== this.expectedSeq) return broken('sequence-gap');
    if (row.prevHash !== this.prevHash) return broken('prev-hash-mismatch');
    let recomputed: string;
    try {
      const { hash: _hash, ...unhashed } = build();
      recomputed = hashEntry(unhashed);
    } catch {
      return broken('hash-mismatch');
    }
    if (recomputed !== row.hash) return broken('hash-mismatch');
    this.records += 1;
    this.expectedSeq += 1;
    this.prevHash = row.hash;
    return null;
  }

  /** The verdict once every row has been checked. */
  done(): ChainVerification {
    return { ok: true, records: this.records, headHash: this.prevHash };
  }
}

/** Digest of an event's client part: equal for a faithful replay, different for a conflicting one. */
export function eventDigest(event: NormalizedAuditEvent): string {
  return digestOf(event);
}
