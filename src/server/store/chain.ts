/**
 * The hash chain: each record's hash is SHA-256 over the canonical JSON of all its other fields,
 * `prevHash` included, so changing any stored field, or removing or reordering a record, breaks it.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../shared/canonical-json.ts';
import { digestOf } from '../../shared/digest.ts';
import type { AuditRecord, NormalizedAuditEvent } from '../../shared/audit-event.ts';

/** The record without its hash: what the hash is computed over. */
export type UnhashedRecord = Omit<AuditRecord, 'hash'>;

/**
 * SHA-256 (hex) of the canonical JSON of the record's fields other than `hash`. The same value as
 * `sha256Hex(canonicalJson(record))` from src/shared/digest.ts; node:crypto is several times faster
 * on the write path.
 */
export function hashRecord(record: UnhashedRecord): string {
  return createHash('sha256').update(canonicalJson(record), 'utf8').digest('hex');
}

/** The client's part of a record, as it was sent (normalised). */
export function eventOf(record: AuditRecord): NormalizedAuditEvent {
  return {
    id: record.id,
    clientTime: record.clientTime,
    patient: record.patient,
    encounter: record.encounter,
    action: record.action,
    ruleId: record.ruleId,
    ruleVersion: record.ruleVersion,
    packDigest: record.packDigest,
    evidence: record.evidence,
    evidenceDigest: record.evidenceDigest,
    outcome: record.outcome,
    correlationId: record.correlationId,
    appVersion: record.appVersion,
    snoozeUntil: record.snoozeUntil,
    reason: record.reason,
  };
}

/** Digest of an event's client part: equal for a faithful replay, different for a conflicting one. */
export function eventDigest(event: NormalizedAuditEvent): string {
  return digestOf(event);
}
