/**
 * One instance at a time runs the loops that ask the EHR for all instances — polling,
 * reconciliation and heartbeat checks — under a lease in the shared inbox: two services on one
 * inbox poll from one of them only, the metrics and the status page say which, and when the
 * leader stops the other takes over and polls.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { WorkflowService } from '../../../src/server/workflow/service.ts';

const FHIR = 'http://127.0.0.1:4000/fhir';
const TOKEN = 'http://127.0.0.1:4000/auth/token';
const opened: WorkflowService[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The EHR as the services see it: a token, and empty search pages; each GET is noted under the service that sent it. */
function fakeEhr(gets: Map<string, number>, name: string): typeof fetch {
  return (async (input: string | URL | Request) => {
    const url = String(input instanceof Request ? input.url : input);
    if (url === TOKEN) return Response.json({ access_token: `token-${name}`, token_type: 'Bearer', expires_in: 300, scope: 'system/*.rs' });
    gets.set(name, (gets.get(name) ?? 0) + 1);
    return Response.json({ resourceType: 'Bundle', type: 'searchset', entry: [] }, { headers: { date: new Date().toUTCString() } });
  }) as typeof fetch;
}

async function twoServices(gets: Map<string, number>) {
  const dir = mkdtempSync(join(tmpdir(), 'careloop-lease-'));
  dirs.push(dir);
  const { privateKey } = await generateKeyPair('ES384');
  const make = (name: string) => {
    const s = new WorkflowService({
      fhirBase: FHIR,
      backend: { tokenEndpoint: TOKEN, clientId: 'careloop-workflow', privateKey, kid: 'k1', alg: 'ES384', scope: 'system/*.rs' },
      inbox: join(dir, 'audit.workflow.sqlite'),
      publicUrl: 'http://127.0.0.1:8080',
      fetch: fakeEhr(gets, name),
      poll: { types: ['Observation'] },
    });
    opened.push(s);
    return s;
  };
  return { a: make('a'), b: make('b') };
}

const TIMING = { drainMs: 50, pollMs: 25, leaseMs: 300, heartbeatCheckMs: 1_000_000, reconcileMs: 1_000_000 } as const;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(10);
  }
}

describe('the loops lease', () => {
  it('lets one of two instances on one inbox poll the EHR, and says which in the metrics and on the status page', async () => {
    const gets = new Map<string, number>();
    const { a, b } = await twoServices(gets);
    a.start(TIMING);
    b.start(TIMING);
    await until(() => (gets.get('a') ?? 0) + (gets.get('b') ?? 0) >= 5);
    await sleep(200);
    expect([a.isLeading, b.isLeading].filter(Boolean)).toHaveLength(1);
    const [leader, other] = a.isLeading ? ['a', 'b'] : ['b', 'a'];
    expect(gets.get(leader)).toBeGreaterThanOrEqual(5);
    expect(gets.get(other) ?? 0).toBe(0);
    const [leading, waiting] = a.isLeading ? [a, b] : [b, a];
    expect(await leading.metricsText()).toMatch(/^careloop_workflow_leader 1$/m);
    expect(await waiting.metricsText()).toMatch(/^careloop_workflow_leader 0$/m);
    expect(await leading.statusPage()).toMatch(/run by this instance\./);
    expect(await waiting.statusPage()).toMatch(/run by another instance\./);
  });

  it('hands the loops to the other instance when the leader stops, without waiting for the lease to run out', async () => {
    const gets = new Map<string, number>();
    const { a, b } = await twoServices(gets);
    // A 3 s lease, renewed every second: a stop that gave it up is seen at b's next renewal (≤ 1 s);
    // one that did not would leave b waiting up to 3 s.
    const timing = { ...TIMING, leaseMs: 3_000 };
    a.start(timing);
    await until(() => a.isLeading && (gets.get('a') ?? 0) > 0);
    b.start(timing);
    await sleep(100);
    expect(b.isLeading).toBe(false);
    await a.stop();
    const stoppedAt = Date.now();
    await until(() => b.isLeading && (gets.get('b') ?? 0) > 0, 3_000);
    expect(Date.now() - stoppedAt).toBeLessThan(1_800);
    expect(a.isLeading).toBe(false);
  });

  it('takes over from an instance that went away without giving the lease up, once its lease runs out', async () => {
    const gets = new Map<string, number>();
    const { a, b } = await twoServices(gets);
    a.start(TIMING);
    await until(() => a.isLeading);
    b.start(TIMING);
    await sleep(50);
    expect(b.isLeading).toBe(false);
    // a's process freezes: its loops stop without a word to the inbox.
    (a as unknown as { timers: NodeJS.Timeout[] }).timers.forEach((t) => clearInterval(t));
    const polledByA = gets.get('a') ?? 0;
    await until(() => b.isLeading && (gets.get('b') ?? 0) > 0, 3_000);
    expect(gets.get('a') ?? 0).toBe(polledByA);
  });
});
