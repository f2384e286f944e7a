/**
 * The workflow service's admin status page: admin credential required (bearer or HTTP Basic), HTML
 * without script under the server's CSP, charts of inbox depth and event → evaluation latency over
 * the last hour from per-minute buckets, and the dead-letter, duplicate and reconciliation figures.
 */
import { generateKeyPair } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { PermanentFailure } from '../../../src/server/workflow/inbox.ts';
import { loadWorkflowConfig } from '../../../src/server/workflow/config.ts';
import { WorkflowService, STATUS_PATH } from '../../../src/server/workflow/service.ts';
import { MinuteSeries } from '../../../src/server/workflow/status-page.ts';
import { harness, type Harness } from '../support/harness.ts';

const ADMIN = 'status-page-admin-credential-0123456789';
const T0 = Date.UTC(2026, 11, 1, 12, 0, 5);
let now = T0;
const opened: Array<{ h: Harness; service: WorkflowService }> = [];
afterEach(async () => {
  for (const { h, service } of opened.splice(0)) {
    await service.close();
    await h.close();
  }
  now = T0;
});

async function setup(adminToken: string | null = ADMIN, handler: (e: { resourceId: string }) => Promise<void> = async () => undefined) {
  const { privateKey } = await generateKeyPair('ES384');
  const service = new WorkflowService({
    fhirBase: 'http://127.0.0.1:4000/fhir',
    backend: { tokenEndpoint: 'http://127.0.0.1:4000/auth/token', clientId: 'careloop-workflow', privateKey, kid: 'k1', alg: 'ES384', scope: 'system/*.rs' },
    inbox: ':memory:',
    publicUrl: 'http://127.0.0.1:8080',
    now: () => now,
    adminToken,
    handler,
  });
  const h = await harness({ workflow: service });
  opened.push({ h, service });
  return { h, service };
}

const event = (n: number, id = `fit-${n}`) => ({ source: 'rest-hook', subscription: 'Subscription/s1', eventNumber: n, resourceType: 'Observation', resourceId: id, versionId: '1', patient: 'ada' });

describe('the per-minute series', () => {
  it('keeps depth and latency quantiles per minute for the last hour', () => {
    const series = new MinuteSeries(() => now);
    series.recordDepth(3, T0);
    series.recordDepth(7, T0 + 10_000);
    series.recordDepth(2, T0 + 20_000);
    for (const s of [0.02, 0.03, 0.04, 0.2, 4]) series.recordLatency(s, T0);
    series.recordLatency(0.5, T0 + 60_000);
    now = T0 + 60_000;
    const points = series.points();
    expect(points).toHaveLength(60);
    expect(points.at(-2)).toMatchObject({ depth: 7, evaluations: 5, p50: 0.05, p95: 4, max: 4 });
    expect(points.at(-1)).toMatchObject({ depth: null, evaluations: 1, p50: 0.5, p95: 0.5 });
    // An hour later the first minute is gone.
    now = T0 + 60 * 60_000;
    expect(series.points().some((p) => p.evaluations === 5)).toBe(false);
  });
});

