import { http, HttpResponse } from 'msw';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAuditClient, type AuditClient, type AuditClientOptions, type Connectivity } from '../../src/audit/audit-client.ts';
import { outboxKey, sessionOutboxStorage } from '../../src/audit/outbox-storage.ts';
import type { AuditEventInput } from '../../src/shared/audit-event.ts';
import { server } from '../msw/server.ts';

/** vi.waitFor's 1 s default is too short when the whole suite loads two cores; a pass is still immediate. */
const WAIT = { timeout: 5000 };

const AUDIT = 'https://audit.careloop.test';
const TOKEN = 'access-token-for-ada';

/** A named failure, or a bare HTTP status to answer with. */
type Mode = 'ok' | 'network-error' | 'http-503' | 'lose-response' | 'http-429' | number;

/**
 * A fake audit server: stores events by id (replays are no-ops, as on the real one) and can be
 * switched into failure modes, one mode per upcoming request.
 */
function fakeAuditServer() {
  const stored = new Map<string, AuditEventInput>();
  const received: string[][] = [];
  const upcoming: Mode[] = [];
  let refuse: string | null = null;
  const tokens: string[] = [];
  server.use(
    http.post(`${AUDIT}/api/audit/events`, async ({ request }) => {
      tokens.push(request.headers.get('authorization') ?? '');
      const body = (await request.json()) as { events: AuditEventInput[] };
      received.push(body.events.map((e) => e.id));
      const mode = upcoming.shift() ?? 'ok';
      if (typeof mode === 'number') return HttpResponse.json({ error: 'status' }, { status: mode });
      if (mode === 'network-error') return HttpResponse.error();
      if (mode === 'http-503') return HttpResponse.json({ error: 'unavailable' }, { status: 503 });
      if (mode === 'http-429') return HttpResponse.json({ error: 'rate-limited' }, { status: 429, headers: { 'retry-after': '1' } });
      if (refuse && body.events.some((e) => e.id === refuse)) return HttpResponse.json({ error: 'invalid-request' }, { status: 400 });
      for (const e of body.events) if (!stored.has(e.id)) stored.set(e.id, e);
      // The events are stored, but the response never arrives.
      if (mode === 'lose-response') return HttpResponse.error();
      return HttpResponse.json({ results: [] }, { status: 201 });
    }),
  );
  return {
    stored,
    received,
    tokens,
    failNext(...modes: Mode[]) {
      upcoming.push(...modes);
    },
    refuseId(id: string) {
      refuse = id;
    },
  };
}

