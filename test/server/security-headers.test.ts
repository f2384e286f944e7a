import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { contentSecurityPolicy } from '../../src/server/security-headers.ts';
import { harness, type Harness } from './support/harness.ts';

let h: Harness | undefined;
let dist: string | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  if (dist) rmSync(dist, { recursive: true, force: true });
  dist = undefined;
});

function builtApp(): string {
  dist = mkdtempSync(join(tmpdir(), 'careloop-dist-'));
  mkdirSync(join(dist, 'assets'));
  writeFileSync(join(dist, 'index.html'), '<!doctype html><title>Careloop</title>');
  writeFileSync(join(dist, 'assets', 'index-abc123.js'), 'console.log(1)');
  writeFileSync(join(dist, 'assets', 'index-abc123.js.map'), '{"sources":["../../src/app/main.tsx"]}');
  writeFileSync(join(dist, '.env'), 'SECRET=1');
  return dist;
}

function directives(response: LightMyRequestResponse): Map<string, string> {
  const csp = String(response.headers['content-security-policy'] ?? '');
  return new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name ?? '', values.join(' ')]));
}

function expectHardened(response: LightMyRequestResponse, frameAncestors: string): void {
  const csp = directives(response);
  expect(csp.get('default-src')).toBe("'self'");
  expect(csp.get('frame-ancestors')).toBe(frameAncestors);
  expect(csp.get('script-src')).toBe("'self'");
  expect(response.headers['x-content-type-options']).toBe('nosniff');
  expect(response.headers['referrer-policy']).toBe('no-referrer');
}

describe('hardening headers of the audit server', () => {
  it('puts them on pages, assets, API answers, refusals, errors and unknown routes, framed by the sandbox EHR by default', async () => {
    h = await harness({ staticDir: builtApp() });
    const answers = [
      await h.app.inject({ method: 'GET', url: '/' }),
      await h.app.inject({ method: 'GET', url: '/missing.html' }),
      await h.app.inject({ method: 'GET', url: '/assets/index-abc123.js' }),
      await h.app.inject({ method: 'GET', url: '/api/health' }),
      await h.get('/api/audit/events?patient=ada', null),
      await h.app.inject({ method: 'POST', url: '/api/audit/events', headers: { authorization: `Bearer ${h.token}`, 'content-type': 'application/json' }, payload: '{not json' }),
      await h.app.inject({ method: 'GET', url: '/api/nothing-here' }),
    ];
    expect(answers.map((a) => a.statusCode)).toEqual([200, 404, 200, 200, 401, 400, 404]);
    for (const answer of answers) expectHardened(answer, 'http://127.0.0.1:4000');
  });

  it('lets the app call the trusted FHIR servers and configured origins, and be framed only by the configured EHRs', async () => {
    h = await harness({ frameAncestors: ['https://ehr.hospital.example', 'https://ehr-test.hospital.example'], connectSrc: ['https://auth.hospital.example'] });
    const health = await h.app.inject({ method: 'GET', url: '/api/health' });
    expectHardened(health, 'https://ehr.hospital.example https://ehr-test.hospital.example');
    const connect = directives(health).get('connect-src')?.split(' ') ?? [];
    expect(connect).toEqual(["'self'", new URL(h.issuer.fhirBase).origin, 'https://auth.hospital.example']);
  });

  it('sends HSTS only over HTTPS: behind a trusted proxy that says so, never on plain HTTP or from an untrusted forwarder', async () => {
    h = await harness({ trustProxy: true });
    const viaProxy = await h.app.inject({ method: 'GET', url: '/api/health', headers: { 'x-forwarded-proto': 'https' } });
    expect(viaProxy.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    expect((await h.app.inject({ method: 'GET', url: '/api/health' })).headers['strict-transport-security']).toBeUndefined();
    await h.close();
    h = await harness();
    expect((await h.app.inject({ method: 'GET', url: '/api/health', headers: { 'x-forwarded-proto': 'https' } })).headers['strict-transport-security']).toBeUndefined();
  });

  it('never serves source maps or dot-files, even when a build left them in the folder', async () => {
    h = await harness({ staticDir: builtApp() });
    expect((await h.app.inject({ method: 'GET', url: '/assets/index-abc123.js.map' })).statusCode).toBe(404);
    expect((await h.app.inject({ method: 'GET', url: '/.env' })).statusCode).toBe(404);
    expect((await h.app.inject({ method: 'GET', url: '/assets/index-abc123.js' })).statusCode).toBe(200);
  });

  it('refuses every framer when no EHR is listed, and allows inline scripts and hot reload only for the dev server', () => {
    expect(contentSecurityPolicy({ frameAncestors: [], connectSrc: [] })).toContain("frame-ancestors 'none'");
    const dev = contentSecurityPolicy({ frameAncestors: ['http://127.0.0.1:4000'], connectSrc: [], dev: true });
    expect(dev).toContain("script-src 'self' 'unsafe-inline'");
    expect(dev).toMatch(/connect-src 'self' ws: wss:/);
    const build = contentSecurityPolicy({ frameAncestors: ['http://127.0.0.1:4000'], connectSrc: [] });
    expect(build).toContain("script-src 'self';");
    expect(build).not.toContain('ws:');
  });
});
