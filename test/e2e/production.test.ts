/**
 * The production deployment, as an administrator makes it from a clean clone: `npm run build`, then
 * only what ships (dist/, package.json, package-lock.json, .npmrc) with the production dependencies
 * alone (the lock's non-dev packages: what `npm ci --omit=dev` installs; .ci/run does the real
 * `npm ci --omit=dev` too), and `node dist/server/main.js`, with a sample value set bundle named in
 * the app's careloop.config.json. The sandbox EHR's chart then embeds that server's app, which
 * launches and shows the card (its audit events carry the loaded content's pack digest); a page on
 * another origin cannot frame it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { careloopPreventive } from '../../src/rules/pack.ts';
import { castMember } from '../../src/shared/cast/index.ts';
import { REPO_ROOT, startSandbox, type Sandbox } from '../../src/sandbox/index.ts';
import { launchChromium } from './support/sandbox.ts';
import { freePort } from '../support/free-port.ts';

const work = mkdtempSync(join(tmpdir(), 'careloop-production-'));
const clone = join(work, 'clone');
const deploy = join(work, 'deploy');

/** The repository's tracked files, as a clone has them, with the checkout's node_modules. */
function cleanClone(): void {
  const files = spawnSync('git', ['ls-files', '-z'], { cwd: REPO_ROOT, encoding: 'utf8' }).stdout.split('\0').filter(Boolean);
  for (const file of files) {
    if (!existsSync(join(REPO_ROOT, file))) continue;
    mkdirSync(dirname(join(clone, file)), { recursive: true });
    cpSync(join(REPO_ROOT, file), join(clone, file));
  }
  symlinkSync(realpathSync(join(REPO_ROOT, 'node_modules')), join(clone, 'node_modules'));
}

