import { describe, expect, it } from 'vitest';
import { canonicalEntryJson, hasEntryShape, hashBuiltEntry, hashedForm, hashEntry, type UnhashedEntry } from '../../src/server/store/chain.ts';
import { canonicalJson } from '../../src/shared/canonical-json.ts';
import { sha256Hex } from '../../src/shared/digest.ts';
import { GENESIS_HASH, normalizeAuditEvent } from '../../src/shared/audit-event.ts';
import { aLogic, anEvent } from './support/events.ts';

const record: UnhashedEntry = {
  ...normalizeAuditEvent(anEvent({ evidence: [{ reference: 'Observation/ada-hba1c', version: '2' }] })),
  seq: 1,
  serverTime: '2026-11-23T10:00:00.000Z',
  actor: { sub: 'user-blackwell', fhirUser: 'Practitioner/blackwell', clientId: 'careloop', issuer: 'http://127.0.0.1:4000/fhir' },
  prevHash: GENESIS_HASH,
};

describe('the record hash', () => {
  it('is the shared SHA-256 of the canonical JSON, so anyone can recompute it with src/shared', () => {
    expect(hashEntry(record)).toBe(sha256Hex(canonicalJson(hashedForm(record))));
    const decided = { ...record, logic: aLogic() };
    expect(hashEntry(decided)).toBe(sha256Hex(canonicalJson(decided)));
  });

  it('hashes a record without logic exactly as records were hashed before the field existed', () => {
    const { logic: _logic, ...before } = record;
    expect(record.logic).toBeNull();
    expect(Object.keys(before)).toHaveLength(19);
    expect(hashEntry(record)).toBe(sha256Hex(canonicalJson(before)));
  });

  it('covers every field of the deciding logic', () => {
    const decided = { ...record, logic: aLogic() };
    expect(hashEntry(decided)).not.toBe(hashEntry(record));
    for (const change of [{ library: 'CareloopStatinTherapy' }, { version: '1.0.1' }, { version: null }, { elmDigest: 'd'.repeat(64) }, { source: 'measure-package' as const }]) {
      expect(hashEntry({ ...record, logic: aLogic(change) })).not.toBe(hashEntry(decided));
    }
  });

  it('does not depend on key order, and changes with any field', () => {
    const reordered = Object.fromEntries(Object.entries(record).reverse()) as UnhashedEntry;
    expect(hashEntry(reordered)).toBe(hashEntry(record));
    expect(hashEntry({ ...record, action: 'dismissed' })).not.toBe(hashEntry(record));
    expect(hashEntry({ ...record, prevHash: 'f'.repeat(64) })).not.toBe(hashEntry(record));
  });
});

describe('the record serialiser of the write path', () => {
  it('writes exactly what the generic canonical JSON writes, for full, sparse and unusual records (and hashes it the same)', () => {
    const variants: UnhashedEntry[] = [
      record,
      { ...record, encounter: null, evidence: null, outcome: null, correlationId: null, ruleId: null, ruleVersion: null, packDigest: null, evidenceDigest: null },
      { ...record, action: 'written', outcome: { reference: 'Task/t-1', version: '2', status: 201, error: null }, snoozeUntil: '2027-01-01', reason: 'x' },
      { ...record, outcome: { reference: null, version: null, status: null, error: 'timeout' }, evidence: [], actor: { ...record.actor, sub: null, fhirUser: null, clientId: null } },
      { ...record, appVersion: 'é "quoted" \\ \u2028 🚀', seq: 123456789 },
      { ...record, reason: 'tab\tand\u0000nul', ruleVersion: 'del\x7f', clientTime: 'lone \ud800', seq: 2 ** 60 },
      { ...record, logic: aLogic() },
      { ...record, logic: aLogic({ version: null, source: 'measure-package', library: 'é "q" \\' }) },
    ];
    for (const v of variants) {
      expect(hasEntryShape(v)).toBe(true);
      expect(canonicalEntryJson(v)).toBe(canonicalJson(hashedForm(v)));
    }
    for (const v of variants) expect(hashBuiltEntry({ ...v, hash: 'ignored' } as UnhashedEntry)).toBe(sha256Hex(canonicalJson(hashedForm(v))));
    const extra = { ...record, note: 'x' } as UnhashedEntry;
    expect(hasEntryShape(extra)).toBe(false);
    expect(canonicalEntryJson(extra)).toBe(canonicalJson(hashedForm(extra)));
  });
});
