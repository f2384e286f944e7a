import { describe, expect, expectTypeOf, it } from 'vitest';
import { auditDraftOf, auditPortOf, decisionsFromTrail, type CareEvent, type Decision } from '../../src/audit/care-events.ts';
import type { CareEvent as CardEvent, Decision as CardDecision } from '../../src/features/care-gaps/audit-port.ts';
import type { AuditEntry } from '../../src/shared/audit-event.ts';

const base = {
  correlationId: '6f1c1b1e-2f7a-4c55-9d59-0b1c6a0e8d11',
  rule: 'colorectal-cancer-screening',
  ruleVersion: '2021.1.0',
  packDigest: 'a'.repeat(64),
  evidence: [{ reference: 'Procedure/ada-colonoscopy/_history/3' }, { reference: 'Observation/ada-fit', versionId: '1' }],
  evidenceDigest: 'b'.repeat(64),
  logic: { library: 'CareloopColorectalCancerScreening', version: '1.0.0', elmDigest: 'c'.repeat(64), source: 'careloop' as const },
};

describe('card events in the audit trail', () => {
  it('are one type: what the card emits is what the trail takes, and what it reads back is what the card shows', () => {
    // Checked by the typecheck (npm test runs tsc over test/): the two were once declared apart and drifted.
    expectTypeOf<CardEvent>().toEqualTypeOf<CareEvent>();
    expectTypeOf<CardDecision>().toEqualTypeOf<Decision>();
  });

  it('carry references with versions, digests and the written resource, but no free text', () => {
    const draft = auditDraftOf(
      { ...base, action: 'written', outcome: { reference: 'Task/t-1/_history/2', status: 201 }, decision: { reason: 'patient-request' } },
      { patient: 'ada', encounter: 'ada-visit' },
    );
    expect(draft).toMatchObject({
      patient: 'ada',
      encounter: 'ada-visit',
      action: 'written',
      ruleId: 'colorectal-cancer-screening',
      evidence: [
        { reference: 'Procedure/ada-colonoscopy', version: '3' },
        { reference: 'Observation/ada-fit', version: '1' },
      ],
      outcome: { reference: 'Task/t-1', version: '2', status: 201, error: null },
    });
  });

  it('carry codes only: a message or a name in an error or reason becomes a generic code, a bad versionId none', () => {
    const failed = auditDraftOf({ ...base, action: 'write-failed', outcome: { status: 403, error: 'Not saved: the EHR refused the order' } }, { patient: 'ada' });
    expect(failed.outcome?.error).toBe('unspecified');
    expect(auditDraftOf({ ...base, action: 'write-failed', outcome: { error: 'forbidden' } }, { patient: 'ada' }).outcome?.error).toBe('forbidden');
    expect(auditDraftOf({ ...base, action: 'dismissed', decision: { reason: 'Ada_Lovelace_refuses_HIV_test' } }, { patient: 'ada' }).reason).toBe('other');
    expect(auditDraftOf({ ...base, action: 'dismissed', decision: { reason: 'done-elsewhere' } }, { patient: 'ada' }).reason).toBe('done-elsewhere');
    expect(auditDraftOf({ ...base, action: 'card-shown', evidence: [{ reference: 'Observation/x', versionId: 'W/"3"' }] }, { patient: 'ada' }).evidence).toEqual([{ reference: 'Observation/x', version: null }]);
  });

  it('keep rule ids that fit the trail’s grammar, and fit the others to it', () => {
    for (const rule of ['colorectal-cancer-screening', 'measure:CMS125FHIRBreastCancerScreening', 'measure:CervicalCancerScreeningFHIR']) expect(auditDraftOf({ ...base, rule, action: 'card-shown' }, { patient: 'ada' }).ruleId).toBe(rule);
    expect(auditDraftOf({ ...base, rule: 'measure:Breast Cancer Screening (2025)', action: 'card-shown' }, { patient: 'ada' }).ruleId).toBe('measure:Breast_Cancer_Screening_2025_');
  });

  it('name the logic that decided: library, version, ELM digest and source', () => {
    expect(auditDraftOf({ ...base, action: 'confirmed' }, { patient: 'ada' }).logic).toEqual(base.logic);
    // An official library without a version records version null; logic without a usable name or digest records none.
    expect(auditDraftOf({ ...base, action: 'confirmed', logic: { ...base.logic, version: '', source: 'measure-package' } }, { patient: 'ada' }).logic).toEqual({ ...base.logic, version: null, source: 'measure-package' });
    expect(auditDraftOf({ ...base, action: 'confirmed', logic: { ...base.logic, elmDigest: '' } }, { patient: 'ada' }).logic).toBeNull();
    expect(auditDraftOf({ ...base, action: 'confirmed', logic: { ...base.logic, library: '' } }, { patient: 'ada' }).logic).toBeNull();
  });

  it('read back the snoozes and dismissals in force, the newest per rule winning', () => {
    const rec = (seq: number, action: AuditEntry['action'], rule: string, extra: Partial<AuditEntry> = {}) => ({ seq, action, ruleId: rule, reason: 'r', snoozeUntil: null, ...extra }) as AuditEntry;
    const decisions = decisionsFromTrail([
      rec(1, 'snoozed', 'hba1c', { snoozeUntil: '2027-01-01' }),
      rec(2, 'unsnoozed', 'hba1c'),
      rec(3, 'snoozed', 'flu', { snoozeUntil: '2027-02-01' }),
      rec(4, 'dismissed', 'breast'),
      rec(5, 'card-shown', 'breast'),
    ]);
    expect(decisions).toEqual([
      { rule: 'breast', kind: 'dismissed', reason: 'r', until: null },
      { rule: 'flu', kind: 'snoozed', reason: 'r', until: '2027-02-01' },
    ]);
  });
});

describe('the audit port over the client', () => {
  it('queues each card event for the patient in context and reads decisions back', async () => {
    const recorded: unknown[] = [];
    const port = auditPortOf(
      {
        enqueue: (draft) => recorded.push(draft),
        read: async ({ actions }) => {
          expect(actions).toEqual(['snoozed', 'dismissed', 'unsnoozed']);
          return [{ seq: 7, action: 'snoozed', ruleId: 'hba1c', reason: 'patient-request', snoozeUntil: '2027-03-01' } as AuditEntry];
        },
      },
      { patient: 'ada', encounter: null },
    );
    await port.emit({ ...base, action: 'card-shown' });
    expect(recorded).toMatchObject([{ patient: 'ada', action: 'card-shown', ruleId: 'colorectal-cancer-screening' }]);
    expect(await port.decisions()).toEqual([{ rule: 'hba1c', kind: 'snoozed', reason: 'patient-request', until: '2027-03-01' }]);
  });
});