/** The shipped files, and node_modules with the lock's production packages only (no tsx, vite, typescript). */
function shippedCopy(): void {
  mkdirSync(deploy);
  for (const file of ['dist', 'package.json', 'package-lock.json', '.npmrc']) cpSync(join(clone, file), join(deploy, file), { recursive: true });
  const lock = JSON.parse(readFileSync(join(deploy, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  const modules = realpathSync(join(REPO_ROOT, 'node_modules'));
  for (const [path, entry] of Object.entries(lock.packages)) {
    // Top-level packages only: nested ones come inside their parent's folder.
    const name = path.startsWith('node_modules/') ? path.slice('node_modules/'.length) : null;
    if (!name || name.includes('/node_modules/') || entry.dev || !existsSync(join(modules, name))) continue;
    mkdirSync(dirname(join(deploy, 'node_modules', name)), { recursive: true });
    symlinkSync(join(modules, name), join(deploy, 'node_modules', name));
  }
}

let server: ChildProcess | undefined;
let serverUrl = '';
let sandbox: Sandbox | undefined;
let output = '';

beforeAll(async () => {
  cleanClone();
  const build = spawnSync('npm', ['run', 'build'], { cwd: clone, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}\n${build.stderr}`);
  shippedCopy();
  // The admin's content, loaded by configuration alone: a sample value set bundle next to the app.
  mkdirSync(join(deploy, 'dist/app/content'));
  cpSync(join(REPO_ROOT, 'test/fixtures/content/sample-value-sets.json'), join(deploy, 'dist/app/content/sample-value-sets.json'));
  const configPath = join(deploy, 'dist/app/careloop.config.json');
  writeFileSync(configPath, JSON.stringify({ ...(JSON.parse(readFileSync(configPath, 'utf8')) as object), valueSetBundles: ['content/sample-value-sets.json'] }, null, 2));

  const port = await freePort();
  serverUrl = `http://localhost:${port}`;
  // The EHR registers Careloop at the production server's origin; no app server of its own.
  sandbox = await startSandbox({ ehrPort: 0, appPort: port, app: 'none', audit: false, skipLargeRecord: true, referenceDate: '2026-11-23' });
  const ehrOrigin = new URL(sandbox.ehrUrl).origin;
  server = spawn(process.execPath, ['--preserve-symlinks', 'dist/server/main.js'], {
    cwd: deploy,
    env: {
      PATH: process.env['PATH'] ?? '',
      NODE_OPTIONS: '--preserve-symlinks',
      AUDIT_HOST: 'localhost',
      AUDIT_PORT: String(port),
      AUDIT_SQLITE_PATH: join(work, 'data', 'audit.sqlite'),
      AUDIT_TRUSTED_ISSUERS: JSON.stringify([{ fhirBase: sandbox.fhirBase, mode: 'jwks' }]),
      AUDIT_FRAME_ANCESTORS: ehrOrigin,
      AUDIT_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`the compiled server did not start: ${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (/Audit: http/.test(output)) {
        clearTimeout(timer);
        done();
      }
    };
    server?.stdout?.on('data', onData);
    server?.stderr?.on('data', onData);
    server?.on('exit', (code) => fail(new Error(`the compiled server exited with ${code}: ${output}`)));
  });
}, 180_000);

afterAll(async () => {
  server?.kill('SIGTERM');
  await sandbox?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('a production deployment from a clean clone', () => {
  it('builds plain JavaScript without source maps, and ships no development package', () => {
    const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? files(join(dir, d.name)) : [join(dir, d.name)]));
    const shipped = files(join(deploy, 'dist'));
    expect(shipped.filter((f) => f.endsWith('.map') || f.endsWith('.ts'))).toEqual([]);
    expect(shipped).toContain(join(deploy, 'dist/server/main.js'));
    expect(shipped).toContain(join(deploy, 'dist/app/index.html'));
    const resolveHere = createRequire(join(deploy, 'package.json'));
    for (const devOnly of ['tsx', 'vite', 'typescript']) expect(() => resolveHere.resolve(devOnly)).toThrow();
    expect(resolveHere.resolve('fastify')).toBeTruthy();
  });

  it('serves the app and the API on one origin, with the hardening headers and the caching the README gives', async () => {
    const health = await fetch(`${serverUrl}/api/health`);
    expect(await health.json()).toEqual({ status: 'ok', store: 'sqlite' });
    const index = await fetch(`${serverUrl}/`);
    const html = await index.text();
    expect(index.headers.get('cache-control')).toBe('no-cache');
    expect(index.headers.get('content-security-policy')).toContain(`frame-ancestors ${new URL(sandbox?.ehrUrl ?? '').origin}`);
    expect(index.headers.get('x-content-type-options')).toBe('nosniff');
    expect(index.headers.get('referrer-policy')).toBe('no-referrer');
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1] ?? '';
    const script = await fetch(`${serverUrl}${asset}`);
    expect(script.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await script.text()).not.toContain('sourceMappingURL');
    expect((await fetch(`${serverUrl}${asset}.map`)).status).toBe(404);
    expect((await fetch(`${serverUrl}/launch.html`)).headers.get('cache-control')).toBe('no-cache');
  });

  it("is embedded by the EHR's chart, launches and shows the card; a page on another origin cannot frame it", { timeout: 120_000 }, async () => {
    const ada = castMember('ada');
    const chromium = await launchChromium();
    const logs: string[] = [];
    chromium.browser.on('page', (p) => p.on('console', (m) => logs.push(m.text())));
    const stranger = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><title>Elsewhere</title><iframe id="app-frame" src="${serverUrl}/index.html"></iframe>`);
    });
    await new Promise<void>((done) => stranger.listen(0, '127.0.0.1', done));
    const address = stranger.address();
    const strangerUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`;
    try {
      const page = await chromium.browser.newPage();
      await page.goto(sandbox?.chartUrl(ada.id) ?? '');
      const app = page.frameLocator('iframe#app-frame');
      try {
        await app.getByRole('region', { name: /^Colorectal cancer screening/ }).waitFor({ timeout: 60_000 });
      } catch (err) {
        throw new Error(`The production app did not show the card in the chart.\nServer: ${output}\nLogs:\n${logs.join('\n')}`, { cause: err });
      }
      expect(logs.filter((l) => /Content Security Policy/i.test(l))).toEqual([]);
      // The loaded content was checked at start, and its digest is in the trail the card wrote.
      expect(output).toMatch(/Content: content\/sample-value-sets\.json \(value-set-bundle, sha256 [0-9a-f]{64}\)/);
      const cardDigests = (): Array<string | null> => {
        const db = new Database(join(work, 'data', 'audit.sqlite'), { readonly: true });
        try {
          return db.prepare<[], { pack_digest: string | null }>("SELECT DISTINCT pack_digest FROM audit_event WHERE action = 'card-shown'").all().map((r) => r.pack_digest);
        } finally {
          db.close();
        }
      };
      await expect.poll(cardDigests, { timeout: 10_000 }).toEqual([expect.stringMatching(/^[0-9a-f]{64}$/)]);
      expect(cardDigests()).not.toContain(careloopPreventive.digest);
      const other = await chromium.browser.newPage();
      await other.goto(strangerUrl);
      // Chromium: "Framing 'http://localhost:…/' violates … "frame-ancestors http://127.0.0.1:…". The request has been blocked."
      await expect.poll(() => logs.find((l) => l.startsWith(`Framing '${serverUrl}/`)), { timeout: 10_000 }).toMatch(/violates .*frame-ancestors .*blocked/s);
      await expect.poll(() => other.frames().find((f) => f !== other.mainFrame())?.url(), { timeout: 10_000 }).toMatch(/^chrome-error:/);
    } finally {
      stranger.close();
      await chromium.close();
    }
  });
});