function manualConnectivity(initiallyOnline = true) {
  let online = initiallyOnline;
  const listeners = new Set<() => void>();
  const c: Connectivity & { set(value: boolean): void } = {
    isOnline: () => online,
    subscribe(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    set(value) {
      online = value;
      if (value) for (const l of listeners) l();
    },
  };
  return c;
}

const clients: AuditClient[] = [];
function client(overrides: Partial<AuditClientOptions> = {}): AuditClient {
  const c = createAuditClient({
    baseUrl: AUDIT,
    getAccessToken: async () => TOKEN,
    storage: sessionOutboxStorage('launch-1'),
    appVersion: '0.1.0',
    flushDelayMs: 5,
    backoff: { baseMs: 10, maxMs: 40 },
    connectivity: manualConnectivity(),
    ...overrides,
  });
  clients.push(c);
  return c;
}
afterEach(() => {
  for (const c of clients.splice(0)) c.stop();
});

const cardShown = (n = 0) => ({ patient: 'ada', action: 'card-shown' as const, ruleId: `rule-${n}`, correlationId: crypto.randomUUID() });

describe('the audit client', () => {
  it('delivers recorded events in one batch with the access token and empties the outbox', async () => {
    const fake = fakeAuditServer();
    const audit = client();
    const events = [audit.enqueue(cardShown(1)), audit.enqueue(cardShown(2)), audit.enqueue(cardShown(3))];
    await vi.waitFor(() => expect(fake.stored.size).toBe(3), WAIT);
    expect(fake.received).toEqual([events.map((e) => e.id)]);
    expect(fake.tokens).toEqual([`Bearer ${TOKEN}`]);
    await vi.waitFor(() => expect(audit.getStatus()).toMatchObject({ pending: 0, behind: false }), WAIT);
    expect(sessionStorage.getItem(outboxKey('launch-1'))).toBeNull();
  });

  it('returns at once from record, before the server has answered', async () => {
    fakeAuditServer();
    let release: ((value: string) => void) | null = null;
    const audit = client({ getAccessToken: () => new Promise<string>((r) => (release = r)) });
    const event = audit.enqueue(cardShown());
    expect(event.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(audit.getStatus().pending).toBe(1);
    await vi.waitFor(() => expect(release).not.toBeNull(), WAIT);
    expect(audit.getStatus().pending).toBe(1);
    release!(TOKEN);
    await vi.waitFor(() => expect(audit.getStatus().pending).toBe(0), WAIT);
  });

  it('keeps events while the network fails and delivers each exactly once when it recovers', async () => {
    const fake = fakeAuditServer();
    fake.failNext('network-error', 'network-error', 'network-error');
    const audit = client();
    const seen: Array<{ behind: boolean; lastError: string | null }> = [];
    audit.subscribe(() => seen.push(audit.getStatus()));
    const ids = [audit.enqueue(cardShown(1)).id, audit.enqueue(cardShown(2)).id];
    await vi.waitFor(() => expect(fake.stored.size).toBe(2), { timeout: 3000 });
    expect(seen).toContainEqual(expect.objectContaining({ behind: true, lastError: 'network' }));
    expect([...fake.stored.keys()].sort()).toEqual([...ids].sort());
    expect(fake.received.length).toBe(4);
    await vi.waitFor(() => expect(audit.getStatus()).toMatchObject({ pending: 0, failures: 0, behind: false }), WAIT);
  });

  it('retries after a 5xx, and a response lost after storing does not make a second record', async () => {
    const fake = fakeAuditServer();
    fake.failNext('http-503', 'lose-response', 'http-503');
    const audit = client();
    const id = audit.enqueue(cardShown()).id;
    await vi.waitFor(() => expect(audit.getStatus().pending).toBe(0), { timeout: 3000 });
    expect(fake.received).toEqual([[id], [id], [id], [id]]);
    expect(fake.stored.size).toBe(1);
  });

  it('waits while the browser is offline and sends when it comes back online', async () => {
    const fake = fakeAuditServer();
    const connectivity = manualConnectivity(false);
    const audit = client({ connectivity });
    audit.enqueue(cardShown());
    await vi.waitFor(() => expect(audit.getStatus()).toMatchObject({ behind: true, lastError: 'offline' }), WAIT);
    await new Promise((r) => setTimeout(r, 50));
    expect(fake.received).toEqual([]);
    connectivity.set(true);
    await vi.waitFor(() => expect(fake.stored.size).toBe(1), WAIT);
    await vi.waitFor(() => expect(audit.getStatus().behind).toBe(false), WAIT);
  });

  it('survives a reload: the next page delivers what the last one left, once', async () => {
    const fake = fakeAuditServer();
    fake.failNext('http-503');
    const before = client({ backoff: { baseMs: 60_000, maxMs: 60_000 }, random: () => 1 });
    const ids = [before.enqueue(cardShown(1)).id, before.enqueue(cardShown(2)).id];
    await vi.waitFor(() => expect(before.getStatus().failures).toBe(1), WAIT);
    before.stop(); // the page goes away with events still pending
    expect(sessionStorage.getItem(outboxKey('launch-1'))).toContain(ids[0]);
    expect(localStorage.length).toBe(0);

    const after = client();
    await vi.waitFor(() => expect(fake.stored.size).toBe(2), WAIT);
    expect([...fake.stored.keys()].sort()).toEqual([...ids].sort());
    await vi.waitFor(() => expect(after.getStatus().pending).toBe(0), WAIT);
    expect(sessionStorage.getItem(outboxKey('launch-1'))).toBeNull();
  });

  it('keeps two launches in one tab apart', async () => {
    fakeAuditServer();
    const storageA = sessionOutboxStorage('launch-a');
    const storageB = sessionOutboxStorage('launch-b');
    storageA.save({ pending: [{ id: crypto.randomUUID(), clientTime: new Date().toISOString(), patient: 'ada', action: 'launch', appVersion: '0.1.0' }], rejected: [] });
    expect(storageB.load().pending).toEqual([]);
  });

  it('never writes the access token to storage', async () => {
    const fake = fakeAuditServer();
    fake.failNext('http-503');
    const audit = client({ backoff: { baseMs: 60_000, maxMs: 60_000 } });
    audit.enqueue(cardShown());
    await vi.waitFor(() => expect(audit.getStatus().failures).toBe(1), WAIT);
    expect(sessionStorage.getItem(outboxKey('launch-1'))).not.toContain(TOKEN);
  });

  it('honours Retry-After on 429', async () => {
    const fake = fakeAuditServer();
    fake.failNext('http-429');
    const audit = client();
    audit.enqueue(cardShown());
    await vi.waitFor(() => expect(audit.getStatus().lastError).toBe('http-429'), WAIT);
    const due = audit.getStatus().nextAttemptAt ?? 0;
    expect(due - Date.now()).toBeGreaterThan(800);
  });

  it('sets aside an event the server refuses for good and still delivers the others', async () => {
    const fake = fakeAuditServer();
    const audit = client({ flushDelayMs: 20 });
    const good1 = audit.enqueue(cardShown(1));
    const bad = audit.enqueue(cardShown(2));
    const good2 = audit.enqueue(cardShown(3));
    fake.refuseId(bad.id);
    await vi.waitFor(() => expect(audit.getStatus()).toMatchObject({ pending: 0, rejected: 1 }), { timeout: 3000 });
    expect([...fake.stored.keys()].sort()).toEqual([good1.id, good2.id].sort());
  });

  it.each([
    [401, 'kept for the next token'],
    [403, 'rejected'],
    [404, 'rejected'],
    [409, 'rejected'],
    [412, 'rejected'],
    [408, 'kept'],
    [429, 'kept'],
    [500, 'kept'],
    [502, 'kept'],
    [503, 'kept'],
  ] as const)('an event whose delivery is answered %i once is %s', async (status, fate) => {
    const fake = fakeAuditServer();
    fake.failNext(status);
    const audit = client();
    audit.enqueue(cardShown());
    if (fate === 'rejected') {
      await vi.waitFor(() => expect(audit.getStatus()).toMatchObject({ pending: 0, rejected: 1 }), WAIT);
      expect(fake.stored.size).toBe(0);
    } else {
      await vi.waitFor(() => expect(fake.stored.size).toBe(1), WAIT);
      expect(audit.getStatus()).toMatchObject({ pending: 0, rejected: 0 });
      expect(fake.received).toHaveLength(2);
    }
  });

  it('waits for a token rather than sending a request without one', async () => {
    const fake = fakeAuditServer();
    let token: string | null = null;
    const audit = client({ getAccessToken: async () => token });
    audit.enqueue(cardShown());
    await vi.waitFor(() => expect(audit.getStatus().lastError).toBe('no-token'), WAIT);
    expect(fake.received).toEqual([]);
    token = TOKEN;
    await vi.waitFor(() => expect(fake.stored.size).toBe(1), { timeout: 3000 });
  });

  it('reads a patient’s snoozes and dismissals back', async () => {
    server.use(
      http.get(`${AUDIT}/api/audit/events`, ({ request }) => {
        const url = new URL(request.url);
        expect(url.searchParams.get('patient')).toBe('ada');
        expect(url.searchParams.get('action')).toBe('snoozed,dismissed');
        // Only records Careloop itself wrote (the server checks the verified actor's client id).
        expect(url.searchParams.get('actor')).toBe('careloop');
        return HttpResponse.json({ records: [], nextCursor: null });
      }),
    );
    const audit = client();
    expect(await audit.read({ patient: 'ada', actions: ['snoozed', 'dismissed'] })).toEqual([]);
  });
});