describe('GET /api/workflow/status', () => {
  it('needs the admin credential, as a bearer token or the password of HTTP Basic', async () => {
    const { h } = await setup();
    const none = await h.app.inject({ method: 'GET', url: STATUS_PATH });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Basic realm="careloop-workflow-admin"/);
    expect(none.body).not.toMatch(/Inbox depth/);
    expect((await h.app.inject({ method: 'GET', url: STATUS_PATH, headers: { authorization: 'Bearer wrong-credential' } })).statusCode).toBe(401);
    expect((await h.app.inject({ method: 'GET', url: STATUS_PATH, headers: { authorization: `Bearer ${h.token}` } })).statusCode).toBe(401); // a clinician's SMART token is not admin
    const bearer = await h.app.inject({ method: 'GET', url: STATUS_PATH, headers: { authorization: `Bearer ${ADMIN}` } });
    expect(bearer.statusCode).toBe(200);
    expect(bearer.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(bearer.headers['cache-control']).toBe('no-store');
    expect(bearer.headers['content-security-policy']).toMatch(/script-src 'self'(;|$)/);
    expect(bearer.body).not.toMatch(/<script/i);
    const basic = await h.app.inject({ method: 'GET', url: STATUS_PATH, headers: { authorization: `Basic ${Buffer.from(`admin:${ADMIN}`).toString('base64')}` } });
    expect(basic.statusCode).toBe(200);
  });

  it('is closed when no admin credential is configured', async () => {
    const { h } = await setup(null);
    expect((await h.app.inject({ method: 'GET', url: STATUS_PATH, headers: { authorization: `Bearer ${ADMIN}` } })).statusCode).toBe(403);
  });

  it('charts the inbox depth and the latency of the events evaluated, and counts dead letters and duplicates', async () => {
    const { h, service } = await setup(ADMIN, async (e) => {
      if (e.resourceId === 'bad') throw new PermanentFailure('Observation has no patient');
    });
    await service.inbox.receive([event(1), event(2), event(3), event(4, 'bad')]);
    await service.inbox.receive([event(1)]); // a redelivery
    expect(await service.sampleDepth()).toBe(4);
    now = T0 + 2_000; // evaluated 2 s after they arrived
    expect(await service.drain()).toEqual({ done: 3, retried: 0, dead: 1 });

    const page = (await h.app.inject({ method: 'GET', url: STATUS_PATH, headers: { authorization: `Bearer ${ADMIN}` } })).body;
    const svg = (id: string) => new RegExp(`<svg id="${id}"[^>]*>(.*?)</svg>`, 's').exec(page)?.[1] ?? '';
    // Depth: the highest sample of minute 12:00 (4 waiting; 0 once drained).
    expect(svg('depth')).toMatch(/<rect class="bar" data-minute="12:00" data-value="4"[^>]*><title>12:00 UTC: depth 4<\/title>/);
    // Latency: 3 evaluations at 2 s in minute 12:00; no other minute has a bar.
    expect(svg('latency')).toMatch(/<rect class="bar" data-minute="12:00" data-value="2"[^>]*><title>12:00 UTC: p50 2\.0 s, p95 2\.0 s, max 2\.0 s, 3 evaluations<\/title>/);
    expect(svg('latency').match(/<rect /g)).toHaveLength(1);
    expect(page).toMatch(/<td id="dead-letters">1<\/td>/);
    expect(page).toMatch(/<td id="duplicates">1<\/td>/);
    expect(page).toMatch(/<td id="done">3<\/td>/);
    expect(page).toMatch(/<td id="misses">0<\/td>/);
    expect(page).toMatch(/inbox on SQLite/);
  });
});

describe('the workflow configuration', () => {
  it('is off without WORKFLOW_FHIR_BASE and names each bad variable', () => {
    expect(loadWorkflowConfig({})).toEqual({ ok: true, config: null });
    const bad = loadWorkflowConfig({ WORKFLOW_FHIR_BASE: 'http://ehr.example/fhir', WORKFLOW_TOKEN_ENDPOINT: 'not a url', WORKFLOW_NOTIFICATION_SECRET: 'short', WORKFLOW_SCOPE: 'user/*.rs' });
    expect(bad.ok).toBe(false);
    const errors = bad.ok ? [] : bad.errors.join('\n');
    expect(errors).toMatch(/WORKFLOW_TOKEN_ENDPOINT/);
    expect(errors).toMatch(/WORKFLOW_PRIVATE_KEY_FILE/);
    expect(errors).toMatch(/WORKFLOW_NOTIFICATION_SECRET: must be at least 32 characters/);
    expect(errors).toMatch(/WORKFLOW_SCOPE: must be space-separated system\/ scopes/);
    const good = loadWorkflowConfig({ WORKFLOW_FHIR_BASE: 'http://ehr.example/fhir/', WORKFLOW_TOKEN_ENDPOINT: 'http://ehr.example/auth/token', WORKFLOW_PRIVATE_KEY_FILE: '/etc/careloop/workflow.jwk', WORKFLOW_DRAIN_MS: '250' });
    expect(good).toMatchObject({ ok: true, config: { fhirBase: 'http://ehr.example/fhir', clientId: 'careloop-workflow', drainMs: 250, pgSchema: 'careloop_workflow', publicUrl: null } });
  });
});
