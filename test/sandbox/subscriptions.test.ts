import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Bundle, Parameters } from '@medplum/fhirtypes';
import type { Ehr } from '../../src/sandbox/index.ts';
import { EXT_FILTER_CRITERIA, EXT_HEARTBEAT_PERIOD, EXT_PAYLOAD_CONTENT, TOPIC_BASE } from '../../src/sandbox/subscriptions/topics.ts';
import { adminToken, bearer, FHIR, testEhr } from './support.ts';

interface Delivery {
  url: string;
  headers: Headers;
  bundle: Bundle;
}
let ehr: Ehr;
let deliveries: Delivery[] = [];
let answer = 200;
let systemToken: string;
let adaToken: string;

beforeAll(async () => {
  ehr = await testEhr({
    heartbeatTimers: false,
    notificationFetch: (async (input: string | URL | Request, init?: RequestInit) => {
      deliveries.push({ url: String(input), headers: new Headers(init?.headers), bundle: JSON.parse(String(init?.body)) as Bundle });
      return new Response('{}', { status: answer });
    }) as typeof fetch,
  });
  systemToken = await adminToken(ehr, 'user/*.cruds user/Subscription.crud');
  adaToken = await adminToken(ehr, 'patient/Observation.crs patient/Subscription.cr', 'ada');
});
afterAll(async () => {
  await ehr.app.close();
});
beforeEach(async () => {
  deliveries = [];
  answer = 200;
  await ehr.app.inject({ method: 'DELETE', url: '/_admin/subscriptions/faults' });
});

function subscription(topic: string, opts: { patient?: string; content?: string; endpoint?: string; heartbeat?: number } = {}) {
  return {
    resourceType: 'Subscription',
    status: 'requested',
    reason: 'test',
    criteria: `${TOPIC_BASE}/${topic}`,
    ...(opts.patient ? { _criteria: { extension: [{ url: EXT_FILTER_CRITERIA, valueString: `patient=Patient/${opts.patient}` }] } } : {}),
    channel: {
      type: 'rest-hook',
      endpoint: opts.endpoint ?? 'http://127.0.0.1:9999/hook',
      payload: 'application/fhir+json',
      _payload: { extension: [{ url: EXT_PAYLOAD_CONTENT, valueCode: opts.content ?? 'id-only' }] },
      header: ['Authorization: Bearer hook-secret'],
      extension: [{ url: EXT_HEARTBEAT_PERIOD, valueUnsignedInt: opts.heartbeat ?? 60 }],
    },
  };
}

async function create(body: unknown, token = systemToken) {
  const res = await ehr.app.inject({ method: 'POST', url: '/fhir/Subscription', headers: { ...bearer(token), 'content-type': 'application/fhir+json' }, payload: JSON.stringify(body) });
  return { status: res.statusCode, body: res.json() as Record<string, unknown> & { id: string; status: string } };
}

async function writeObservation(patient: string, text = 'FIT negative') {
  const res = await ehr.app.inject({
    method: 'POST',
    url: '/fhir/Observation',
    headers: { ...bearer(systemToken), 'content-type': 'application/fhir+json' },
    payload: { resourceType: 'Observation', status: 'final', code: { text }, subject: { reference: `Patient/${patient}` } },
  });
  expect(res.statusCode).toBe(201);
  return res.json() as { id: string; meta: { versionId: string } };
}

function statusOf(bundle: Bundle): Parameters {
  return bundle.entry?.[0]?.resource as Parameters;
}
function param(p: Parameters, name: string) {
  return p.parameter?.find((x) => x.name === name);
}
function eventNumbers(bundle: Bundle): string[] {
  return (statusOf(bundle).parameter ?? []).filter((x) => x.name === 'notification-event').map((x) => x.part?.find((y) => y.name === 'event-number')?.valueString ?? '');
}

