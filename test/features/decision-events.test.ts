/**
 * Every audit event of a care-gap decision comes from one module (decision-events.ts): what each
 * step records, and that no other file in src/features emits to the audit port itself.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryAuditPort, type AuditPort } from '../../src/features/care-gaps/audit-port.ts';
import { auditFields, decisionEvents } from '../../src/features/care-gaps/decision-events.ts';
import type { WriteOutcome } from '../../src/writeback/write-action.ts';
import { adaColorectalOverdue as gap } from '../fixtures/gaps.ts';

const ID = 'decision-1';
const fields = auditFields(gap, ID);

function setup() {
  const port = memoryAuditPort();
  return { port, events: decisionEvents(port) };
}

const written: WriteOutcome = { kind: 'written', resource: { resourceType: 'Task', status: 'requested', intent: 'order' }, reference: 'Task/t1/_history/1', created: true, provenance: { resourceType: 'Provenance', target: [], recorded: '2026-06-01T09:00:00Z', agent: [] } };

describe('the decision events', () => {
  it('carry the rule, its logic and evidence, and the decision’s correlation id', () => {
    expect(fields).toMatchObject({ correlationId: ID, rule: gap.rule, ruleVersion: gap.version, packDigest: gap.packDigest, evidenceDigest: gap.evidenceDigest });
  });

  it('record the card shown and the Why panel opened', () => {
    const { port, events } = setup();
    events.cardShown(gap, ID);
    events.whyOpened(gap, ID);
    expect(port.events).toEqual([
      { ...fields, action: 'card-shown' },
      { ...fields, action: 'why-opened' },
    ]);
  });

  it('let the confirm wait until "confirmed" is queued, and fail when it cannot be', async () => {
    const { port, events } = setup();
    await events.confirmed(gap, ID);
    expect(port.events).toEqual([{ ...fields, action: 'confirmed' }]);
    const broken: AuditPort = { emit: () => Promise.reject(new Error('storage full')), decisions: async () => [] };
    await expect(decisionEvents(broken).confirmed(gap, ID)).rejects.toThrow('storage full');
  });

  it('record the write-back as written (201 created, 200 found) or as write-failed with the problem', () => {
    const { port, events } = setup();
    events.writeFinished(gap, ID, written);
    events.writeFinished(gap, ID, { ...written, created: false });
    events.writeFinished(gap, ID, { kind: 'failed', problem: { kind: 'forbidden', what: 'Task', missingScope: null }, status: 403, message: 'Not saved', retryable: false });
    events.writeFinished(gap, ID, { kind: 'failed', problem: { kind: 'offline', url: 'https://ehr.example/fhir' }, status: null, message: 'Not saved', retryable: true });
    expect(port.events.map((e) => [e.action, e.outcome])).toEqual([
      ['written', { reference: 'Task/t1/_history/1', status: 201 }],
      ['written', { reference: 'Task/t1/_history/1', status: 200 }],
      ['write-failed', { status: 403, error: 'forbidden' }],
      ['write-failed', { error: 'offline' }],
    ]);
  });

  it('record closing the outreach Task, or why it was not closed', () => {
    const { port, events } = setup();
    events.outreachClosed(gap, ID, { kind: 'closed', task: { resourceType: 'Task', id: 'outreach', status: 'completed', intent: 'order', meta: { versionId: '3' } } });
    events.outreachClosed(gap, ID, { kind: 'conflict', current: { resourceType: 'Task', id: 'outreach', status: 'cancelled', intent: 'order' } });
    events.outreachClosed(gap, ID, { kind: 'failed', message: 'Not saved' });
    expect(port.events.map((e) => [e.action, e.outcome])).toEqual([
      ['written', { reference: 'Task/outreach/_history/3', status: 200 }],
      ['write-failed', { status: 412, error: 'outreach-task-changed' }],
      ['write-failed', { error: 'outreach-task-not-closed' }],
    ]);
  });

  it('record a snooze with its end, a dismissal with its reason, and an undo', () => {
    const { port, events } = setup();
    events.decided(gap, ID, { kind: 'snoozed', reason: 'next-visit', until: '2026-07-01' });
    events.decided(gap, 'decision-2', { kind: 'dismissed', reason: 'done-elsewhere' });
    events.unsnoozed(gap, ID);
    expect(port.events).toEqual([
      { ...fields, action: 'snoozed', decision: { reason: 'next-visit', until: '2026-07-01' } },
      { ...auditFields(gap, 'decision-2'), action: 'dismissed', decision: { reason: 'done-elsewhere' } },
      { ...fields, action: 'unsnoozed' },
    ]);
  });

  it('never throw or wait when the outbox fails, except for "confirmed"', () => {
    const broken: AuditPort = { emit: () => Promise.reject(new Error('storage full')), decisions: async () => [] };
    const events = decisionEvents(broken);
    expect(() => {
      events.cardShown(gap, ID);
      events.unsnoozed(gap, ID);
      events.writeFinished(gap, ID, written);
    }).not.toThrow();
  });
});

describe('where decision events come from', () => {
  it('is one module: no other file of src/features emits to the audit port', () => {
    // Vitest runs from the repository's root.
    const root = join(process.cwd(), 'src/features');
    const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => /\.tsx?$/.test(f));
    const emitters = files.filter((f) => /\.emit\(/.test(readFileSync(join(root, f), 'utf8'))).map((f) => f.replaceAll('\\', '/'));
    expect(emitters).toEqual(['care-gaps/decision-events.ts']);
  });
});
