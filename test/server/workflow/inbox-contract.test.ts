/**
 * The inbox contract, on both stores: the SQLite inbox (embedded default) and the PostgreSQL one
 * with pg-boss (`DATABASE_URL`). Receive twice, act once; stale versions ignored; retries with
 * backoff; dead letters with the reason, and replay; group commit. On PostgreSQL also: two
 * instances receiving the same notifications store and process each event once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { drainInbox, openInbox, PermanentFailure, type InboxEventInput, type InboxHandler, type WorkflowInbox } from '../../../src/server/workflow/inbox.ts';
import { runInboxCommand } from '../../../src/server/workflow/cli.ts';
import { openPgInbox } from '../../../src/server/workflow/pg-inbox.ts';
import { LATENCY_BOUNDS_MS } from '../../../src/server/workflow/status-page.ts';
import { testPostgres, uniqueSchema, type TestPostgres } from '../support/postgres.ts';

const pg: TestPostgres = await testPostgres();
afterAll(() => pg.stop());

interface Store {
  readonly name: 'sqlite' | 'postgres';
  /** A fresh, empty inbox; `shared` opens a second one on the same database. */
  open(options?: { maxAttempts?: number; baseDelayMs?: number; leaseMs?: number }): Promise<{ inbox: WorkflowInbox; shared: () => Promise<WorkflowInbox>; cli: { args: string[]; env: Record<string, string> } }>;
}

const opened: WorkflowInbox[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const i of opened.splice(0)) await i.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const sqlite: Store = {
  name: 'sqlite',
  async open(options = {}) {
    const dir = mkdtempSync(join(tmpdir(), 'careloop-contract-'));
    dirs.push(dir);
    const path = join(dir, 'audit.workflow.sqlite');
    const make = async () => {
      const i = openInbox({ path, baseDelayMs: options.baseDelayMs ?? 50, ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}) });
      opened.push(i);
      return i;
    };
    return { inbox: await make(), shared: make, cli: { args: ['--db', path], env: {} } };
  },
};

const postgres: Store = {
  name: 'postgres',
  async open(options = {}) {
    const schema = uniqueSchema('wf');
    const make = async () => {
      const i = await openPgInbox({
        connectionString: pg.url ?? '',
        schema,
        baseDelayMs: options.baseDelayMs ?? 50,
        maxConnections: 4,
        maintenanceIntervalSeconds: 1,
        ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
        ...(options.leaseMs ? { leaseMs: options.leaseMs } : {}),
      });
      opened.push(i);
      return i;
    };
    return { inbox: await make(), shared: make, cli: { args: ['--schema', schema], env: { DATABASE_URL: pg.url ?? '' } } };
  },
};

function obs(n: number, over: Partial<InboxEventInput> = {}): InboxEventInput {
  return { source: 'rest-hook', subscription: 'Subscription/s1', eventNumber: n, resourceType: 'Observation', resourceId: `fit-${n}`, versionId: '1', lastUpdated: `2026-11-23T12:00:0${n % 10}Z`, patient: 'ada', ...over };
}

/** Drains until `done` holds or 10 s pass (retries wait for their backoff). */
async function drainUntil(inbox: WorkflowInbox, handler: InboxHandler, done: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error('the inbox did not settle in 10 s');
    await drainInbox(inbox, handler);
    await new Promise((r) => setTimeout(r, 20));
  }
}

