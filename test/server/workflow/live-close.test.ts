/**
 * Event → re-evaluation → action, end to end in one process: a negative FIT filed for Ada in the
 * sandbox EHR is notified three times (id-only) to the workflow service, which closes Careloop's
 * outreach Task once, with a Provenance and one audit entry whose actor is the service.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Task } from '@medplum/fhirtypes';
import type { Ehr } from '../../../src/sandbox/index.ts';
import { TOPIC_BASE } from '../../../src/sandbox/subscriptions/topics.ts';
import { ruleEngine } from '../../../src/server/workflow/rule-engine.ts';
import type { WorkflowService } from '../../../src/server/workflow/service.ts';
import { bearer, FHIR, REFERENCE_DATE } from '../../sandbox/support.ts';
import type { Harness } from '../support/harness.ts';
import { startWorkflowRig, type WorkflowRig } from './rig.ts';

const IDS = 'https://careloop.example/fhir/identifier/care-gap-action';
const ACTOR = { sub: 'careloop-workflow', fhirUser: null, clientId: 'careloop-workflow', issuer: FHIR };
let ehr: Ehr;
let h: Harness;
let service: WorkflowService;
let writer: string;
let rig: WorkflowRig;

beforeAll(async () => {
  rig = await startWorkflowRig({
    alg: 'RS384',
    scopes: ['system/*.rs', 'system/Task.rus', 'system/Provenance.c', 'system/Subscription.crud'],
    service: (app) => ({
      poll: { types: ['Observation', 'Task'] },
      reevaluate: {
        rules: ruleEngine(),
        identifierSystem: IDS,
        asOf: () => REFERENCE_DATE,
        audit: { store: { append: ((...args: Parameters<Harness['store']['append']>) => app().store.append(...args)) as Harness['store']['append'] }, actor: ACTOR },
        appVersion: '0.1.0',
      },
    }),
  });
  ({ ehr, h, service, writer } = rig);
});
afterAll(() => rig.close());

async function post<T>(resource: Record<string, unknown>): Promise<T> {
  const res = await ehr.app.inject({ method: 'POST', url: `/fhir/${String(resource['resourceType'])}`, headers: { ...bearer(writer), 'content-type': 'application/fhir+json' }, payload: JSON.stringify(resource) });
  expect(res.statusCode).toBe(201);
  return res.json() as T;
}

describe('a chart change closes the outreach Task whose gap closed', () => {
  it('closes Ada\'s outreach Task once when the FIT notification arrives three times', async () => {
    const task = await post<Task>({ resourceType: 'Task', identifier: [{ system: IDS, value: 'colorectal-cancer-screening:ada:2026-01-01' }], status: 'requested', intent: 'plan', for: { reference: 'Patient/ada' } });
    await service.subscribe(`${TOPIC_BASE}/observation-change`, 'ada');
    await ehr.app.inject({ method: 'POST', url: '/_admin/subscriptions/faults', payload: { kind: 'duplicate', copies: 3, times: 1 } });
    await post({
      resourceType: 'Observation',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '29771-3' }] },
      subject: { reference: 'Patient/ada' },
      effectiveDateTime: '2026-11-22T10:00:00Z',
      valueString: 'Negative',
    });
    await ehr.subscriptions.settled();
    await service.receiver.settled();
    expect(await service.drain()).toEqual({ done: 1, retried: 0, dead: 0 });
    expect((await service.inbox.stats()).duplicatesDropped).toBe(2);

    const closed = (await ehr.app.inject({ method: 'GET', url: `/fhir/Task/${task.id}`, headers: bearer(writer) })).json() as Task;
    expect(closed.status).toBe('completed');
    const taskWrites = ehr.ctx.writes.filter((w) => w.reference === `Task/${task.id}` && w.interaction === 'update');
    expect(taskWrites).toEqual([expect.objectContaining({ clientId: 'careloop-workflow' })]);
    expect(ehr.ctx.writes.filter((w) => w.resourceType === 'Provenance' && w.clientId === 'careloop-workflow')).toHaveLength(1);
    const written = (await h.store.timeline({ patient: 'ada', limit: 50 })).filter((r) => r.action === 'written');
    expect(written).toEqual([expect.objectContaining({ actor: ACTOR, ruleId: 'colorectal-cancer-screening', outcome: expect.objectContaining({ reference: `Task/${task.id}` }) })]);
  });

  it('with every notification dropped, polling finds the change and the Task is closed', async () => {
    await ehr.app.inject({ method: 'DELETE', url: '/_admin/subscriptions/faults' });
    await service.subscribe(`${TOPIC_BASE}/patient-chart-change`, 'grace');
    await ehr.app.inject({ method: 'POST', url: '/_admin/subscriptions/faults', payload: { kind: 'drop' } });
    expect(await service.poller?.pollOnce()).toMatchObject({ kind: 'polled' }); // sets the watermarks
    // Grace's colorectal screening is satisfied (FIT 5 months ago): an outreach Task for it is stale.
    const task = await post<Task>({ resourceType: 'Task', identifier: [{ system: IDS, value: 'colorectal-cancer-screening:grace:2026-01-01' }], status: 'requested', intent: 'plan', for: { reference: 'Patient/grace' } });
    await ehr.subscriptions.settled();
    expect((await service.inbox.events()).filter((e) => e.resourceId === task.id)).toHaveLength(0);
    expect(await service.poller?.pollOnce()).toMatchObject({ kind: 'polled' });
    expect((await service.inbox.events()).filter((e) => e.resourceId === task.id).map((e) => e.source)).toEqual(['poll']);
    await service.drain();
    const closed = (await ehr.app.inject({ method: 'GET', url: `/fhir/Task/${task.id}`, headers: bearer(writer) })).json() as Task;
    expect(closed.status).toBe('completed');
  });
});
