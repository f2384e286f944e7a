/**
 * The workflow service end to end in Chromium, through the sandbox chart, with the EHR's
 * notification fault switches: a notification delivered three times closes Donald's outreach Task
 * once; a dropped notification is found by reconciliation within one interval (and counted as a
 * miss); a change filed while the service is stopped is caught up on restart, once.
 *
 * Each patient gets an open outreach Task as Careloop writes them (business identifier in the app's
 * `identifierSystem`, `<rule>:<patient>:<due date>`), so "processed once" is visible in the EHR: the
 * Task completed in one version, one Provenance naming the service, one audit entry by the service.
 *
 * Polling is set to 10 minutes and heartbeats to an hour, so each test sees only the path it is
 * about; reconciliation runs every {@link RECONCILE_MS}.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bundle, Provenance, Task } from '@medplum/fhirtypes';
import type { Page } from 'playwright-core';
import { uuidFrom } from '../../src/server/workflow/reevaluate.ts';
import type { InboxEvent } from '../../src/server/workflow/inbox.ts';
import type { WorkflowService } from '../../src/server/workflow/service.ts';
import { startE2e, type E2eEnv } from './support/sandbox.ts';

/** The reconciliation interval for this file (the sandbox's default is 5 minutes). */
const RECONCILE_MS = 5_000;
/** The app's business identifier system (public/careloop.config.json). */
const IDENTIFIER_SYSTEM = 'https://careloop.example/fhir/identifier/care-gap-action';
const MISS = 'reconciliation found a change the events missed';

let env: E2eEnv;
const logLines: Array<Record<string, unknown>> = [];
let token: string;

