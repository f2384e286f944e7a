import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ehr } from '../../../src/sandbox/index.ts';
import { openInbox, type Inbox } from '../../../src/server/workflow/inbox.ts';
import type { PollPage } from '../../../src/server/workflow/poller.ts';
import { Reconciler } from '../../../src/server/workflow/reconciler.ts';
import { adminToken, bearer, FHIR, testEhr } from '../../sandbox/support.ts';

const IDS = 'https://careloop.example/fhir/identifier/care-gap-action';
let ehr: Ehr;
let inbox: Inbox;
let dir: string;
let token: string;
let reconciler: Reconciler;
const logs: Array<Record<string, unknown>> = [];

async function get(pathOrUrl: string): Promise<PollPage> {
  const url = pathOrUrl.startsWith('http') ? pathOrUrl.slice(FHIR.length) : `/${pathOrUrl}`;
  const res = await ehr.app.inject({ method: 'GET', url: `/fhir${url}`, headers: bearer(token) });
  return { status: res.statusCode, body: res.json() as unknown, retryAfter: null, date: null };
}

beforeAll(async () => {
  ehr = await testEhr();
  dir = mkdtempSync(join(tmpdir(), 'careloop-reconcile-'));
  inbox = openInbox({ path: join(dir, 'audit.workflow.sqlite') });
  token = await adminToken(ehr, 'user/*.cruds');
  reconciler = new Reconciler({ inbox, get, types: ['Observation', 'Procedure', 'Task'], identifierSystem: IDS, log: (l) => logs.push(l) });
});
afterAll(async () => {
  inbox.close();
  await ehr.app.close();
  rmSync(dir, { recursive: true, force: true });
});

async function create(resource: Record<string, unknown>): Promise<{ id: string; meta: { versionId: string; lastUpdated: string } }> {
  const res = await ehr.app.inject({ method: 'POST', url: `/fhir/${String(resource['resourceType'])}`, headers: { ...bearer(token), 'content-type': 'application/fhir+json' }, payload: JSON.stringify(resource) });
  expect(res.statusCode).toBe(201);
  return res.json() as { id: string; meta: { versionId: string; lastUpdated: string } };
}
const fit = (patient: string) => ({ resourceType: 'Observation', status: 'final', code: { text: 'FIT' }, subject: { reference: `Patient/${patient}` } });

describe('reconciliation', () => {
  it('finds a change the events missed for a patient with open Careloop work, logs it and puts it in the inbox', async () => {
    const task = await create({ resourceType: 'Task', identifier: [{ system: IDS, value: 'colorectal-cancer-screening:ada:2026-01-01' }], status: 'requested', intent: 'plan', for: { reference: 'Patient/ada' } });
    const first = await reconciler.run();
    expect(first).toMatchObject({ missed: 1, checked: 1 }); // the Task itself was never notified
    const obs = await create(fit('ada'));
    await create(fit('grace')); // no open work, no recent change: not watched
    logs.length = 0;
    const second = await reconciler.run();
    expect(second.missed).toBe(1);
    expect(logs).toEqual([expect.objectContaining({ msg: 'reconciliation found a change the events missed', resource: `Observation/${obs.id}`, patient: 'ada' })]);
    expect(inbox.events().filter((e) => e.source === 'reconcile').map((e) => e.resourceId).sort()).toEqual([obs.id, task.id].sort());
    expect(reconciler.missedTotal).toBe(2);
  });

  it('counts nothing when the events had it, and reads only what changed', async () => {
    const obs = await create(fit('ada'));
    inbox.receive([{ source: 'rest-hook', subscription: 'Subscription/x', eventNumber: 1, resourceType: 'Observation', resourceId: obs.id, versionId: obs.meta.versionId, lastUpdated: obs.meta.lastUpdated, patient: 'ada' }]);
    const run = await reconciler.run();
    expect(run.missed).toBe(0);
    expect(run.requests).toBe(4); // open Tasks + one incremental search per type
    const quiet = await reconciler.run();
    expect(quiet.missed).toBe(0);
  });
});
