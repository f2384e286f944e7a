/**
 * The live chart's channel client (src/features/live-updates/live-updates.ts): the server's change
 * stream read with fetch (token in a header), reconnecting with backoff, and polling while it is
 * down — faster after a change, backing off while idle and on failures, honouring Retry-After.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLiveUpdates, type LiveStatus } from '../../../src/features/live-updates/live-updates.ts';

/** A change stream the test writes to, as the server's `text/event-stream` answer. */
function sseStream() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  const encoder = new TextEncoder();
  return {
    response: () => new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8' } }),
    send: (text: string) => controller.enqueue(encoder.encode(text)),
    change: (patient: string, id = 1) => controller.enqueue(encoder.encode(`event: change\nid: ${id}\ndata: ${JSON.stringify({ patient, resource: 'Observation/x', event: id, at: '2026-11-23T10:00:00Z' })}\n\n`)),
    end: () => controller.close(),
  };
}

type FetchCall = { url: string; headers: Headers };

function fakeFetch(answers: Array<() => Response | Promise<Response>>) {
  const calls: FetchCall[] = [];
  const fn = vi.fn(async (input: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(input), headers: new Headers(init?.headers) });
    const next = answers.shift();
    if (!next) return new Promise<Response>(() => undefined);
    return next();
  });
  return { fetch: fn as unknown as typeof fetch, calls };
}

async function until(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const FAST = { pollMs: 40, pollIdleMaxMs: 160, pollErrorMaxMs: 400, reconnectMs: 30, reconnectMaxMs: 60, healthyAfterMs: 10_000 };
let stops: Array<() => void> = [];
afterEach(() => {
  for (const s of stops) s();
  stops = [];
});

function run(options: Parameters<typeof createLiveUpdates>[0]) {
  const statuses: LiveStatus[] = [];
  const live = createLiveUpdates({ ...options, onStatus: (s) => statuses.push(s) });
  stops.push(live.start());
  return { live, statuses };
}

describe('the live channel', () => {
  it('sends the token in Authorization (never in the URL) and reports its patient\'s changes, not another patient\'s', async () => {
    const stream = sseStream();
    const { fetch, calls } = fakeFetch([stream.response]);
    const changes: string[] = [];
    const poll = vi.fn(async () => [] as string[]);
    const { live } = run({ patientId: 'ada', channel: { baseUrl: '', fhirBase: 'https://ehr/fhir', accessToken: async () => 'secret-token', fetch }, poll, onChange: (s) => changes.push(s), timing: FAST });
    await until(() => live.status().kind === 'live');
    expect(calls[0]?.url).toBe('/api/workflow/changes?patient=ada');
    expect(calls[0]?.url).not.toContain('secret-token');
    expect(calls[0]?.headers.get('authorization')).toBe('Bearer secret-token');
    expect(calls[0]?.headers.get('x-fhir-base')).toBe('https://ehr/fhir');
    stream.send(': keep-alive\n\n');
    stream.change('grace');
    stream.change('ada', 2);
    await until(() => changes.length === 1);
    await new Promise((r) => setTimeout(r, 30));
    expect(changes).toEqual(['push']);
    expect(poll).not.toHaveBeenCalled();
  });

  it('reconnects when the stream ends, polling meanwhile and once more when it is back', async () => {
    const first = sseStream();
    const second = sseStream();
    const { fetch, calls } = fakeFetch([first.response, () => new Response('busy', { status: 503 }), second.response]);
    const poll = vi.fn(async () => [] as string[]);
    const { live, statuses } = run({ patientId: 'ada', channel: { baseUrl: 'https://careloop', fhirBase: 'f', accessToken: async () => 't', fetch }, poll, onChange: () => undefined, timing: FAST });
    await until(() => live.status().kind === 'live');
    first.end();
    await until(() => calls.length === 3 && live.status().kind === 'live');
    expect(statuses.map((s) => s.kind).filter((k, i, all) => k !== all[i - 1])).toEqual(['starting', 'live', 'polling', 'live']);
    // Polled at once when the channel went down, and once after it came back.
    expect(poll.mock.calls.length).toBeGreaterThanOrEqual(2);
  });

  it('falls back to polling when the server has no live channel (404), and does not knock again', async () => {
    const { fetch, calls } = fakeFetch([() => new Response('{}', { status: 404 })]);
    const poll = vi.fn(async () => [] as string[]);
    const { live } = run({ patientId: 'ada', channel: { baseUrl: '', fhirBase: 'f', accessToken: async () => 't', fetch }, poll, onChange: () => undefined, timing: FAST });
    await until(() => poll.mock.calls.length >= 2);
    expect(live.status()).toMatchObject({ kind: 'polling', reason: 'channel-down', failing: false });
    await new Promise((r) => setTimeout(r, 150));
    expect(calls).toHaveLength(1);
  });
});

describe('polling while the channel is down', () => {
  it('polls with no channel configured, backing off while nothing changes and coming back after a change', async () => {
    const times: number[] = [];
    let rounds = 0;
    const changes: string[] = [];
    const poll = vi.fn(async () => {
      times.push(Date.now());
      rounds++;
      return rounds === 4 ? ['Observation'] : [];
    });
    const { live } = run({ patientId: 'ada', channel: null, poll, onChange: (s) => changes.push(s), timing: FAST });
    await until(() => rounds >= 6, 5000);
    expect(changes).toEqual(['poll']);
    expect(live.status()).toMatchObject({ kind: 'polling', reason: 'no-channel', failing: false });
    const gaps = times.slice(1).map((t, i) => t - (times[i] ?? 0));
    // 40 ms first, then 80, 160 (capped) while idle; after the change, 40 again.
    expect(gaps[0]).toBeGreaterThanOrEqual(70);
    expect(gaps[1]).toBeGreaterThanOrEqual(150);
    expect(gaps[3]).toBeLessThan(gaps[2] ?? 0);
  });

  it('backs off exponentially on failures and waits at least the server\'s Retry-After', async () => {
    const times: number[] = [];
    const poll = vi.fn(async () => {
      times.push(Date.now());
      if (times.length === 1) throw Object.assign(new Error('429'), { retryAfter: 0.3 });
      if (times.length <= 3) throw new Error('503');
      return [];
    });
    const statuses: LiveStatus[] = [];
    const live = createLiveUpdates({ patientId: 'ada', channel: null, poll, onChange: () => undefined, onStatus: (s) => statuses.push(s), timing: FAST, random: () => 1 });
    stops.push(live.start());
    await until(() => times.length >= 4, 5000);
    const gaps = times.slice(1).map((t, i) => t - (times[i] ?? 0));
    expect(gaps[0]).toBeGreaterThanOrEqual(290); // Retry-After 0.3 s
    expect(gaps[1]).toBeGreaterThanOrEqual(150); // 40 · 2² with full jitter at its top
    expect(gaps[2]).toBeGreaterThanOrEqual(300); // 40 · 2³
    expect(statuses.some((s) => s.kind === 'polling' && s.failing)).toBe(true);
    await until(() => live.status().kind === 'polling' && !(live.status() as { failing: boolean }).failing);
  });

  it('stops everything when stopped', async () => {
    const poll = vi.fn(async () => [] as string[]);
    const live = createLiveUpdates({ patientId: 'ada', channel: null, poll, onChange: () => undefined, timing: FAST });
    const stop = live.start();
    await until(() => poll.mock.calls.length >= 1);
    stop();
    const count = poll.mock.calls.length;
    await new Promise((r) => setTimeout(r, 200));
    expect(poll.mock.calls.length).toBe(count);
    expect(live.status().kind).toBe('stopped');
  });
});
