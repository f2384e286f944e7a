import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from './support/harness.ts';

let h: Harness;
let dist: string;
beforeEach(async () => {
  dist = mkdtempSync(join(tmpdir(), 'careloop-dist-'));
  mkdirSync(join(dist, 'assets'));
  writeFileSync(join(dist, 'index.html'), '<!doctype html><title>Careloop</title>');
  writeFileSync(join(dist, 'launch.html'), '<!doctype html><title>Launch</title>');
  writeFileSync(join(dist, 'assets', 'main-abc123.js'), 'console.log(1)');
  h = await harness({ staticDir: dist });
});
afterEach(async () => {
  await h.close();
  rmSync(dist, { recursive: true, force: true });
});

describe('serving the built app from the audit server (one origin)', () => {
  it('serves index.html at /, the launch page and hashed assets with long caching', async () => {
    const index = await h.app.inject({ method: 'GET', url: '/' });
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-type']).toMatch(/text\/html/);
    expect(index.body).toContain('Careloop');
    expect((await h.app.inject({ method: 'GET', url: '/launch.html?iss=x&launch=y' })).body).toContain('Launch');
    const asset = await h.app.inject({ method: 'GET', url: '/assets/main-abc123.js' });
    expect(asset.headers['cache-control']).toContain('immutable');
  });

  it('keeps the API routes and refuses paths outside the folder', async () => {
    expect((await h.app.inject({ method: 'GET', url: '/api/health' })).json()).toMatchObject({ status: 'ok' });
    expect((await h.app.inject({ method: 'GET', url: '/..%2F..%2Fetc%2Fpasswd' })).statusCode).toBe(404);
    expect((await h.app.inject({ method: 'GET', url: '/missing.js' })).statusCode).toBe(404);
  });
});
