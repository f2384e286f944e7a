/**
 * The launch in a browser that denies the EHR's cross-site iframe all storage (Chromium's default
 * "block third-party cookies": sessionStorage throws SecurityError). launch.html hands the launch
 * record to Careloop's real launch-state routes (fastify, through msw), and index.html claims it.
 */
import { render, screen } from '@testing-library/react';
import Fastify, { type FastifyInstance } from 'fastify';
import { http, HttpResponse } from 'msw';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppShell } from '../../src/app/app-shell';
import { bootIndex, bootLaunch } from '../../src/app/boot';
import { launchStateRoutes } from '../../src/server/launch-state';
import { ada, ben } from '../fixtures/charts';
import { APP_ORIGIN, FakeEhr } from '../msw/fake-ehr';
import { server } from '../msw/server';
import { denyBrowserStorage } from '../support/deny-storage';

function go(path: string): Location {
  window.history.replaceState({}, '', path);
  return window.location;
}

/**
 * The app origin's `/api/launch-state*`, answered by the real routes, with a cookie jar that acts as
 * the browser's partition: `cookies: 'kept'` (partitioned cookies accepted) or `'refused'` (a policy
 * that blocks every cookie).
 */
async function launchStateServer(cookies: 'kept' | 'refused') {
  const app: FastifyInstance = Fastify();
  await app.register(launchStateRoutes);
  await app.ready();
  const jar = new Map<string, string>();
  const calls: Array<{ path: string; body: string }> = [];
  const handler = http.post(`${APP_ORIGIN}/api/launch-state*`, async ({ request }) => {
    const path = new URL(request.url).pathname;
    const body = await request.text();
    calls.push({ path, body });
    const answer = await app.inject({
      method: 'POST',
      url: path,
      payload: body,
      headers: { 'content-type': 'application/json', cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') },
    });
    const set = answer.headers['set-cookie'];
    if (cookies === 'kept' && typeof set === 'string') {
      const [pair = ''] = set.split(';');
      const eq = pair.indexOf('=');
      if (/Max-Age=0/.test(set)) jar.delete(pair.slice(0, eq));
      else jar.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    return answer.statusCode === 204 ? new HttpResponse(null, { status: 204 }) : HttpResponse.json(answer.json(), { status: answer.statusCode });
  });
  return { handler, jar, calls, close: () => app.close() };
}

let handoff: Awaited<ReturnType<typeof launchStateServer>> | null = null;
let restoreStorage = (): void => {};
beforeEach(() => {
  restoreStorage = denyBrowserStorage();
});
afterEach(async () => {
  restoreStorage();
  await handoff?.close();
  handoff = null;
});

describe('an EHR launch where the browser denies the iframe its storage', () => {
  it('keeps the launch with the server behind a partitioned cookie, checks PKCE and state, and shows the patient', async () => {
    const ehr = new FakeEhr();
    ehr.resources = [ada];
    handoff = await launchStateServer('kept');
    server.use(...ehr.handlers(), handoff.handler);

    const started = await bootLaunch(go(`/launch.html?iss=${encodeURIComponent(ehr.iss)}&launch=L1`));
    if (!started.ok) throw new Error(`launch failed: ${started.problem.kind}`);
    const state = new URL(started.authorizeUrl).searchParams.get('state') ?? '';
    // The record went to the server in a body, never in a URL; the server's cookie binds it.
    expect(handoff.calls.map((c) => c.path)).toEqual(['/api/launch-state', '/api/launch-state/bound']);
    expect(handoff.calls[0]?.body).toContain('codeVerifier');
    expect(handoff.calls.every((c) => !c.path.includes(state))).toBe(true);
    expect([...handoff.jar.keys()]).toEqual([`__Host-careloop-launch-${state}`]);

    const booted = await bootIndex(go(ehr.approve(started.authorizeUrl, { patient: 'ada' })));
    if (!booted.ok) throw new Error(`index failed: ${booted.problem.kind}`);
    expect(booted.session.context.patientId).toBe('ada');
    // The fake EHR accepted the verifier the server gave back only because it matches the challenge.
    expect(ehr.tokenRequests[0]?.get('code_verifier')).toMatch(/^[A-Za-z0-9_-]{43,128}$/);
    // Claimed once: the record and its cookie are gone; a reload asks for a new launch.
    expect(handoff.jar.size).toBe(0);
    const reloaded = await bootIndex(go(`/index.html?state=${state}`));
    expect(reloaded.ok ? 'ok' : reloaded.problem.kind).toBe('state-missing');

    render(<AppShell session={booted.session} asOf="2026-11-23" />);
    expect(await screen.findByRole('heading', { level: 1, name: 'Ada Lovelace' })).toBeInTheDocument();
  });

  it('keeps two launches for different patients in one browser apart', async () => {
    const ehr = new FakeEhr();
    ehr.resources = [ada, ben];
    handoff = await launchStateServer('kept');
    server.use(...ehr.handlers(), handoff.handler);
    // Both launches start before either returns, as two chart tabs would.
    const first = await bootLaunch(go(`/launch.html?iss=${encodeURIComponent(ehr.iss)}&launch=launch-ada`));
    const second = await bootLaunch(go(`/launch.html?iss=${encodeURIComponent(ehr.iss)}&launch=launch-ben`));
    if (!first.ok || !second.ok) throw new Error('launch failed');
    const benBack = ehr.approve(second.authorizeUrl, { patient: 'ben' });
    const adaBack = ehr.approve(first.authorizeUrl, { patient: 'ada' });
    const ben1 = await bootIndex(go(benBack));
    const ada1 = await bootIndex(go(adaBack));
    if (!ben1.ok || !ada1.ok) throw new Error('index failed');
    expect(ben1.session.context.patientId).toBe('ben');
    expect(ada1.session.context.patientId).toBe('ada');
    expect(ben1.session.context.launchKey).not.toBe(ada1.session.context.launchKey);
  });

  it('refuses a redirect whose state this browser did not start, without spending the real launch', async () => {
    const ehr = new FakeEhr();
    ehr.resources = [ada];
    handoff = await launchStateServer('kept');
    server.use(...ehr.handlers(), handoff.handler);
    const started = await bootLaunch(go(`/launch.html?iss=${encodeURIComponent(ehr.iss)}&launch=L1`));
    if (!started.ok) throw new Error('launch failed');
    const back = ehr.approve(started.authorizeUrl, { patient: 'ada' });
    // Another browser (no cookie) replays the redirect: refused, and no code is exchanged.
    const jar = new Map(handoff.jar);
    handoff.jar.clear();
    const stolen = await bootIndex(go(back));
    expect(stolen.ok ? 'ok' : stolen.problem.kind).toBe('storage-blocked');
    expect(ehr.tokenRequests).toHaveLength(0);
    for (const [k, v] of jar) handoff.jar.set(k, v);
    const booted = await bootIndex(go(back));
    expect(booted.ok).toBe(true);
  });

  it('keeps the clear screen with the same launch in its own window when the browser refuses every cookie', async () => {
    const ehr = new FakeEhr();
    handoff = await launchStateServer('refused');
    server.use(...ehr.handlers(), handoff.handler);
    const href = `/launch.html?iss=${encodeURIComponent(ehr.iss)}&launch=L1`;
    const started = await bootLaunch(go(href), fetch, true);
    expect(started.ok).toBe(false);
    if (started.ok) return;
    expect(started.problem).toEqual({ kind: 'storage-blocked', openUrl: `${APP_ORIGIN}${href}` });
    // In a window of its own there is no other window to offer.
    const topLevel = await bootLaunch(go(href), fetch, false);
    expect(topLevel.ok ? null : topLevel.problem).toEqual({ kind: 'storage-blocked', openUrl: null });
  });
});

describe('the hand-off requests', () => {
  it("call fetch unbound, as the browser's fetch requires", async () => {
    const { handOffLaunch } = await import('../../src/smart/launch-handoff');
    const seen: unknown[] = [];
    // The browser's fetch throws "Illegal invocation" when called as a method of another object.
    const strictFetch = function (this: unknown): Promise<Response> {
      seen.push(this);
      if (this !== undefined && this !== globalThis) throw new TypeError('Illegal invocation');
      return Promise.resolve(new Response(null, { status: seen.length === 1 ? 201 : 204 }));
    } as typeof fetch;
    await handOffLaunch({ kind: 'server', pageUrl: `${APP_ORIGIN}/launch.html`, fetchImpl: strictFetch }, '6f1c2a7e-3b4d-4e5f-8a9b-0c1d2e3f4a5b', { key: 'x' });
    expect(seen).toHaveLength(2);
  });

  it.each([
    [429, 'offline'],
    [503, 'offline'],
    [404, 'storage-blocked'],
  ] as const)('a hand-off answered %i is %s', async (status, kind) => {
    const { handOffLaunch } = await import('../../src/smart/launch-handoff');
    const answer: typeof fetch = async () => new Response('{}', { status });
    await expect(handOffLaunch({ kind: 'server', pageUrl: `${APP_ORIGIN}/launch.html`, fetchImpl: answer }, '6f1c2a7e-3b4d-4e5f-8a9b-0c1d2e3f4a5b', { key: 'x' })).rejects.toMatchObject({ problem: { kind } });
  });
});
