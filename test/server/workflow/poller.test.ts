import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ehr } from '../../../src/sandbox/index.ts';
import { openInbox, type Inbox } from '../../../src/server/workflow/inbox.ts';
import { Poller, retryAfterMs, type PollPage } from '../../../src/server/workflow/poller.ts';
import { adminToken, bearer, FHIR, testEhr } from '../../sandbox/support.ts';

let ehr: Ehr;
let inbox: Inbox;
let dir: string;
let token: string;
let now = Date.UTC(2026, 11, 1, 12);
let poller: Poller;

beforeAll(async () => {
  ehr = await testEhr();
  dir = mkdtempSync(join(tmpdir(), 'careloop-poll-'));
  inbox = openInbox({ path: join(dir, 'audit.workflow.sqlite') });
  token = await adminToken(ehr, 'user/*.cruds');
  poller = new Poller({ inbox, get, types: ['Observation'], pageSize: 2, now: () => now });
});
afterAll(async () => {
  inbox.close();
  await ehr.app.close();
  rmSync(dir, { recursive: true, force: true });
});

const requests: string[] = [];
async function get(pathOrUrl: string): Promise<PollPage> {
  const url = pathOrUrl.startsWith('http') ? pathOrUrl.slice(FHIR.length) : `/${pathOrUrl}`;
  requests.push(url);
  const res = await ehr.app.inject({ method: 'GET', url: `/fhir${url}`, headers: bearer(token) });
  const header = (k: string) => (typeof res.headers[k] === 'string' ? (res.headers[k] as string) : null);
  return { status: res.statusCode, body: res.json() as unknown, retryAfter: header('retry-after'), date: header('date') };
}

async function fit(patient: string) {
  const res = await ehr.app.inject({
    method: 'POST',
    url: '/fhir/Observation',
    headers: { ...bearer(token), 'content-type': 'application/fhir+json' },
    payload: { resourceType: 'Observation', status: 'final', code: { text: 'FIT' }, subject: { reference: `Patient/${patient}` } },
  });
  return (res.json() as { id: string }).id;
}

describe('polling with a server-issued _lastUpdated watermark', () => {
  it('sets the watermark on the first poll, then reads only what changed, across pages, into the inbox', async () => {
    expect(await poller.pollOnce()).toEqual({ kind: 'polled', received: 0, accepted: 0 });
    const mark = inbox.watermark('Observation');
    expect(mark).not.toBeNull();
    const ids = [await fit('ada'), await fit('grace'), await fit('ada')];
    requests.length = 0;
    expect(await poller.pollOnce()).toEqual({ kind: 'polled', received: 3, accepted: 3 });
    expect(requests[0]).toBe(`/Observation?_lastUpdated=gt${encodeURIComponent(mark ?? '')}&_count=2`);
    expect(requests).toHaveLength(2); // two pages
    const polled = inbox.events().filter((e) => e.source === 'poll');
    expect(polled.map((e) => e.resourceId).sort()).toEqual([...ids].sort());
    expect(polled.find((e) => e.resourceId === ids[1])?.patient).toBe('grace');
    expect(Date.parse(inbox.watermark('Observation') ?? '')).toBeGreaterThan(Date.parse(mark ?? ''));
  });

  it('reads the overlap window again and the inbox drops those versions', async () => {
    const r = await poller.pollOnce();
    expect(r).toMatchObject({ kind: 'polled', accepted: 0 });
    expect(inbox.stats().duplicatesDropped).toBeGreaterThanOrEqual(3);
  });

  it('backs off on 429 honouring Retry-After, and exponentially on 5xx', async () => {
    await ehr.app.inject({ method: 'POST', url: '/_admin/faults', payload: { method: 'GET', path: '/fhir/Observation', status: 429, retryAfterSeconds: 7, times: 1 } });
    expect(await poller.pollOnce()).toEqual({ kind: 'failed', status: 429, retryAt: now + 7000 });
    expect(await poller.pollOnce()).toEqual({ kind: 'backing-off', until: now + 7000 });
    now += 7000;
    await ehr.app.inject({ method: 'POST', url: '/_admin/faults', payload: { method: 'GET', path: '/fhir/Observation', status: 500, times: 1 } });
    expect(await poller.pollOnce()).toEqual({ kind: 'failed', status: 500, retryAt: now + 2000 }); // second failure in a row: 2 s
    now += 2000;
    expect((await poller.pollOnce()).kind).toBe('polled');
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(retryAfterMs('3', 0)).toBe(3000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(retryAfterMs('soon', 0)).toBeNull();
  });
});