describe('sandbox subscriptions (R4 backport)', () => {
  it('handshakes on create and becomes active; the channel header is sent but never echoed', async () => {
    const sub = await create(subscription('observation-change', { patient: 'ada' }));
    expect(sub.status).toBe(201);
    expect(sub.body.status).toBe('active');
    expect(JSON.stringify(sub.body)).not.toContain('hook-secret');
    expect(deliveries).toHaveLength(1);
    const hs = deliveries[0];
    expect(hs?.url).toBe('http://127.0.0.1:9999/hook');
    expect(hs?.headers.get('authorization')).toBe('Bearer hook-secret');
    expect(hs?.bundle.type).toBe('history');
    const p = statusOf(hs?.bundle ?? ({} as Bundle));
    expect(param(p, 'type')?.valueCode).toBe('handshake');
    expect(param(p, 'events-since-subscription-start')?.valueString).toBe('0');
    expect(param(p, 'subscription')?.valueReference?.reference).toBe(`${FHIR}/Subscription/${sub.body.id}`);
  });

  it('is in error when the endpoint refuses the handshake', async () => {
    answer = 500;
    expect((await create(subscription('observation-change'))).body.status).toBe('error');
  });

  it.each([
    ['an unknown topic', { ...subscription('observation-change'), criteria: 'http://example.org/nope' }, /Unknown topic/],
    ['an unsupported filter', { ...subscription('observation-change'), _criteria: { extension: [{ url: EXT_FILTER_CRITERIA, valueString: 'code=1234' }] } }, /Unsupported filter/],
    ['a websocket channel', { ...subscription('observation-change'), channel: { type: 'websocket' } }, /rest-hook/],
    ['a relative endpoint', subscription('observation-change', { endpoint: '/hook' }), /absolute/],
    ['an endpoint on another host', subscription('observation-change', { endpoint: 'http://169.254.169.254/latest' }), /on this machine/],
  ])('refuses %s with a clear message', async (_n, body, message) => {
    const res = await create(body);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toMatch(message);
  });

  it('limits a patient-scoped token to subscriptions on its own patient', async () => {
    expect((await create(subscription('observation-change', { patient: 'ada' }), adaToken)).status).toBe(201);
    expect((await create(subscription('observation-change', { patient: 'grace' }), adaToken)).status).toBe(400);
    expect((await create(subscription('observation-change'), adaToken)).status).toBe(400);
  });

  it('notifies each change in the filtered patient chart with event numbers, id-only or full-resource', async () => {
    const idOnly = await create(subscription('observation-change', { patient: 'ada' }));
    const full = await create(subscription('patient-chart-change', { patient: 'ada', content: 'full-resource' }));
    deliveries = [];
    const obs = await writeObservation('ada');
    await writeObservation('grace'); // another patient: nothing
    await ehr.subscriptions.settled();
    const forId = (id: string) => deliveries.filter((d) => param(statusOf(d.bundle), 'subscription')?.valueReference?.reference?.endsWith(id));
    const [a] = forId(idOnly.body.id);
    expect(forId(idOnly.body.id)).toHaveLength(1);
    expect(param(statusOf(a?.bundle ?? ({} as Bundle)), 'type')?.valueCode).toBe('event-notification');
    expect(param(statusOf(a?.bundle ?? ({} as Bundle)), 'events-since-subscription-start')?.valueString).toBe('1');
    expect(eventNumbers(a?.bundle ?? ({} as Bundle))).toEqual(['1']);
    expect(a?.bundle.entry?.[1]).toMatchObject({ fullUrl: `${FHIR}/Observation/${obs.id}`, request: { method: 'POST' } });
    expect(a?.bundle.entry?.[1]?.resource).toBeUndefined();
    const [b] = forId(full.body.id);
    expect(b?.bundle.entry?.[1]?.resource).toMatchObject({ resourceType: 'Observation', id: obs.id, meta: { versionId: obs.meta.versionId } });

    // the chart topic covers Task too
    const task = await ehr.app.inject({
      method: 'POST',
      url: '/fhir/Task',
      headers: { ...bearer(systemToken), 'content-type': 'application/fhir+json' },
      payload: { resourceType: 'Task', status: 'requested', intent: 'plan', for: { reference: 'Patient/ada' } },
    });
    expect(task.statusCode).toBe(201);
    await ehr.subscriptions.settled();
    expect(forId(full.body.id).map((d) => eventNumbers(d.bundle))).toEqual([['1'], ['2']]);
    expect(forId(idOnly.body.id)).toHaveLength(1);
  });

  it('answers $status and $events, and sends heartbeats', async () => {
    const sub = await create(subscription('observation-change', { patient: 'ada' }));
    await writeObservation('ada', 'one');
    await writeObservation('ada', 'two');
    await ehr.subscriptions.settled();
    const status = (await ehr.app.inject({ method: 'GET', url: `/fhir/Subscription/${sub.body.id}/$status`, headers: bearer(systemToken) })).json() as Bundle;
    expect(param(statusOf(status), 'type')?.valueCode).toBe('query-status');
    expect(param(statusOf(status), 'events-since-subscription-start')?.valueString).toBe('2');
    const events = (await ehr.app.inject({ method: 'GET', url: `/fhir/Subscription/${sub.body.id}/$events?eventsSinceNumber=2&eventsUntilNumber=2&content=full-resource`, headers: bearer(systemToken) })).json() as Bundle;
    expect(param(statusOf(events), 'type')?.valueCode).toBe('query-event');
    expect(eventNumbers(events)).toEqual(['2']);
    expect(events.entry?.[1]?.resource).toMatchObject({ resourceType: 'Observation', code: { text: 'two' } });
    const bad = await ehr.app.inject({ method: 'GET', url: `/fhir/Subscription/${sub.body.id}/$events?eventsSinceNumber=x`, headers: bearer(systemToken) });
    expect(bad.statusCode).toBe(400);
    const other = await adminToken(ehr, 'user/Subscription.crud');
    expect((await ehr.app.inject({ method: 'GET', url: `/fhir/Subscription/${sub.body.id}/$status`, headers: bearer(other) })).statusCode).toBe(200); // same client (careloop)

    deliveries = [];
    expect((await ehr.app.inject({ method: 'POST', url: `/_admin/subscriptions/${sub.body.id}/heartbeat` })).statusCode).toBe(204);
    expect(deliveries.map((d) => param(statusOf(d.bundle), 'type')?.valueCode)).toEqual(['heartbeat']);
    expect(param(statusOf(deliveries[0]?.bundle ?? ({} as Bundle)), 'events-since-subscription-start')?.valueString).toBe('2');
  });

  it('fault switches duplicate, drop, reorder and pause notifications', async () => {
    const sub = await create(subscription('observation-change', { patient: 'ada' }));
    const fault = (body: Record<string, unknown>) => ehr.app.inject({ method: 'POST', url: '/_admin/subscriptions/faults', payload: { subscription: sub.body.id, ...body } });
    const mine = () => deliveries.filter((d) => param(statusOf(d.bundle), 'subscription')?.valueReference?.reference?.endsWith(sub.body.id));
    deliveries = [];
    expect((await fault({ kind: 'duplicate', copies: 3, times: 1 })).statusCode).toBe(201);
    await writeObservation('ada');
    await ehr.subscriptions.settled();
    expect(mine().map((d) => eventNumbers(d.bundle))).toEqual([['1'], ['1'], ['1']]);

    deliveries = [];
    await fault({ kind: 'drop', times: 1 });
    await writeObservation('ada');
    await writeObservation('ada');
    await ehr.subscriptions.settled();
    expect(mine().map((d) => eventNumbers(d.bundle))).toEqual([['3']]);

    deliveries = [];
    await fault({ kind: 'reorder', times: 1 });
    await writeObservation('ada');
    await writeObservation('ada');
    await ehr.subscriptions.settled();
    expect(mine().map((d) => eventNumbers(d.bundle))).toEqual([['5'], ['4']]);

    deliveries = [];
    await fault({ kind: 'pause' });
    await writeObservation('ada');
    await ehr.app.inject({ method: 'POST', url: `/_admin/subscriptions/${sub.body.id}/heartbeat` });
    await ehr.subscriptions.settled();
    expect(mine()).toHaveLength(0);
    await ehr.app.inject({ method: 'DELETE', url: '/_admin/subscriptions/faults' });
    await ehr.subscriptions.settled();
    expect(mine().map((d) => param(statusOf(d.bundle), 'type')?.valueCode)).toEqual(['event-notification', 'heartbeat']);

    deliveries = [];
    await fault({ kind: 'delay', delayMs: 50, times: 1 });
    const started = Date.now();
    await writeObservation('ada');
    await ehr.subscriptions.settled();
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(mine().map((d) => eventNumbers(d.bundle))).toEqual([['7']]);
    expect((await fault({ kind: 'explode' })).statusCode).toBe(400);
  });

  it('files a simulated result from the chart and notifies it', async () => {
    expect((await ehr.app.inject({ method: 'GET', url: '/chart/ada' })).body).toContain('Simulate: result arrives (FIT negative)');
    expect((await ehr.app.inject({ method: 'GET', url: '/chart/grace' })).body).not.toContain('data-testid="simulate-result"');
    const sub = await create(subscription('patient-chart-change', { patient: 'claude', content: 'full-resource' }));
    deliveries = [];
    const res = await ehr.app.inject({ method: 'POST', url: '/chart/claude/simulate-result', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: '' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/chart/claude');
    await ehr.subscriptions.settled();
    const mine = deliveries.filter((d) => param(statusOf(d.bundle), 'subscription')?.valueReference?.reference?.endsWith(sub.body.id));
    expect(mine).toHaveLength(1);
    expect(mine[0]?.bundle.entry?.[1]?.resource).toMatchObject({ resourceType: 'Observation', valueQuantity: { value: 7.1, unit: '%' }, subject: { reference: 'Patient/claude' } });
    expect(ehr.ctx.writes.at(-1)).toMatchObject({ interaction: 'create', patient: 'claude', clientId: 'sandbox-ehr' });
    expect((await ehr.app.inject({ method: 'POST', url: '/chart/grace/simulate-result', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: '' })).statusCode).toBe(404);
  });
});
