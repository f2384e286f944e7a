/** Builders of audit events for the backend's tests. */
import { randomUUID } from 'node:crypto';
import type { AuditEventInput, AuditLogic } from '../../../src/shared/audit-event.ts';

/** The logic that decided a colorectal screening result: Careloop's own library. */
export function aLogic(overrides: Partial<AuditLogic> = {}): AuditLogic {
  return { library: 'CareloopColorectalCancerScreening', version: '1.0.0', elmDigest: 'c'.repeat(64), source: 'careloop', ...overrides };
}

/** A `card-shown` event for Ada, with every field a real one carries; override what the test is about. */
export function anEvent(overrides: Partial<AuditEventInput> = {}): AuditEventInput {
  return {
    id: randomUUID(),
    clientTime: new Date().toISOString(),
    patient: 'ada',
    encounter: 'ada-visit',
    action: 'card-shown',
    ruleId: 'colorectal-cancer-screening',
    ruleVersion: '2021.1.0',
    packDigest: 'a'.repeat(64),
    evidence: [{ reference: 'Procedure/ada-colonoscopy', version: '1' }],
    evidenceDigest: 'b'.repeat(64),
    correlationId: randomUUID(),
    appVersion: '0.1.0',
    ...overrides,
  };
}
