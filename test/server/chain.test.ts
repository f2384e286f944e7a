import { describe, expect, it } from 'vitest';
import { hashRecord, type UnhashedRecord } from '../../src/server/store/chain.ts';
import { canonicalJson } from '../../src/shared/canonical-json.ts';
import { sha256Hex } from '../../src/shared/digest.ts';
import { GENESIS_HASH, normalizeAuditEvent } from '../../src/shared/audit-event.ts';
import { anEvent } from './support/events.ts';

const record: UnhashedRecord = {
  ...normalizeAuditEvent(anEvent({ evidence: [{ reference: 'Observation/ada-hba1c', version: '2' }] })),
  seq: 1,
  serverTime: '2026-11-23T10:00:00.000Z',
  actor: { sub: 'user-blackwell', fhirUser: 'Practitioner/blackwell', clientId: 'careloop', issuer: 'http://127.0.0.1:4000/fhir' },
  prevHash: GENESIS_HASH,
};

describe('the record hash', () => {
  it('is the shared SHA-256 of the canonical JSON, so anyone can recompute it with src/shared', () => {
    expect(hashRecord(record)).toBe(sha256Hex(canonicalJson(record)));
  });

  it('does not depend on key order, and changes with any field', () => {
    const reordered = Object.fromEntries(Object.entries(record).reverse()) as UnhashedRecord;
    expect(hashRecord(reordered)).toBe(hashRecord(record));
    expect(hashRecord({ ...record, action: 'dismissed' })).not.toBe(hashRecord(record));
    expect(hashRecord({ ...record, prevHash: 'f'.repeat(64) })).not.toBe(hashRecord(record));
  });
});
