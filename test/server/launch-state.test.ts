import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { launchCookieName, launchStateRoutes, MAX_LAUNCH_RECORD_BYTES } from '../../src/server/launch-state.ts';
import { harness } from './support/harness.ts';

const STATE = '6f1c2a7e-3b4d-4e5f-8a9b-0c1d2e3f4a5b';
const OTHER = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const RECORD = { clientId: 'careloop', codeVerifier: 'v'.repeat(43), tokenUri: 'https://ehr.example/token', key: STATE };

let now = 1_000_000;
let app: FastifyInstance;
beforeEach(async () => {
  now = 1_000_000;
  app = Fastify();
  await app.register(launchStateRoutes, { ttlSeconds: 600, maxRecords: 3, now: () => now });
  await app.ready();
});
afterEach(async () => {
  await app.close();
});

function put(state: string, record: unknown = RECORD): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'POST', url: '/api/launch-state', payload: { state, record } });
}
function post(path: 'bound' | 'claim', state: string, cookie?: string): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'POST', url: `/api/launch-state/${path}`, payload: { state }, ...(cookie ? { headers: { cookie } } : {}) });
}
/** The `name=value` pair of the response's cookie, as the browser sends it back. */
function cookieOf(res: LightMyRequestResponse): string {
  const header = res.headers['set-cookie'];
  return String(Array.isArray(header) ? header[0] : header).split(';')[0] ?? '';
}

describe('the launch hand-off for browsers that deny the iframe its storage', () => {
  it('binds the record to the browser with an HttpOnly, Secure, partitioned cookie that script cannot read', async () => {
    const res = await put(STATE);
    expect(res.statusCode).toBe(201);
    expect(res.headers['cache-control']).toBe('no-store');
    const cookie = String(res.headers['set-cookie']);
    expect(cookie.startsWith(`${launchCookieName(STATE)}=`)).toBe(true);
    expect(cookie).toMatch(/; Path=\/; Max-Age=600; HttpOnly; Secure; SameSite=None; Partitioned$/);
    // The cookie is a random binding, not the record.
    expect(cookie).not.toContain('careloop;');
    expect(cookie).not.toContain(RECORD.codeVerifier);
  });

  it('gives the record back once, to the browser holding the cookie, and clears the cookie', async () => {
    const cookie = cookieOf(await put(STATE));
    expect((await post('bound', STATE, cookie)).statusCode).toBe(204);
    const claimed = await post('claim', STATE, cookie);
    expect(claimed.statusCode).toBe(200);
    expect(claimed.json()).toEqual({ record: RECORD });
    expect(String(claimed.headers['set-cookie'])).toMatch(/Max-Age=0; HttpOnly; Secure; SameSite=None; Partitioned$/);
    const again = await post('claim', STATE, cookie);
    expect(again.statusCode).toBe(404);
    expect(again.json()).toMatchObject({ error: 'unknown-state' });
  });

  it('refuses whoever knows the state but lacks the cookie, and keeps the launch for its browser', async () => {
    const cookie = cookieOf(await put(STATE));
    expect((await post('claim', STATE)).statusCode).toBe(403);
    expect((await post('claim', STATE, `${launchCookieName(STATE)}=guessed`)).json()).toMatchObject({ error: 'not-bound' });
    expect((await post('bound', STATE)).statusCode).toBe(404);
    expect((await post('claim', STATE, cookie)).json()).toEqual({ record: RECORD });
  });

  it("never lets one launch's cookie open another launch (two patients in one browser)", async () => {
    const first = cookieOf(await put(STATE));
    const second = cookieOf(await put(OTHER, { ...RECORD, key: OTHER }));
    expect((await post('claim', OTHER, first)).statusCode).toBe(403);
    expect((await post('claim', STATE, `${first}; ${second}`)).json()).toEqual({ record: RECORD });
    expect((await post('claim', OTHER, `${first}; ${second}`)).json()).toEqual({ record: { ...RECORD, key: OTHER } });
  });

  it('never replaces a launch in flight with a second write of its state', async () => {
    const cookie = cookieOf(await put(STATE));
    const replay = await put(STATE, { ...RECORD, codeVerifier: 'attacker' });
    expect(replay.statusCode).toBe(409);
    expect(replay.headers['set-cookie']).toBeUndefined();
    expect((await post('claim', STATE, cookie)).json()).toEqual({ record: RECORD });
  });

  it('forgets a record after its minutes are up', async () => {
    const cookie = cookieOf(await put(STATE));
    now += 600_000;
    expect((await post('claim', STATE, cookie)).statusCode).toBe(404);
  });

  it('keeps at most the configured number of records, dropping the oldest', async () => {
    const ids = ['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222', '33333333-3333-4333-8333-333333333333', '44444444-4444-4444-8444-444444444444'];
    const cookies: string[] = [];
    for (const id of ids) cookies.push(cookieOf(await put(id)));
    expect((await post('claim', ids[0] ?? '', cookies[0])).statusCode).toBe(404);
    expect((await post('claim', ids[3] ?? '', cookies[3])).statusCode).toBe(200);
  });

  it('slows a flood of new records from one address, and not launches from another', async () => {
    const flood = Fastify();
    await flood.register(launchStateRoutes, { rateLimit: { perSecond: 1, burst: 2 }, now: () => now });
    const from = (ip: string, i: number) =>
      flood.inject({ method: 'POST', url: '/api/launch-state', remoteAddress: ip, payload: { state: `00000000-0000-4000-8000-00000000000${i}`, record: RECORD } });
    expect((await from('203.0.113.9', 1)).statusCode).toBe(201);
    expect((await from('203.0.113.9', 2)).statusCode).toBe(201);
    const refused = await from('203.0.113.9', 3);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    expect((await from('198.51.100.7', 4)).statusCode).toBe(201);
    await flood.close();
  });

  it.each([
    ['a state that is not a UUID', { state: 'abc', record: RECORD }],
    ['a record that is not an object', { state: STATE, record: 'x' }],
    ['an unknown field', { state: STATE, record: RECORD, extra: 1 }],
  ])('refuses %s with a clear message and holds nothing', async (_name, payload) => {
    const res = await app.inject({ method: 'POST', url: '/api/launch-state', payload });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'invalid-request' });
    expect(res.headers['set-cookie']).toBeUndefined();
    expect((await post('claim', STATE, `${launchCookieName(STATE)}=x`)).statusCode).toBe(404);
  });

  it('refuses a record larger than the bound', async () => {
    const res = await put(STATE, { pad: 'x'.repeat(MAX_LAUNCH_RECORD_BYTES) });
    expect(res.statusCode).toBe(413);
    expect((await post('claim', STATE, `${launchCookieName(STATE)}=x`)).statusCode).toBe(404);
  });
});

describe('the audit server', () => {
  it('serves the launch hand-off on its origin, next to the app', async () => {
    const h = await harness();
    try {
      const res = await h.app.inject({ method: 'POST', url: '/api/launch-state', payload: { state: STATE, record: RECORD } });
      expect(res.statusCode).toBe(201);
      const claimed = await h.app.inject({ method: 'POST', url: '/api/launch-state/claim', payload: { state: STATE }, headers: { cookie: cookieOf(res) } });
      expect(claimed.json()).toEqual({ record: RECORD });
    } finally {
      await h.close();
    }
  });
});
