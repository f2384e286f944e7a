import { describe, expect, it } from 'vitest';
import { writeAction, type WriteOptions } from '../../src/writeback/write-action';
import { adaColorectalOverdue, adaHba1cDue, writeContext } from '../fixtures/gaps';
import { FhirStore } from '../msw/fhir-store';
import { testGateway } from '../msw/gateway';
import { server } from '../msw/server';

const BASE = 'https://ehr.example.org/fhir';
const noWait: WriteOptions = { sleep: async () => undefined, random: () => 0 };

function setup(timeoutMs = 2000) {
  const store = new FhirStore(BASE);
  server.use(...store.handlers());
  return { store, gateway: testGateway(BASE, timeoutMs) };
}

describe('write-back of a confirmed action', () => {
  it('creates one ServiceRequest with the business identifier and one Provenance for its version (201)', async () => {
    const { store, gateway } = setup();
    const result = await writeAction(gateway, adaColorectalOverdue, writeContext, noWait);
    expect(result).toMatchObject({ kind: 'written', created: true, reference: 'ServiceRequest/servicerequest-1/_history/1' });
    const [order] = store.all('ServiceRequest');
    expect(store.all('ServiceRequest')).toHaveLength(1);
    expect(order).toMatchObject({
      status: 'active',
      intent: 'order',
      identifier: [{ system: writeContext.identifierSystem, value: 'colorectal-cancer-screening:ada:2024-05-02' }],
      code: { coding: [{ system: 'http://snomed.info/sct', code: '73761001' }] },
      subject: { reference: 'Patient/ada' },
      encounter: { reference: 'Encounter/ada-visit' },
      requester: { reference: 'Practitioner/grace' },
    });
    expect(store.writes[0]?.headers['if-none-exist']).toBe(`identifier=${encodeURIComponent(`${writeContext.identifierSystem}|colorectal-cancer-screening:ada:2024-05-02`)}`);
    const [provenance] = store.all('Provenance');
    expect(store.all('Provenance')).toHaveLength(1);
    expect(provenance).toMatchObject({
      target: [{ reference: 'ServiceRequest/servicerequest-1/_history/1' }],
      policy: ['https://careloop.example/rules/careloop-preventive/colorectal-cancer-screening|1.0.0'],
      agent: [{ who: { reference: 'Practitioner/grace' } }, { who: { display: 'Careloop 0.1.0', type: 'Device' } }],
      entity: [
        { role: 'source', what: { reference: 'Procedure/ada-colonoscopy/_history/3' } },
        { role: 'source', what: { reference: 'Patient/ada/_history/1' } },
      ],
    });
  });

  it('creates a Task when the rule’s action is a Task', async () => {
    const { store, gateway } = setup();
    await writeAction(gateway, adaHba1cDue, writeContext, noWait);
    expect(store.all('Task')).toHaveLength(1);
    expect(store.all('Task')[0]).toMatchObject({ status: 'requested', intent: 'proposal', for: { reference: 'Patient/ada' }, description: 'Create outreach task: HbA1c test' });
  });

  it('reports an action that already existed (200) in a later launch without creating a second one', async () => {
    const { store, gateway } = setup();
    await writeAction(gateway, adaHba1cDue, writeContext, noWait);
    const nextLaunch = testGateway(BASE);
    const again = await writeAction(nextLaunch, adaHba1cDue, writeContext, noWait);
    expect(again).toMatchObject({ kind: 'written', created: false });
    expect(store.writes.filter((w) => w.type === 'Task')).toHaveLength(2);
    expect(store.all('Task')).toHaveLength(1);
    expect(store.all('Provenance')).toHaveLength(1);
  });

  it('answers a replayed confirm in the same launch with the original result, without a request', async () => {
    const { store, gateway } = setup();
    const first = await writeAction(gateway, adaHba1cDue, writeContext, noWait);
    const replay = await writeAction(gateway, adaHba1cDue, writeContext, noWait);
    expect(replay).toBe(first);
    expect(store.writes.filter((w) => w.type === 'Task')).toHaveLength(1);
  });

  it('writes once when confirm is double-clicked', async () => {
    const { store, gateway } = setup();
    const [a, b] = await Promise.all([writeAction(gateway, adaHba1cDue, writeContext, noWait), writeAction(gateway, adaHba1cDue, writeContext, noWait)]);
    expect(a).toBe(b);
    expect(store.writes.filter((w) => w.type === 'Task')).toHaveLength(1);
    expect(store.all('Task')).toHaveLength(1);
  });

  it('finds the task after a timeout whose write did land, and does not post it again', async () => {
    const { store, gateway } = setup(300);
    store.faults.push({ method: 'POST', type: 'Task', kind: 'commit-then-hang' });
    const result = await writeAction(gateway, adaHba1cDue, writeContext, noWait);
    expect(result).toMatchObject({ kind: 'written', created: false });
    expect(store.all('Task')).toHaveLength(1);
    expect(store.writes.filter((w) => w.type === 'Task')).toHaveLength(1);
    expect(store.all('Provenance')).toHaveLength(1);
  });

  it('finds the task after a dropped connection whose write did land', async () => {
    const { store, gateway } = setup();
    store.faults.push({ method: 'POST', type: 'Task', kind: 'commit-then-drop' });
    expect(await writeAction(gateway, adaHba1cDue, writeContext, noWait)).toMatchObject({ kind: 'written' });
    expect(store.all('Task')).toHaveLength(1);
  });

  it('ends with one task when the server delivers the write twice', async () => {
    const { store, gateway } = setup();
    store.faults.push({ method: 'POST', type: 'Task', kind: 'duplicate' });
    expect(await writeAction(gateway, adaHba1cDue, writeContext, noWait)).toMatchObject({ kind: 'written' });
    expect(store.all('Task')).toHaveLength(1);
  });

  it('uses the oldest match when conditional create finds several (412)', async () => {
    const { store, gateway } = setup();
    store.faults.push({ method: 'POST', type: 'Task', kind: 'status', status: 412 });
    store.seed({ resourceType: 'Task', id: 'older', status: 'requested', identifier: [{ system: writeContext.identifierSystem, value: 'diabetes-glycemic-status:ada:2026-11-01' }] });
    const result = await writeAction(gateway, adaHba1cDue, writeContext, noWait);
    expect(result).toMatchObject({ kind: 'written', created: false, reference: 'Task/older/_history/1' });
    expect(store.all('Task')).toHaveLength(1);
  });

  it('retries after 429, waiting as long as Retry-After says', async () => {
    const { store, gateway } = setup();
    store.faults.push({ method: 'POST', type: 'Task', kind: 'status', status: 429, headers: { 'retry-after': '7' } });
    const waits: number[] = [];
    const result = await writeAction(gateway, adaHba1cDue, writeContext, { sleep: async (ms) => void waits.push(ms) });
    expect(result).toMatchObject({ kind: 'written', created: true });
    expect(waits).toEqual([7000]);
    expect(store.all('Task')).toHaveLength(1);
  });

  it('retries after a 503 that did not write, and writes once', async () => {
    const { store, gateway } = setup();
    store.faults.push({ method: 'POST', type: 'Task', kind: 'status', status: 503 });
    expect(await writeAction(gateway, adaHba1cDue, writeContext, noWait)).toMatchObject({ kind: 'written', created: true });
    expect(store.all('Task')).toHaveLength(1);
  });

  it('gives up after repeated 5xx with a retryable message and nothing written', async () => {
    const { store, gateway } = setup();
    for (let i = 0; i < 3; i += 1) store.faults.push({ method: 'POST', type: 'Task', kind: 'status', status: 500 });
    const result = await writeAction(gateway, adaHba1cDue, writeContext, noWait);
    expect(result).toMatchObject({ kind: 'failed', retryable: true, message: 'Not saved: the EHR had a problem (HTTP 500). Try again.' });
    expect(store.all('Task')).toHaveLength(0);
  });

  it.each([
    [400, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'invalid', diagnostics: 'Task.code is required' }] }, undefined, 'Not saved: the EHR rejected the task (Task.code is required).'],
    [401, undefined, undefined, 'Not saved: your EHR session has ended. Start Careloop again from the chart; your draft is kept.'],
    [403, undefined, { 'www-authenticate': 'Bearer error="insufficient_scope", scope="patient/Task.c"' }, 'Not saved: the EHR refused the task (missing permission patient/Task.c).'],
    [409, undefined, undefined, 'Not saved: the EHR reported a conflict with another change to this task.'],
  ])('says what happened on %i and writes nothing', async (status, body, headers, message) => {
    const { store, gateway } = setup();
    store.faults.push({ method: 'POST', type: 'Task', kind: 'status', status, ...(body ? { body } : {}), ...(headers ? { headers } : {}) });
    const result = await writeAction(gateway, adaHba1cDue, writeContext, noWait);
    expect(result).toMatchObject({ kind: 'failed', message });
    expect(store.all('Task')).toHaveLength(0);
    expect(store.writes.filter((w) => w.type === 'Task')).toHaveLength(1);
  });

  it('completes only the Provenance when retried after the Provenance failed', async () => {
    const { store, gateway } = setup();
    store.faults.push({ method: 'POST', type: 'Provenance', kind: 'status', status: 403 });
    const first = await writeAction(gateway, adaHba1cDue, writeContext, noWait);
    expect(first).toMatchObject({ kind: 'failed', retryable: true });
    expect(first.kind === 'failed' && first.message).toMatch(/^The task was saved, but its provenance record was not/);
    const second = await writeAction(gateway, adaHba1cDue, writeContext, noWait);
    expect(second).toMatchObject({ kind: 'written', created: false });
    expect(store.all('Task')).toHaveLength(1);
    expect(store.all('Provenance')).toHaveLength(1);
  });
});