beforeAll(async () => {
  env = await startE2e({ workflow: { pollMs: 600_000, reconcileMs: RECONCILE_MS, heartbeatSeconds: 3_600, log: (line) => void logLines.push(line) } });
  const res = await fetch(`${env.sandbox.ehrUrl}_admin/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ scope: 'user/*.cruds' }) });
  token = ((await res.json()) as { access_token: string }).access_token;
}, 240_000);
afterAll(async () => {
  await fetch(`${env?.sandbox.ehrUrl}_admin/subscriptions/faults`, { method: 'DELETE' }).catch(() => undefined);
  await env?.close();
});

function service(): WorkflowService {
  const w = env.sandbox.workflow;
  if (!w) throw new Error('the sandbox runs without its workflow service');
  return w;
}

async function fhir<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${env.sandbox.fhirBase}/${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, accept: 'application/fhir+json', ...(body ? { 'content-type': 'application/fhir+json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as T };
}

/** An open outreach Task for a gap, as Careloop writes it. */
async function outreachTask(patient: string, rule: string, dueDate: string): Promise<Task> {
  const created = await fhir<Task>('POST', 'Task', {
    resourceType: 'Task',
    identifier: [{ system: IDENTIFIER_SYSTEM, value: `${rule}:${patient}:${dueDate}` }],
    status: 'requested',
    intent: 'plan',
    description: `Outreach: ${rule}`,
    for: { reference: `Patient/${patient}` },
  });
  expect(created.status).toBe(201);
  return created.body;
}

/** The id of the workflow service's active Subscription to a patient's chart, once there is one. */
async function subscriptionOf(patient: string, timeoutMs = 10_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${env.sandbox.ehrUrl}_admin/subscriptions`);
    const { subscriptions } = (await res.json()) as { subscriptions: Array<{ id?: string; status?: string; _criteria?: { extension?: Array<{ valueString?: string }> } }> };
    const found = subscriptions.find((s) => s.status === 'active' && s._criteria?.extension?.some((e) => e.valueString === `patient=Patient/${patient}`));
    if (found?.id) return found.id;
    if (Date.now() > end) throw new Error(`no active subscription to ${patient}'s chart`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function addFault(body: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${env.sandbox.ehrUrl}_admin/subscriptions/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(201);
}

async function until<T>(what: string, check: () => T | null | undefined | false | Promise<T | null | undefined | false>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${env.logs.slice(-20).join('\n')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Opens a chart and waits for the gap under "In progress" (its outreach Task is open) and the live
 * channel (and so the service's Subscription to the chart).
 */
async function openLive(patient: string, gap: RegExp) {
  const { page, app } = await env.openChart(patient);
  const inProgress = app.getByRole('list', { name: 'Care gaps in progress' }).getByRole('listitem').filter({ hasText: gap });
  await inProgress.waitFor({ timeout: 60_000 });
  await app.getByText(/· updates live$/).first().waitFor({ timeout: 15_000 });
  const subscription = await subscriptionOf(patient);
  return { page, app, inProgress, subscription };
}

/** "Simulate: result arrives" in the chart; the reference of what the EHR filed. */
async function simulate(page: Page): Promise<{ reference: string; filedAt: number }> {
  const filedAt = Date.now();
  await page.getByTestId('simulate-result').click();
  const status = await page.getByText(/^Filed \w+\/[A-Za-z0-9\-.]+ at/).textContent({ timeout: 10_000 });
  const reference = /^Filed (\w+\/[A-Za-z0-9\-.]+) at/.exec(status ?? '')?.[1];
  if (!reference) throw new Error(`unexpected status "${status ?? ''}"`);
  return { reference, filedAt };
}

const eventsFor = async (reference: string): Promise<InboxEvent[]> => (await service().inbox.events()).filter((e) => `${e.resourceType}/${e.resourceId}` === reference);

/** Waits until the inbox has the resource and is done with it (the Task's close, its Provenance and audit entry written). */
async function processed(reference: string): Promise<InboxEvent[]> {
  return until(`${reference} processed`, async () => {
    const events = await eventsFor(reference);
    return events.length > 0 && events.every((e) => e.status !== 'pending' && e.status !== 'processing') && events;
  }, 20_000);
}

/** What the FHIR server says happened to the Task: its versions, oldest first. */
async function taskHistory(id: string): Promise<Task[]> {
  const history = await fhir<Bundle<Task>>('GET', `Task/${id}/_history`);
  expect(history.status).toBe(200);
  return (history.body.entry ?? [])
    .map((e) => e.resource)
    .filter((t): t is Task => t !== undefined)
    .sort((a, b) => (a.meta?.lastUpdated ?? '').localeCompare(b.meta?.lastUpdated ?? ''));
}

/** Closed once: one version transition to completed, one Provenance by the service, one audit entry by the service. */
async function expectClosedOnce(patient: string, task: Task, trigger: InboxEvent): Promise<void> {
  const versions = await taskHistory(task.id ?? '');
  expect(versions.map((v) => v.status)).toEqual(['requested', 'completed']);
  const provenances = ((await env.resources('Provenance', '*')) as Provenance[]).filter((p) => p.target.some((t) => t.reference?.startsWith(`Task/${task.id ?? ''}/`)));
  expect(provenances).toHaveLength(1);
  expect(provenances[0]?.agent).toEqual([expect.objectContaining({ who: expect.objectContaining({ identifier: { system: 'https://careloop.example/software', value: 'careloop-workflow' }, type: 'Device' }) })]);
  expect(provenances[0]?.target[0]?.reference).toBe(`Task/${task.id ?? ''}/_history/${versions[1]?.meta?.versionId ?? ''}`);
  const audit = env.sandbox.audit;
  if (!audit) throw new Error('the sandbox runs without its audit backend');
  const written = (await audit.store.timeline({ patient, actions: ['written'], limit: 100 })).filter((r) => r.outcome?.reference === `Task/${task.id ?? ''}`);
  expect(written).toHaveLength(1);
  expect(written[0]).toMatchObject({ reason: 'auto-closed:gap-closed', actor: { sub: 'careloop-workflow', clientId: 'careloop-workflow', fhirUser: null } });
  // The triggering event's id, as the service derives it.
  const key = trigger.subscription !== null && trigger.eventNumber !== null ? `${trigger.subscription}#${trigger.eventNumber}` : `${trigger.source}:${trigger.resourceType}/${trigger.resourceId}/${trigger.versionId ?? ''}`;
  expect(written[0]?.correlationId).toBe(uuidFrom(`careloop-workflow:event:${key}`));
}

async function taskStatus(id: string): Promise<string | undefined> {
  return (await fhir<Task>('GET', `Task/${id}`)).body.status;
}

describe('the workflow service acts exactly once, whatever the notifications do', () => {
  it("completes Donald's outreach Task once when the colonoscopy's notification is delivered three times", async () => {
    const task = await outreachTask('donald', 'colorectal-cancer-screening', '2025-11-23');
    const { page, app, inProgress, subscription } = await openLive('donald', /^Colorectal cancer screening/);
    await addFault({ kind: 'duplicate', copies: 3, times: 1, subscription });
    const dropped = (await service().inbox.stats()).duplicatesDropped;

    const { reference } = await simulate(page);
    expect(reference).toMatch(/^Procedure\//);
    await processed(reference);
    // All three copies arrived: two dropped as duplicates of the first.
    await until('three deliveries', async () => (await service().inbox.stats()).duplicatesDropped - dropped >= 2, 10_000);
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await service().inbox.stats()).duplicatesDropped - dropped).toBe(2);
    const events = await eventsFor(reference);
    expect(events.map((e) => [e.source, e.status])).toEqual([['rest-hook', 'done']]);
    await expectClosedOnce('donald', task, events[0] as InboxEvent);

    // The sidebar shows the gap closed (no longer in progress, announced), with no relaunch.
    await inProgress.waitFor({ state: 'detached', timeout: 15_000 });
    await app.getByText(/^Chart updated at \d{2}:\d{2}\. Gap closed: Colorectal cancer screening\.$/).waitFor({ timeout: 5_000 });
    await page.close();
  }, 150_000);

  it('with the notification dropped, reconciliation finds the change within one interval and counts the miss', async () => {
    const task = await outreachTask('claude', 'diabetes-glycemic-status', '2026-09-23');
    const { page, app, inProgress, subscription } = await openLive('claude', /^Diabetes/);
    // Two runs after the Task's creation: whatever they had to catch up on is behind us.
    const runs = (await until('a reconciliation run', () => service().inbox.lastReconciliation(), 2 * RECONCILE_MS + 10_000)).serverTime;
    let seen = runs;
    for (let n = 0; n < 2; n++) {
      const before = seen;
      seen = await until('the next reconciliation run', async () => { const at = (await service().inbox.lastReconciliation())?.serverTime; return at !== before && at; }, 2 * RECONCILE_MS + 10_000);
    }
    await addFault({ kind: 'drop', times: 1, subscription });

    const { reference, filedAt } = await simulate(page);
    expect(reference).toMatch(/^Observation\//);
    const miss = await until('the miss logged', () => logLines.find((l) => l['msg'] === MISS && l['resource'] === reference), RECONCILE_MS + 10_000);
    expect(miss).toMatchObject({ patient: 'claude' });
    const [event, ...more] = await eventsFor(reference);
    expect(more).toEqual([]);
    expect(event?.source).toBe('reconcile');
    // Within one interval of the filing (plus the run's own reads on a busy machine).
    const elapsed = (event?.receivedAt ?? Infinity) - filedAt;
    console.info(`reconciliation: dropped notification found ${elapsed} ms after the filing (interval ${RECONCILE_MS} ms)`);
    expect(elapsed).toBeLessThanOrEqual(RECONCILE_MS + 3_000);
    // The metric counts it (at the end of the run): one miss counted per miss logged.
    const counted = async () => Number(/^careloop_workflow_reconciliation_misses_total (\d+)$/m.exec(await (await fetch(`${env.sandbox.auditUrl ?? ''}/api/workflow/metrics`)).text())?.[1]);
    await until('the miss counted', async () => (await counted()) === logLines.filter((l) => l['msg'] === MISS).length, 10_000);
    expect(await counted()).toBeGreaterThanOrEqual(1);

    // Acted on like any event: the Task closed once, and the sidebar updated.
    expect((await processed(reference)).map((e) => e.status)).toEqual(['done']);
    await expectClosedOnce('claude', task, event as InboxEvent);
    await inProgress.waitFor({ state: 'detached', timeout: 15_000 });
    await app.getByText(/^Chart updated at \d{2}:\d{2}\. Gap closed: Diabetes/).waitFor({ timeout: 5_000 });
    await page.close();
  }, 150_000);

  it('with the service stopped while the FIT is filed, it catches up on restart and acts once', async () => {
    const task = await outreachTask('ada', 'colorectal-cancer-screening', '2024-11-23');
    const { page, app, inProgress } = await openLive('ada', /^Colorectal cancer screening/);
    const { recovered, catchUps } = service().receiver.counters;

    await service().stop();
    const { reference } = await simulate(page);
    expect(reference).toMatch(/^Observation\//);
    // The EHR is up and filed it; the service, down, neither took the notification nor acted.
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await eventsFor(reference)).toEqual([]);
    expect(await taskStatus(task.id ?? '')).toBe('requested');

    const restarted = Date.now();
    service().start();
    const events = await processed(reference);
    console.info(`catch-up on restart: the FIT processed ${Date.now() - restarted} ms after the restart`);
    expect(events.map((e) => [e.source, e.status])).toEqual([['catch-up', 'done']]);
    expect(service().receiver.counters.catchUps).toBeGreaterThan(catchUps);
    expect(service().receiver.counters.recovered - recovered).toBeGreaterThanOrEqual(1);
    await expectClosedOnce('ada', task, events[0] as InboxEvent);

    // The sidebar gets there too (its channel reconnects; it polled meanwhile).
    await inProgress.waitFor({ state: 'detached', timeout: 60_000 });
    await app.getByText(/^Chart updated at \d{2}:\d{2}\. Gap closed: Colorectal cancer screening\.$/).waitFor({ timeout: 5_000 });
    await page.close();
  }, 180_000);
});
