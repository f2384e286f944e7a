import { delay, http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { isTransient, type Problem } from '../../src/shared/problem.ts';
import { writeAction, type WriteOptions } from '../../src/writeback/write-action.ts';
import { adaColorectalOverdue, adaHba1cDue, writeParams } from '../fixtures/gaps.ts';
import { FhirStore } from '../msw/fhir-store.ts';
import { testGateway } from '../msw/gateway.ts';
import { server } from '../msw/server.ts';

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
    const result = await writeAction(gateway, adaColorectalOverdue, writeParams, noWait);
    expect(result).toMatchObject({ kind: 'written', created: true, reference: 'ServiceRequest/servicerequest-1/_history/1' });
    const [order] = store.all('ServiceRequest');
    expect(store.all('ServiceRequest')).toHaveLength(1);
    expect(order).toMatchObject({
      status: 'active',
      intent: 'order',
      identifier: [{ system: writeParams.identifierSystem, value: 'colorectal-cancer-screening:ada:2024-05-02' }],
      code: { coding: [{ system: 'http://snomed.info/sct', code: '73761001' }] },
      subject: { reference: 'Patient/ada' },
      encounter: { reference: 'Encounter/ada-visit' },
      requester: { reference: 'Practitioner/grace' },
    });
    expect(store.writes[0]?.headers['if-none-exist']).toBe(`identifier=${encodeURIComponent(`${writeParams.identifierSystem}|colorectal-cancer-screening:ada:2024-05-02`)}`);
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
    await writeAction(gateway, adaHba1cDue, writeParams, noWait);
    expect(store.all('Task')).toHaveLength(1);
    expect(store.all('Task')[0]).toMatchObject({ status: 'requested', intent: 'proposal', for: { reference: 'Patient/ada' }, description: 'Create outreach task: HbA1c test' });
  });

  it('reports an action that already existed (200) in a later launch without creating a second one', async () => {
    const { store, gateway } = setup();
    await writeAction(gateway, adaHba1cDue, writeParams, noWait);
    const nextLaunch = testGateway(BASE);
    const again = await writeAction(nextLaunch, adaHba1cDue, writeParams, noWait);
    expect(again).toMatchObject({ kind: 'written', created: false });
    expect(store.writes.filter((w) => w.type === 'Task')).toHaveLength(2);
    expect(store.all('Task')).toHaveLength(1);
    expect(store.all('Provenance')).toHaveLength(1);
  });

  it('answers a replayed confirm in the same launch with the original result, without a request', async () => {
    const { store, gateway } = setup();
    const first = await writeAction(gateway, adaHba1cDue, writeParams, noWait);
    const replay = await writeAction(gateway, adaHba1cDue, writeParams, noWait);
    expect(replay).toBe(first);
    expect(store.writes.filter((w) => w.type === 'Task')).toHaveLength(1);
  });

  it('writes once when confirm is double-clicked', async () => {
    const { store, gateway } = setup();
    const [a, b] = await Promise.all([writeAction(gateway, adaHba1cDue, writeParams, noWait), writeAction(gateway, adaHba1cDue, writeParams, noWait)]);
    expect(a).toBe(b);
    expect(store.writes.filter((w) => w.type === 'Task')).toHaveLength(1);
    expect(store.all('Task')).toHaveLength(1);
  });

  it('finds the task after a timeout whose write did land, and does not post it again', async () => {
    const { store, gateway } = setup(300);
    store.faults.push({ method: 'POST', type: 'Task', kind: 'commit-then-hang' });
    const result = await writeAction(gateway, adaHba1cDue, writeParams, noWait);
    expect(result).toMatchObject({ kind: 'written', created: false });
    expect(store.all('Task')).toHaveLength(1);
    expect(store.writes.filter((w) => w.type === 'Task')).toHaveLength(1);
    expect(store.all('Provenance')).toHaveLength(1);
  });

  it('finds the task after a dropped connection whose write did land', async () => {
    const { store, gateway } = setup();
    store.faults.push({ method: 'POST', type: 'Task', kind: 'commit-then-drop' });
    expect(await writeAction(gateway, adaHba1cDue, writeParams, noWait)).toMatchObject({ kind: 'written' });
    expect(store.all('Task')).toHaveLength(1);
  });

  it('ends with one task when the server delivers the write twice', async () => {
    const { store, gateway } = setup();
    store.faults.push({ method: 'POST', type: 'Task', kind: 'duplicate' });
    expect(await writeAction(gateway, adaHba1cDue, writeParams, noWait)).toMatchObject({ kind: 'written' });
    expect(store.all('Task')).toHaveLength(1);
  });

  it('uses the oldest match when conditional create finds several (412)', async () => {
    const { store, gateway } = setup();
    store.faults.push({ method: 'POST', type: 'Task', kind: 'status', status: 412 });
    store.seed({ resourceType: 'Task', id: 'older', status: 'requested', identifier: [{ system: writeParams.identifierSystem, value: 'diabetes-glycemic-status:ada:2026-11-01' }] });
    const result = await writeAction(gateway, adaHba1cDue, writeParams, noWait);
    expect(result).toMatchObject({ kind: 'written', created: false, reference: 'Task/older/_history/1' });
    expect(store.all('Task')).toHaveLength(1);
  });

  it('retries after 429, waiting as long as Retry-After says', async () => {
    const { store, gateway } = setup();
    store.faults.push({ method: 'POST', type: 'Task', kind: 'status', status: 429, headers: { 'retry-after': '7' } });
    const waits: number[] = [];
    const result = await writeAction(gateway, adaHba1cDue, writeParams, { sleep: async (ms) => void waits.push(ms) });
    expect(result).toMatchObject({ kind: 'written', created: true });
    expect(waits).toEqual([7000]);
    expect(store.all('Task')).toHaveLength(1);
  });

  it('retries after a 503 that did not write, and writes once', async () => {
    const { store, gateway } = setup();
    store.faults.push({ method: 'POST', type: 'Task', kind: 'status', status: 503 });
    expect(await writeAction(gateway, adaHba1cDue, writeParams, noWait)).toMatchObject({ kind: 'written', created: true });
    expect(store.all('Task')).toHaveLength(1);
  });

  it('gives up after repeated 5xx with a retryable message and nothing written', async () => {
    const { store, gateway } = setup();
    for (let i = 0; i < 3; i += 1) store.faults.push({ method: 'POST', type: 'Task', kind: 'status', status: 500 });
    const result = await writeAction(gateway, adaHba1cDue, writeParams, noWait);
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
    const result = await writeAction(gateway, adaHba1cDue, writeParams, noWait);
    expect(result).toMatchObject({ kind: 'failed', message });
    expect(store.all('Task')).toHaveLength(0);
    expect(store.writes.filter((w) => w.type === 'Task')).toHaveLength(1);
  });

  it('completes only the Provenance when retried after the Provenance failed', async () => {
    const { store, gateway } = setup();
    store.faults.push({ method: 'POST', type: 'Provenance', kind: 'status', status: 403 });
    const first = await writeAction(gateway, adaHba1cDue, writeParams, noWait);
    expect(first).toMatchObject({ kind: 'failed', retryable: true });
    expect(first.kind === 'failed' && first.message).toMatch(/^The task was saved, but its provenance record was not/);
    const second = await writeAction(gateway, adaHba1cDue, writeParams, noWait);
    expect(second).toMatchObject({ kind: 'written', created: false });
    expect(store.all('Task')).toHaveLength(1);
    expect(store.all('Provenance')).toHaveLength(1);
  });
});

