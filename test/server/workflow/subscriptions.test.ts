/**
 * The workflow service's event intake end to end, in one process: the sandbox EHR (subscriptions,
 * Backend Services) and the audit app with the workflow module, wired through `inject`.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Ehr } from '../../../src/sandbox/index.ts';
import { TOPIC_BASE } from '../../../src/sandbox/subscriptions/topics.ts';
import { CHANGES_PATH, NOTIFICATION_PATH, type WorkflowService } from '../../../src/server/workflow/service.ts';
import { bearer } from '../../sandbox/support.ts';
import type { Harness } from '../support/harness.ts';
import { startWorkflowRig, type WorkflowRig } from './rig.ts';

let ehr: Ehr;
let h: Harness;
let service: WorkflowService;
let writer: string;
let rig: WorkflowRig;
let now = Date.UTC(2026, 11, 1, 12);
const clock = () => now;
const handled: string[] = [];

beforeAll(async () => {
  rig = await startWorkflowRig({
    scopes: ['system/*.rs', 'system/Subscription.crud'],
    ehr: { now: clock },
    service: () => ({
      now: clock,
      heartbeatSeconds: 30,
      handler: async (e) => void handled.push(`${e.resourceType}/${e.resourceId}#${e.eventNumber ?? ''}`),
    }),
  });
  ({ ehr, h, service, writer } = rig);
});
afterAll(() => rig.close());
beforeEach(() => {
  handled.length = 0;
});
afterEach(async () => {
  await ehr.app.inject({ method: 'DELETE', url: '/_admin/subscriptions/faults' });
  await ehr.subscriptions.settled();
  await service.receiver.settled();
  for (const sub of ehr.subscriptions.list()) ehr.subscriptions.delete(sub.id ?? '');
});

async function fit(patient = 'ada', text = 'FIT negative') {
  const res = await ehr.app.inject({
    method: 'POST',
    url: '/fhir/Observation',
    headers: { ...bearer(writer), 'content-type': 'application/fhir+json' },
    payload: { resourceType: 'Observation', status: 'final', code: { text }, subject: { reference: `Patient/${patient}` } },
  });
  expect(res.statusCode).toBe(201);
  return (res.json() as { id: string }).id;
}
async function fault(subscription: string, body: Record<string, unknown>) {
  const res = await ehr.app.inject({ method: 'POST', url: '/_admin/subscriptions/faults', payload: { subscription: subscription.split('/').pop(), ...body } });
  expect(res.statusCode).toBe(201);
}
async function settle() {
  await ehr.subscriptions.settled();
  await service.receiver.settled();
}
const inboxFor = async (sub: string) => (await service.inbox.events()).filter((e) => e.subscription === sub);

describe('the workflow service receives subscription notifications', () => {
  it('subscribes with its own Backend Services token, passes the handshake and stores each event before acknowledging', async () => {
    const { subscription, status } = await service.subscribe(`${TOPIC_BASE}/observation-change`, 'ada');
    expect(status).toBe('active');
    const id = await fit();
    await settle();
    expect((await inboxFor(subscription)).map((e) => [e.eventNumber, `${e.resourceType}/${e.resourceId}`, e.status, e.source])).toEqual([[1, `Observation/${id}`, 'pending', 'rest-hook']]);
    expect(await service.drain()).toMatchObject({ done: 1 });
    expect(handled).toEqual([`Observation/${id}#1`]);
    expect(service.tokens.requests).toBe(1);
  });

  it('acts once on a notification delivered three times', async () => {
    const { subscription } = await service.subscribe(`${TOPIC_BASE}/observation-change`, 'ada');
    await fault(subscription, { kind: 'duplicate', copies: 3, times: 1 });
    const before = (await service.inbox.stats()).duplicatesDropped;
    const id = await fit();
    await settle();
    expect((await service.inbox.stats()).duplicatesDropped - before).toBe(2);
    await service.drain();
    expect(handled.filter((x) => x.startsWith(`Observation/${id}`))).toHaveLength(1);
  });

  it('finds a dropped notification by the gap in event numbers and fetches it with $events', async () => {
    const { subscription } = await service.subscribe(`${TOPIC_BASE}/observation-change`, 'ada');
    await fault(subscription, { kind: 'drop', times: 1 });
    const lost = await fit('ada', 'lost');
    const next = await fit('ada', 'next');
    await settle();
    const events = await inboxFor(subscription);
    expect(events.map((e) => [e.eventNumber, e.resourceId, e.source]).sort()).toEqual([
      [1, lost, 'catch-up'],
      [2, next, 'rest-hook'],
    ]);
    // the catch-up asked for full resources: the version is known
    expect(events.find((e) => e.eventNumber === 1)?.versionId).toBeTruthy();
    expect(service.receiver.counters.recovered).toBeGreaterThanOrEqual(1);
  });

  it('takes reordered notifications once each', async () => {
    const { subscription } = await service.subscribe(`${TOPIC_BASE}/observation-change`, 'ada');
    await fault(subscription, { kind: 'reorder', times: 1 });
    await fit('ada', 'first');
    await fit('ada', 'second');
    await settle();
    expect((await inboxFor(subscription)).map((e) => e.eventNumber).sort()).toEqual([1, 2]);
  });

  it('catches up through $status and $events when a heartbeat is missed (notifications paused)', async () => {
    const { subscription } = await service.subscribe(`${TOPIC_BASE}/observation-change`, 'ada');
    await fault(subscription, { kind: 'pause' });
    const id = await fit();
    await settle();
    expect((await inboxFor(subscription))).toHaveLength(0);
    expect(await service.receiver.checkHeartbeats()).not.toContain(subscription);
    now += 61_000; // two 30 s heartbeat periods without contact
    expect(await service.receiver.checkHeartbeats()).toContain(subscription);
    await settle();
    expect((await inboxFor(subscription)).map((e) => [e.eventNumber, e.resourceId, e.source])).toEqual([[1, id, 'catch-up']]);
    // the held notification arrives later: dropped as a duplicate
    await ehr.app.inject({ method: 'DELETE', url: '/_admin/subscriptions/faults' });
    await settle();
    expect((await inboxFor(subscription))).toHaveLength(1);
  });

  it('catches up when a heartbeat reports more events than were received', async () => {
    const { subscription } = await service.subscribe(`${TOPIC_BASE}/observation-change`, 'ada');
    await fault(subscription, { kind: 'drop', times: 1 });
    await fit();
    await settle();
    expect((await inboxFor(subscription))).toHaveLength(0);
    await ehr.app.inject({ method: 'POST', url: `/_admin/subscriptions/${subscription.split('/').pop() ?? ''}/heartbeat` });
    await settle();
    expect((await inboxFor(subscription)).map((e) => e.source)).toEqual(['catch-up']);
  });

  it('refuses a notification without the subscription credential, malformed, or for a server it does not follow', async () => {
    const post = (body: unknown, auth?: string) =>
      h.app.inject({ method: 'POST', url: NOTIFICATION_PATH, headers: { 'content-type': 'application/fhir+json', ...(auth ? { authorization: auth } : {}) }, payload: JSON.stringify(body) });
    expect((await post({ resourceType: 'Bundle' })).statusCode).toBe(401);
    expect((await post({ resourceType: 'Bundle' }, 'Bearer wrong')).statusCode).toBe(401);
    // The credential the service keeps in its inbox (no WORKFLOW_NOTIFICATION_SECRET here).
    const secret = await service.inbox.sharedSecret('unused-candidate');
    expect((await post({ resourceType: 'Patient' }, `Bearer ${secret}`)).statusCode).toBe(400);
    const foreign = {
      resourceType: 'Bundle',
      type: 'history',
      entry: [{ resource: { resourceType: 'Parameters', parameter: [{ name: 'subscription', valueReference: { reference: 'http://evil.example/fhir/Subscription/1' } }, { name: 'type', valueCode: 'heartbeat' }] } }],
    };
    const res = await post(foreign, `Bearer ${secret}`);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'invalid-notification' });
  });

  it('once started, drains the inbox on its own', async () => {
    const { subscription } = await service.subscribe(`${TOPIC_BASE}/observation-change`, 'ada');
    service.start({ drainMs: 20, heartbeatCheckMs: 1_000_000 });
    const id = await fit();
    await settle();
    await vi.waitFor(() => expect(handled).toContain(`Observation/${id}#1`), { timeout: 5000 });
    expect((await inboxFor(subscription)).map((e) => e.status)).toEqual(['done']);
  });

  it('stopped, it refuses notifications and live channels (503); started again, it catches up what was sent meanwhile, once', async () => {
    const { subscription } = await service.subscribe(`${TOPIC_BASE}/observation-change`, 'ada');
    service.start({ drainMs: 20, heartbeatCheckMs: 1_000_000 });
    await service.stop();
    expect(service.isStopped).toBe(true);
    const id = await fit();
    await settle();
    expect(await inboxFor(subscription)).toHaveLength(0);
    // The credential the service keeps in its inbox (no WORKFLOW_NOTIFICATION_SECRET here).
    const secret = await service.inbox.sharedSecret('unused-candidate');
    const refused = await h.app.inject({ method: 'POST', url: NOTIFICATION_PATH, headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${secret}` }, payload: '{}' });
    expect(refused.statusCode).toBe(503);
    expect((await h.app.inject({ method: 'GET', url: `${CHANGES_PATH}?patient=ada` })).statusCode).toBe(503);
    await new Promise((r) => setTimeout(r, 100));
    expect(handled).toEqual([]);

    const recovered = service.receiver.counters.recovered;
    service.start(); // the same inbox, the same timing
    await settle();
    expect((await inboxFor(subscription)).map((e) => [e.eventNumber, e.resourceId, e.source])).toEqual([[1, id, 'catch-up']]);
    expect(service.receiver.counters.recovered - recovered).toBe(1);
    await vi.waitFor(() => expect(handled).toContain(`Observation/${id}#1`), { timeout: 5000 });
    expect(handled.filter((x) => x.startsWith(`Observation/${id}`))).toHaveLength(1);
  });

  it('tells the sidebar of its patient\'s changes over the live channel (SSE), bound to the token\'s patient', async () => {
    const address = await h.app.listen({ port: 0, host: '127.0.0.1' });
    const get = (patient: string, token: string | null) => fetch(`${address}${CHANGES_PATH}?patient=${patient}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    expect((await get('ada', null)).status).toBe(401);
    const other = await get('grace', h.token); // the token's patient is Ada
    expect(other.status).toBe(403);
    const res = await get('ada', h.token);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = decoder.decode((await reader.read()).value);
    expect(text).toContain(': connected');
    await service.subscribe(`${TOPIC_BASE}/observation-change`, 'ada');
    const id = await fit();
    await settle();
    await service.drain();
    while (!text.includes('event: change')) text += decoder.decode((await reader.read()).value);
    const data = JSON.parse(/data: (.*)\n/.exec(text)?.[1] ?? '{}') as Record<string, unknown>;
    expect(data).toMatchObject({ patient: 'ada', resource: `Observation/${id}` });
    await reader.cancel();
    // Event → sidebar latency: one observation per change sent on a live channel.
    const metrics = (await h.app.inject({ method: 'GET', url: '/api/workflow/metrics' })).body;
    expect(Number(/^careloop_workflow_event_to_sidebar_seconds_count (\d+)$/m.exec(metrics)?.[1])).toBe(1);
  });

  it('reports its metrics: inbox depth, duplicates, catch-ups, missed heartbeats, processing latency', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/api/workflow/metrics' });
    expect(res.statusCode).toBe(200);
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(res.body)?.[1] ?? NaN);
    expect(value('careloop_workflow_inbox_events\\{status="pending"\\}')).toBeGreaterThanOrEqual(0);
    expect(value('careloop_workflow_duplicates_dropped_total')).toBeGreaterThanOrEqual(2);
    expect(value('careloop_workflow_catch_ups_total')).toBeGreaterThanOrEqual(1);
    expect(value('careloop_workflow_events_recovered_total')).toBeGreaterThanOrEqual(1);
    expect(value('careloop_workflow_missed_heartbeats_total')).toBeGreaterThanOrEqual(1);
    expect(value('careloop_workflow_event_processed_seconds_count')).toBeGreaterThanOrEqual(2);
  });

  it('stops following a subscription it deleted, or one the server no longer has', async () => {
    const mine = await service.subscribe(`${TOPIC_BASE}/observation-change`, 'ada');
    await service.unsubscribe(mine.subscription);
    expect(ehr.subscriptions.get(mine.subscription.split('/').pop() ?? '')).toBeUndefined();
    const gone = await service.subscribe(`${TOPIC_BASE}/observation-change`, 'ada');
    ehr.subscriptions.delete(gone.subscription.split('/').pop() ?? '');
    const failures = service.receiver.counters.catchUpFailures;
    now += 61_000;
    await service.receiver.checkHeartbeats();
    await settle();
    const followed = (await service.inbox.subscriptionStates()).map((s) => s.subscription);
    expect(followed).not.toContain(mine.subscription);
    expect(followed).not.toContain(gone.subscription);
    expect(service.receiver.counters.catchUpFailures).toBe(failures);
  });
});
