import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runInboxCommand } from '../../../src/server/workflow/cli.ts';
import { drainInbox, openInbox, PermanentFailure, workflowDbPathFor, type Inbox, type InboxEventInput } from '../../../src/server/workflow/inbox.ts';

let dir: string;
let now = Date.UTC(2026, 10, 23, 12);
const clock = () => now;
const open: Inbox[] = [];
function inboxAt(path = join(dir, 'audit.workflow.sqlite'), options: { maxAttempts?: number; leaseMs?: number } = {}): Inbox {
  const inbox = openInbox({ path, now: clock, baseDelayMs: 1000, maxDelayMs: 60_000, ...options });
  open.push(inbox);
  return inbox;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'careloop-inbox-'));
  now = Date.UTC(2026, 10, 23, 12);
});
afterEach(() => {
  for (const i of open.splice(0)) if (i.db.open) i.close();
  rmSync(dir, { recursive: true, force: true });
});

function obs(n: number, over: Partial<InboxEventInput> = {}): InboxEventInput {
  return { source: 'rest-hook', subscription: 'Subscription/s1', eventNumber: n, resourceType: 'Observation', resourceId: `fit-${n}`, versionId: '1', lastUpdated: `2026-11-23T12:00:0${n % 10}Z`, patient: 'ada', ...over };
}