/** What the write path does with each failure of its POST, once: the Problem, and whether it sends again. */
describe('write-back failures, one per status', () => {
  const outcome = (code: string, diagnostics: string) => ({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics }] });
  type Row = [string, () => Response | Promise<Response>, { kind: Problem['kind'] } & Record<string, unknown>, { retried: false; retryable: boolean } | { retried: true; waitMs: number | null }];
  const table: Row[] = [
    ['401', () => HttpResponse.json(outcome('login', 'expired'), { status: 401 }), { kind: 'unauthorized', what: 'Task' }, { retried: false, retryable: false }],
    [
      '403 naming the missing scope',
      () => HttpResponse.json(outcome('forbidden', 'no'), { status: 403, headers: { 'www-authenticate': 'Bearer error="insufficient_scope", scope="patient/Task.c"' } }),
      { kind: 'forbidden', what: 'Task', missingScope: 'patient/Task.c' },
      { retried: false, retryable: false },
    ],
    ['404', () => HttpResponse.json(outcome('not-found', 'no Task endpoint'), { status: 404 }), { kind: 'not-found', what: 'Task' }, { retried: false, retryable: false }],
    ['409', () => HttpResponse.json(outcome('conflict', 'busy'), { status: 409 }), { kind: 'conflict', what: 'Task' }, { retried: false, retryable: true }],
    ['412 with no match to use', () => HttpResponse.json(outcome('duplicate', 'several'), { status: 412 }), { kind: 'precondition-failed', what: 'Task' }, { retried: false, retryable: false }],
    ['429 with Retry-After: 7', () => HttpResponse.json(outcome('throttled', 'slow down'), { status: 429, headers: { 'retry-after': '7' } }), { kind: 'rate-limited', retryAfter: 7 }, { retried: true, waitMs: 7000 }],
    ['500', () => HttpResponse.json(outcome('exception', 'boom'), { status: 500 }), { kind: 'server-error', status: 500 }, { retried: true, waitMs: null }],
    ['502', () => HttpResponse.json(outcome('exception', 'bad gateway'), { status: 502 }), { kind: 'server-error', status: 502 }, { retried: true, waitMs: null }],
    ['503', () => HttpResponse.json(outcome('transient', 'down'), { status: 503 }), { kind: 'server-error', status: 503 }, { retried: true, waitMs: null }],
    [
      'a malformed JSON body (201)',
      () => new HttpResponse('{"resourceType":"Task","id":"ta', { status: 201, headers: { 'content-type': 'application/fhir+json' } }),
      { kind: 'bad-response', what: 'Task' },
      { retried: false, retryable: false },
    ],
    [
      'no answer in time',
      async () => {
        await delay('infinite');
        return HttpResponse.json({});
      },
      { kind: 'timeout' },
      { retried: true, waitMs: null },
    ],
    ['a dropped connection (offline)', () => HttpResponse.error(), { kind: 'offline' }, { retried: true, waitMs: null }],
  ];

  /** The Task requests the write sends, in order (`POST`, or `GET` for a look by identifier), until `stop`. */
  function recordTaskRequests(): { seen: string[]; stop: () => void } {
    const seen: string[] = [];
    const listener = ({ request }: { request: Request }) => {
      if (new URL(request.url).pathname.endsWith('/Task')) seen.push(request.method);
    };
    server.events.on('request:start', listener);
    return { seen, stop: () => server.events.removeListener('request:start', listener) };
  }

  it.each(table)('a POST answered with %s: that Problem, and sent again (after a look) only when transient', async (_name, answer, problem, expected) => {
    const { store, gateway } = setup(150);
    server.use(http.post(`${BASE}/Task`, answer));
    const { seen: requests, stop } = recordTaskRequests();
    const waits: number[] = [];
    const result = await writeAction(gateway, adaHba1cDue, writeParams, { maxAttempts: 3, sleep: async (ms) => void waits.push(ms), random: () => 0 }).finally(stop);
    if (result.kind !== 'failed') throw new Error(`expected a failure, got ${result.kind}`);
    expect(result.problem).toMatchObject(problem);
    expect(isTransient(result.problem)).toBe(expected.retried);
    expect(store.all('Task')).toHaveLength(0);
    if (expected.retried) {
      // Three POSTs, each followed by a look for what it may have written; nothing sent twice unseen.
      expect(requests).toEqual(['POST', 'GET', 'POST', 'GET', 'POST', 'GET']);
      expect(result.retryable).toBe(true);
      if (expected.waitMs !== null) expect(waits).toEqual([expected.waitMs, expected.waitMs]);
    } else {
      // A malformed answer may follow a write that landed: looked for, never sent again.
      expect(requests).toEqual(problem.kind === 'bad-response' || problem.kind === 'precondition-failed' ? ['POST', 'GET'] : ['POST']);
      expect(result.retryable).toBe(expected.retryable);
    }
  });

  it('finds the task written before a malformed answer, and does not post it again', async () => {
    const { store, gateway } = setup();
    store.seed({ resourceType: 'Task', id: 'landed', status: 'requested', identifier: [{ system: writeParams.identifierSystem, value: 'diabetes-glycemic-status:ada:2026-11-01' }] });
    server.use(http.post(`${BASE}/Task`, () => new HttpResponse('{"resourceType":"Task","id":"la', { status: 201, headers: { 'content-type': 'application/fhir+json' } }), { once: true }));
    const result = await writeAction(gateway, adaHba1cDue, writeParams, noWait);
    expect(result).toMatchObject({ kind: 'written', created: false, reference: 'Task/landed/_history/1' });
    expect(store.all('Task')).toHaveLength(1);
  });
});
