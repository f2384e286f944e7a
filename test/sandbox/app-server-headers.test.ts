import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT, startApp, type RunningApp } from '../../src/sandbox/app-server.ts';
import { SANDBOX_EHR_ORIGIN } from '../../src/server/security-headers.ts';

let running: RunningApp | undefined;
let dir: string | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const policy = { frameAncestors: ['http://127.0.0.1:4123'], connectSrc: ['http://127.0.0.1:4123'] };

async function expectHardened(url: string, dev: boolean): Promise<void> {
  const res = await fetch(url);
  await res.arrayBuffer();
  const csp = res.headers.get('content-security-policy') ?? '';
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain('frame-ancestors http://127.0.0.1:4123');
  expect(csp).toContain("connect-src 'self' http://127.0.0.1:4123");
  expect(csp.includes("script-src 'self' 'unsafe-inline'")).toBe(dev);
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  expect(res.headers.get('referrer-policy')).toBe('no-referrer');
}

describe("the sandbox's app server sends the production headers", () => {
  it('in dev mode (Vite), on the pages and the modules, framed only by the sandbox EHR', { timeout: 60_000 }, async () => {
    running = await startApp('dev', 0, { url: null }, policy);
    await expectHardened(`${running.url}/`, true);
    await expectHardened(`${running.url}/launch.html`, true);
    await expectHardened(`${running.url}/src/app/launch.ts`, true);
  });

  it('in build mode, on pages, assets and unknown paths, and never serves a source map', async () => {
    dir = mkdtempSync(join(tmpdir(), 'careloop-app-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Careloop</title>');
    writeFileSync(join(dir, 'assets', 'a-1.js'), '');
    writeFileSync(join(dir, 'assets', 'a-1.js.map'), '{}');
    running = await startApp({ staticDir: dir }, 0, { url: null }, policy);
    await expectHardened(`${running.url}/`, false);
    await expectHardened(`${running.url}/assets/a-1.js`, false);
    await expectHardened(`${running.url}/nothing`, false);
    expect((await fetch(`${running.url}/assets/a-1.js.map`)).status).toBe(404);
  });
});

describe('`npm run dev` on its own (vite.config.ts, no sandbox)', () => {
  it('sends the headers too, framed by the sandbox EHR on its default origin', { timeout: 60_000 }, async () => {
    const { createServer } = await import('vite');
    const server = await createServer({ configFile: join(REPO_ROOT, 'vite.config.ts'), root: REPO_ROOT, logLevel: 'silent', server: { port: 0, host: '127.0.0.1' } });
    await server.listen();
    try {
      const address = server.httpServer?.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const res = await fetch(`http://127.0.0.1:${port}/launch.html`);
      await res.arrayBuffer();
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain(`frame-ancestors ${SANDBOX_EHR_ORIGIN}`);
      expect(csp).toContain("script-src 'self' 'unsafe-inline'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    } finally {
      await server.close();
    }
  });
});
