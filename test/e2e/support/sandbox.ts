/**
 * End-to-end harness: the sandbox EHR with the real app (a fresh production build served on
 * localhost, a different site from the EHR on 127.0.0.1) and Debian's Chromium via playwright-core.
 * No browser download: CHROMIUM_PATH or /usr/bin/chromium.
 *
 * @example
 * const env = await startE2e();
 * const { app } = await env.openChart('ada');
 * await app.getByRole('heading', { name: /Ada Lovelace/ }).waitFor();
 * await env.close();
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExtractResource, Resource, ResourceType } from '@medplum/fhirtypes';
import { chromium, type BrowserContext, type FrameLocator, type Page } from 'playwright-core';
import { buildApp, startSandbox, type Sandbox, type SandboxOptions } from '../../../src/sandbox/index.ts';

/** The reference date the e2e cast is built from, so screens stay stable. */
export const E2E_REFERENCE_DATE = '2026-11-23';

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface E2eEnv {
  readonly sandbox: Sandbox;
  readonly browser: BrowserContext;
  /** Console messages and page errors from every page and frame, for failure messages. */
  readonly logs: string[];
  /** Opens a patient's chart; `app` locates the sidebar iframe. */
  openChart(patientId: string): Promise<{ page: Page; app: FrameLocator }>;
  /** What the FHIR server holds now, e.g. `resources('Task', 'donald')`; `'*'` = every compartment. */
  resources<K extends ResourceType>(type: K, patientId: string): Promise<ExtractResource<K>[]>;
  resources<T extends Resource>(type: T['resourceType'], patientId: string): Promise<T[]>;
  close(): Promise<void>;
}

export interface E2eOptions extends Pick<SandboxOptions, 'referenceDate' | 'skipLargeRecord' | 'accessTokenTtlSeconds'> {
  /** A directory with an already built app (skips `vite build`). */
  readonly appDir?: string;
  /**
   * 'build' (default): a fresh production build served as static files; 'dev': Vite's dev server.
   * Also set by CARELOOP_E2E_APP=dev|build.
   */
  readonly appMode?: 'build' | 'dev';
}

export interface ChromiumOptions {
  /**
   * Storage and cookies for cross-site iframes. This Chromium blocks third-party cookies in a new
   * profile, and with them an iframe's sessionStorage ("Access is denied for this document"), which
   * breaks any SMART app that keeps its state there. Hospitals allow it for their EHR's embedded
   * apps by policy; 'allowed' (default) models that, 'blocked' models a locked-down browser.
   */
  readonly thirdPartyStorage?: 'allowed' | 'blocked';
}

/** Launches Debian's Chromium headless with a fresh profile. */
export async function launchChromium(options: ChromiumOptions = {}): Promise<{ browser: BrowserContext; close(): Promise<void> }> {
  const profile = await mkdtemp(join(tmpdir(), 'careloop-chromium-'));
  if ((options.thirdPartyStorage ?? 'allowed') === 'allowed') {
    await mkdir(join(profile, 'Default'), { recursive: true });
    // cookie_controls_mode 0 = allow third-party cookies (chrome://settings/cookies).
    await writeFile(join(profile, 'Default', 'Preferences'), JSON.stringify({ profile: { cookie_controls_mode: 0, block_third_party_cookies: false } }));
  }
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
  return {
    browser,
    close: async () => {
      await browser.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

export async function startE2e(options: E2eOptions = {}): Promise<E2eEnv> {
  const mode = options.appMode ?? (process.env['CARELOOP_E2E_APP'] === 'dev' ? 'dev' : 'build');
  const given = options.appDir ?? process.env['CARELOOP_APP_DIR'];
  const appDir = mode === 'dev' ? undefined : (given ?? (await buildApp()));
  const sandbox = await startSandbox({
    ehrPort: 0,
    appPort: 0,
    app: appDir === undefined ? 'dev' : { staticDir: appDir },
    referenceDate: options.referenceDate ?? E2E_REFERENCE_DATE,
    skipLargeRecord: options.skipLargeRecord ?? true,
    ...(options.accessTokenTtlSeconds !== undefined ? { accessTokenTtlSeconds: options.accessTokenTtlSeconds } : {}),
  });
  let chromiumHandle: Awaited<ReturnType<typeof launchChromium>>;
  try {
    chromiumHandle = await launchChromium();
  } catch (err) {
    await sandbox.close();
    throw err;
  }
  const { browser } = chromiumHandle;
  const logs: string[] = [];
  browser.on('page', (p) => {
    p.on('console', (m) => logs.push(`[${m.type()}] ${m.text()}`));
    p.on('pageerror', (e) => logs.push(`[pageerror] ${e.message}`));
  });
  return {
    sandbox,
    browser,
    logs,
    async openChart(patientId) {
      const page = await browser.newPage();
      await page.goto(sandbox.chartUrl(patientId));
      return { page, app: page.frameLocator('iframe#app-frame') };
    },
    async resources<T extends Resource>(type: T['resourceType'], patientId: string): Promise<T[]> {
      const keys = patientId === '*' ? ['', ...sandbox.ctx.store.patientIds()] : [patientId];
      const out: T[] = [];
      for (const key of keys) out.push(...((await sandbox.ctx.store.all(type, key)) as T[]));
      return out;
    },
    async close() {
      await chromiumHandle.close().catch(() => undefined);
      await sandbox.close();
      if (appDir !== undefined && given === undefined) await rm(appDir, { recursive: true, force: true }).catch(() => undefined);
    },
  };
}