for (const store of [sqlite, postgres]) {
  describe.skipIf(store.name === 'postgres' && !pg.url)(`the inbox contract on ${store.name}${store.name === 'postgres' && pg.reason ? ` (skipped: ${pg.reason})` : ''}`, () => {
    it('drops a notification delivered three times, and a version already held', async () => {
      const { inbox } = await store.open();
      expect(await inbox.receive([obs(1)])).toEqual(['accepted']);
      expect(await inbox.receive([obs(1)])).toEqual(['duplicate-event']);
      expect((await inbox.intake({ events: [obs(1)] })).outcomes).toEqual(['duplicate-event']);
      expect(await inbox.receive([{ ...obs(1), source: 'poll', subscription: null, eventNumber: null }])).toEqual(['duplicate-version']);
      expect((await inbox.stats()).duplicatesDropped).toBe(3);
      const handled: string[] = [];
      await drainInbox(inbox, async (e) => void handled.push(e.resourceId));
      expect(handled).toEqual(['fit-1']);
    });

    it('ignores a stale version arriving late and processes only the newest of those waiting', async () => {
      const { inbox } = await store.open();
      const v = (n: number, version: string, at: string) => obs(n, { resourceId: 'a1c', versionId: version, lastUpdated: at });
      expect(await inbox.receive([v(2, '2', '2026-11-23T12:00:02Z'), v(3, '3', '2026-11-23T12:00:03+00:00')])).toEqual(['accepted', 'accepted']);
      expect(await inbox.receive([v(1, '1', '2026-11-23T07:00:01-05:00')])).toEqual(['stale']);
      const handled: string[] = [];
      await drainInbox(inbox, async (e) => void handled.push(e.versionId ?? ''));
      expect(handled).toEqual(['3']);
      expect(await inbox.stats()).toMatchObject({ done: 1, stale: 1, superseded: 1 });
      expect(await inbox.knows('Observation', 'a1c', '2', null)).toBe(true);
      expect(await inbox.knows('Observation', 'a1c', null, '2026-11-23T12:00:04Z')).toBe(false);
    });

    it('retries a failure with backoff, parks it with the reason when attempts run out, and replays it', async () => {
      const { inbox, cli } = await store.open({ maxAttempts: 3, baseDelayMs: 100 });
      await inbox.receive([obs(1)]);
      let failing = true;
      const attempts: number[] = [];
      const handler: InboxHandler = async (e) => {
        attempts.push(Date.now());
        if (failing) throw new Error(`EHR answered 503 for ${e.resourceId}`);
      };
      expect(await drainInbox(inbox, handler)).toEqual({ done: 0, retried: 1, dead: 0 });
      // Not due before its backoff.
      expect(await drainInbox(inbox, handler)).toEqual({ done: 0, retried: 0, dead: 0 });
      await drainUntil(inbox, handler, async () => (await inbox.deadLetters()).length === 1);
      expect(attempts).toHaveLength(3);
      expect((attempts[1] ?? 0) - (attempts[0] ?? 0)).toBeGreaterThanOrEqual(90);
      expect((attempts[2] ?? 0) - (attempts[1] ?? 0)).toBeGreaterThanOrEqual(190);
      const [letter] = await inbox.deadLetters();
      expect(letter).toMatchObject({ reason: 'Error: EHR answered 503 for fit-1', attempts: 3 });
      expect((await inbox.stats()).dead).toBe(1);

      failing = false;
      const lines: string[] = [];
      expect(await runInboxCommand(['dead-letters', ...cli.args], (l) => lines.push(l), cli.env)).toBe(0);
      expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ id: letter?.id, resource: 'Observation/fit-1', eventNumber: 1, reason: 'Error: EHR answered 503 for fit-1' });
      expect(await runInboxCommand(['replay', '--id', String(letter?.id ?? 0), ...cli.args], (l) => lines.push(l), cli.env)).toBe(0);
      expect(JSON.parse(lines.at(-1) ?? '{}')).toEqual({ replayed: 1 });
      expect(await inbox.deadLetters()).toEqual([]);
      await drainUntil(inbox, handler, async () => (await inbox.stats()).done === 1);
      expect(attempts).toHaveLength(4);
    });

    it('parks a permanent failure at once', async () => {
      const { inbox } = await store.open();
      await inbox.receive([obs(1)]);
      expect(await drainInbox(inbox, async () => Promise.reject(new PermanentFailure('Observation has no patient')))).toEqual({ done: 0, retried: 0, dead: 1 });
      expect((await inbox.deadLetters()).map((d) => d.reason)).toEqual(['PermanentFailure: Observation has no patient']);
    });

    it('commits concurrent notifications together and answers each after its commit; a bad one fails alone', async () => {
      const { inbox } = await store.open();
      const results = await Promise.allSettled([
        ...Array.from({ length: 40 }, (_, i) => inbox.intake({ events: [obs(i + 1, { resourceId: `obs-${i + 1}` })], contact: { subscription: 'Subscription/s1', eventsSinceStart: i + 1 }, gapCheck: true })),
        inbox.intake({ events: [obs(99, { resourceId: '../etc/passwd' })] }),
        inbox.intake({ events: [obs(1, { resourceId: 'obs-1' })] }),
      ]);
      expect(results.slice(0, 40).map((r) => (r.status === 'fulfilled' ? r.value.outcomes : r.reason))).toEqual(Array.from({ length: 40 }, () => ['accepted']));
      expect(results[40]).toMatchObject({ status: 'rejected', reason: expect.objectContaining({ message: expect.stringMatching(/event 0 is not valid/) }) });
      expect(results[41]).toMatchObject({ status: 'fulfilled', value: { outcomes: ['duplicate-event'] } });
      expect(results.slice(0, 40).every((r) => r.status === 'fulfilled' && !r.value.gap)).toBe(true);
      const group = inbox.group.counters;
      expect(group.items).toBe(41);
      expect(group.batches).toBeLessThan(5);
      expect((await inbox.stats()).pending).toBe(40);
      expect((await inbox.subscriptionStates()).map((s) => [s.subscription, s.eventsSinceStart])).toEqual([['Subscription/s1', 40]]);
      // Event 41 announced, never received: a gap.
      expect((await inbox.intake({ events: [obs(42, { resourceId: 'obs-42' })], contact: { subscription: 'Subscription/s1', eventsSinceStart: 42 }, gapCheck: true })).gap).toBe(true);
      expect(await inbox.missingEventNumbers('Subscription/s1')).toEqual([41]);
    });

    it('keeps a per-minute history of depth and latency that every instance shares', async () => {
      const { inbox, shared } = await store.open();
      const other = await shared();
      const minute = Math.floor(Date.now() / 60_000) * 60_000;
      await inbox.receive([obs(1), obs(2)]);
      await inbox.recordDepth(minute + 1000, 2);
      await other.recordDepth(minute + 2000, 5);
      await inbox.recordDepth(minute + 3000, 1);
      await drainInbox(inbox, async () => undefined);
      const history = await other.history(minute - 60_000, LATENCY_BOUNDS_MS);
      expect(history.depth).toEqual([{ minute, depth: 5 }]);
      expect(history.latency.reduce((n, l) => n + l.count, 0)).toBe(2);
      expect(history.latency.every((l) => l.minute >= minute && l.maxMs >= 0 && l.bucket >= 0 && l.bucket < LATENCY_BOUNDS_MS.length)).toBe(true);
      expect((await other.history(Date.now() + 120_000, LATENCY_BOUNDS_MS)).latency).toEqual([]);
    });

    it('keeps the first notification secret offered, for every instance on it', async () => {
      const { inbox: a, shared } = await store.open();
      const b = await shared();
      expect(await a.sharedSecret('first-secret')).toBe('first-secret');
      expect(await b.sharedSecret('second-secret')).toBe('first-secret');
      expect(await a.sharedSecret('third-secret')).toBe('first-secret');
    });

    it('gives the loops lease to one holder at a time: renewed by it, free once it runs out or is given up', async () => {
      const { inbox: a, shared } = await store.open();
      const b = await shared();
      expect(await a.leader()).toBeNull();
      expect(await a.lead('instance-a', 60_000)).toBe(true);
      expect(await b.lead('instance-b', 60_000)).toBe(false);
      // Its holder renews it (here shortening it); nobody else may give it up.
      expect(await a.lead('instance-a', 300)).toBe(true);
      await b.resign('instance-b');
      expect((await b.leader())?.holder).toBe('instance-a');
      expect(await b.lead('instance-b', 60_000)).toBe(false);
      await new Promise((r) => setTimeout(r, 350));
      expect(await b.leader()).toBeNull();
      // Two contenders at once once it ran out: exactly one wins.
      const won = await Promise.all([a.lead('instance-a', 60_000), b.lead('instance-b', 60_000)]);
      expect(won.filter(Boolean)).toHaveLength(1);
      const holder = won[0] ? 'instance-a' : 'instance-b';
      expect((await a.leader())?.holder).toBe(holder);
      await b.resign(holder);
      expect(await a.leader()).toBeNull();
      expect(await a.lead('instance-c', 60_000)).toBe(true);
    });

    it.runIf(store.name === 'postgres')('processes an event once on the other instance when the one that claimed it dies', async () => {
      const { inbox: a, shared } = await store.open({ leaseMs: 1000 });
      const b = await shared();
      await a.receive([obs(1)]);
      const [claimed] = await a.claim();
      expect(claimed?.resourceId).toBe('fit-1');
      // A dies with the event claimed: nothing for B while A's lease holds.
      await a.close();
      const handled: string[] = [];
      expect(await drainInbox(b, async (e) => void handled.push(e.resourceId))).toEqual({ done: 0, retried: 0, dead: 0 });
      await drainUntil(b, async (e) => void handled.push(e.resourceId), async () => (await b.stats()).done === 1);
      expect(handled).toEqual(['fit-1']);
    }, 30_000);

    it.runIf(store.name === 'postgres')('stores and processes each event once when two instances receive the same notifications', async () => {
      const { inbox: a, shared } = await store.open();
      const b = await shared();
      const events = Array.from({ length: 60 }, (_, i) => obs(i + 1, { resourceId: `obs-${i + 1}` }));
      // Every notification to both instances, at the same time, in opposite orders.
      const outcomes = (
        await Promise.all([...events.map((e) => a.intake({ events: [e] })), ...[...events].reverse().map((e) => b.intake({ events: [e] }))])
      ).flatMap((r) => r.outcomes);
      expect(outcomes.filter((o) => o === 'accepted')).toHaveLength(60);
      expect(outcomes.filter((o) => o === 'duplicate-event')).toHaveLength(60);
      const handled: Array<[string, string]> = [];
      const by = (who: string): InboxHandler => async (e) => {
        handled.push([who, e.resourceId]);
        await new Promise((r) => setTimeout(r, 2));
      };
      await Promise.all([drainInbox(a, by('a'), 5), drainInbox(b, by('b'), 5)]);
      await drainUntil(a, by('a'), async () => (await a.stats()).done === 60);
      expect(handled).toHaveLength(60);
      expect(new Set(handled.map(([, id]) => id)).size).toBe(60);
      expect(new Set(handled.map(([who]) => who))).toEqual(new Set(['a', 'b']));
      expect(await b.stats()).toMatchObject({ pending: 0, processing: 0, done: 60, duplicatesDropped: 60 });
    });
  });
}