describe('the durable inbox', () => {
  it('keeps its file beside the audit database', () => {
    expect(workflowDbPathFor('.data/audit.sqlite')).toBe('.data/audit.workflow.sqlite');
    expect(workflowDbPathFor('/var/lib/careloop/audit')).toBe('/var/lib/careloop/audit.workflow.sqlite');
    expect(workflowDbPathFor(':memory:')).toBe(':memory:');
  });

  it('drops a notification delivered three times by its (subscription, event number)', async () => {
    const inbox = inboxAt();
    expect(inbox.receive([obs(1)])).toEqual(['accepted']);
    expect(inbox.receive([obs(1)])).toEqual(['duplicate-event']);
    expect(inbox.receive([obs(1, { versionId: null, lastUpdated: null })])).toEqual(['duplicate-event']);
    const handled: number[] = [];
    await drainInbox(inbox, async (e) => void handled.push(e.eventNumber ?? -1));
    expect(handled).toEqual([1]);
    expect(inbox.stats()).toMatchObject({ done: 1, duplicatesDropped: 2 });
  });

  it('drops the same resource version arriving from another source (catch-up, polling)', () => {
    const inbox = inboxAt();
    inbox.receive([obs(1)]);
    expect(inbox.receive([{ ...obs(1), source: 'poll', subscription: null, eventNumber: null }])).toEqual(['duplicate-version']);
    expect(inbox.receive([{ ...obs(1), subscription: 'Subscription/other', eventNumber: 9 }])).toEqual(['duplicate-version']);
  });

  it('ignores a stale version that arrives after a newer one, and lets the newest supersede waiting ones', async () => {
    const inbox = inboxAt();
    const v = (n: number, version: string, at: string) => obs(n, { resourceId: 'fit-a', versionId: version, lastUpdated: at });
    // v2 then v3 arrive, then v1 late (reordered)
    expect(inbox.receive([v(2, '2', '2026-11-23T12:00:02Z'), v(3, '3', '2026-11-23T12:00:03+00:00')])).toEqual(['accepted', 'accepted']);
    expect(inbox.receive([v(1, '1', '2026-11-23T07:00:01-05:00')])).toEqual(['stale']);
    const handled: string[] = [];
    await drainInbox(inbox, async (e) => void handled.push(e.versionId ?? ''));
    expect(handled).toEqual(['3']);
    expect(inbox.stats()).toMatchObject({ done: 1, stale: 1, superseded: 1 });
  });

  it('processes events that arrived out of order, each once', async () => {
    const inbox = inboxAt();
    inbox.receive([obs(3), obs(1)]);
    inbox.receive([obs(2), obs(3)]);
    const handled: number[] = [];
    await drainInbox(inbox, async (e) => void handled.push(e.eventNumber ?? -1));
    expect(handled.sort()).toEqual([1, 2, 3]);
    expect([...inbox.seenEventNumbers('Subscription/s1', 1, 5)].sort()).toEqual([1, 2, 3]);
  });

  it('stores nothing from a batch with a malformed event', () => {
    const inbox = inboxAt();
    expect(() => inbox.receive([obs(1), obs(2, { resourceId: '../etc/passwd' })])).toThrow(/event 1 is not valid/);
    expect(inbox.events()).toHaveLength(0);
    expect(inbox.receive([obs(1)])).toEqual(['accepted']);
  });

  it('retries a failure with exponential backoff, parks it with the reason, and replays it', async () => {
    const inbox = inboxAt(undefined, { maxAttempts: 3 });
    inbox.receive([obs(1)]);
    const failing = async () => {
      throw new Error('FHIR server answered 503');
    };
    expect(await drainInbox(inbox, failing)).toEqual({ done: 0, retried: 1, dead: 0 });
    expect(await drainInbox(inbox, failing)).toEqual({ done: 0, retried: 0, dead: 0 }); // not due yet
    now += 999;
    expect((await drainInbox(inbox, failing)).retried).toBe(0);
    now += 1; // 1 s after the first failure
    expect(await drainInbox(inbox, failing)).toEqual({ done: 0, retried: 1, dead: 0 });
    now += 1999;
    expect((await drainInbox(inbox, failing)).retried).toBe(0);
    now += 1; // 2 s after the second
    expect(await drainInbox(inbox, failing)).toEqual({ done: 0, retried: 0, dead: 1 });
    expect(inbox.deadLetters()).toEqual([expect.objectContaining({ reason: 'Error: FHIR server answered 503', attempts: 3 })]);
    expect(inbox.stats().dead).toBe(1);

    const lines: string[] = [];
    inbox.close();
    const db = join(dir, 'audit.workflow.sqlite');
    expect(await runInboxCommand(['dead-letters', '--db', db], (l) => lines.push(l))).toBe(0);
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ resource: 'Observation/fit-1', eventNumber: 1, reason: 'Error: FHIR server answered 503' });
    expect(await runInboxCommand(['replay', '--db', db], (l) => lines.push(l))).toBe(2);
    expect(await runInboxCommand(['replay', '--db', db, '--all'], (l) => lines.push(l))).toBe(0);
    expect(JSON.parse(lines.at(-1) ?? '{}')).toEqual({ replayed: 1 });

    now = Date.now() + 1; // the command ran on the wall clock
    const again = inboxAt(db);
    expect(again.deadLetters()).toEqual([]);
    expect(await drainInbox(again, async () => undefined)).toEqual({ done: 1, retried: 0, dead: 0 });
  });

  it('parks a permanent failure at once', async () => {
    const inbox = inboxAt();
    inbox.receive([obs(1)]);
    expect(await drainInbox(inbox, async () => Promise.reject(new PermanentFailure('the resource is gone')))).toEqual({ done: 0, retried: 0, dead: 1 });
    const [letter] = inbox.deadLetters();
    expect(letter?.reason).toBe('PermanentFailure: the resource is gone');
    expect(inbox.replay({ deadLetterId: letter?.id ?? 0 })).toBe(1);
    expect(inbox.events('pending')).toHaveLength(1);
  });

  it('keeps what was received when the process dies before processing (reopened database)', async () => {
    const path = join(dir, 'audit.workflow.sqlite');
    const first = inboxAt(path, { leaseMs: 30_000 });
    first.receive([obs(1), obs(2)]);
    expect(first.claim(1)).toHaveLength(1); // event 1 claimed, then the "crash"
    first.close();
    const second = inboxAt(path, { leaseMs: 30_000 });
    const handled: number[] = [];
    await drainInbox(second, async (e) => void handled.push(e.eventNumber ?? -1));
    expect(handled).toEqual([2]); // 1 is still leased by the dead process
    now += 30_001;
    await drainInbox(second, async (e) => void handled.push(e.eventNumber ?? -1));
    expect(handled).toEqual([2, 1]);
    expect(second.receive([obs(1), obs(2)])).toEqual(['duplicate-event', 'duplicate-event']);
  });

  it.each(['receive', 'claim'])('survives kill -9 after %s: every event processed exactly once after restart', async (stage) => {
    const path = join(dir, 'audit.workflow.sqlite');
    const child = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'inbox-crash-child.ts'), path, stage], { encoding: 'utf8', timeout: 60_000 });
    expect(child.signal).toBe('SIGKILL');
    expect(child.stdout).toContain('received');
    now = Date.now() + 2_000; // past the child's 1 s lease
    const inbox = inboxAt(path);
    const handled: string[] = [];
    await drainInbox(inbox, async (e) => void handled.push(e.resourceId));
    expect(handled.sort()).toEqual(['obs-1', 'obs-2', 'obs-3']);
    await drainInbox(inbox, async (e) => void handled.push(e.resourceId));
    expect(handled).toHaveLength(3);
  }, 90_000);

  it('hands each event to exactly one of two processes draining the same file', async () => {
    const path = join(dir, 'audit.workflow.sqlite');
    const inbox = inboxAt(path);
    inbox.receive(Array.from({ length: 200 }, (_, i) => obs(i + 1, { resourceId: `obs-${i + 1}`, lastUpdated: null })));
    inbox.close();
    const run = () =>
      new Promise<number[]>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'inbox-drain-child.ts'), path], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.on('error', reject);
        child.on('exit', (code) => (code === 0 ? resolve(out.split('\n').filter(Boolean).map(Number)) : reject(new Error(`child exited ${code}`))));
      });
    const [a, b] = await Promise.all([run(), run()]);
    const all = [...(a ?? []), ...(b ?? [])];
    expect(all).toHaveLength(200);
    expect(new Set(all).size).toBe(200);
    expect(inboxAt(path).stats()).toMatchObject({ done: 200, pending: 0, processing: 0 });
  }, 90_000);
});
