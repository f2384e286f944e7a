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

export interface E2eOptions extends Pick<SandboxOptions, 'referenceDate' | 'skipLargeRecord' | 'accessTokenTtlSeconds' | 'workflow'> {
  /** A directory with an already built app (skips `vite build`). */
  readonly appDir?: string;
  /**
   * 'build' (default): a fresh production build served as static files; 'dev': Vite's dev server.
   * Also set by CARELOOP_E2E_APP=dev|build.
   */
  readonly appMode?: 'build' | 'dev';
  /** The browser profile (default 'third-party-storage-allowed'). Also set by CARELOOP_E2E_PROFILE. */
  readonly profile?: BrowserProfile;
}

/**
 * The browser profile, as the cross-site iframe (the app on localhost inside the EHR on 127.0.0.1)
 * sees it in this Chromium:
 * - 'default': a fresh profile. Third-party cookies are blocked, and with them the iframe's
 *   sessionStorage, localStorage, IndexedDB and CacheStorage (SecurityError "Access is denied for
 *   this document"); partitioned (CHIPS) cookies set by the app's server are still kept.
 * - 'third-party-storage-allowed': what a hospital's policy allowing third-party cookies gives.
 * - 'all-cookies-blocked': every cookie blocked (partitioned ones too, and storage even at top level).
 */
export type BrowserProfile = 'default' | 'third-party-storage-allowed' | 'all-cookies-blocked';

export interface ChromiumOptions {
  /** Default 'third-party-storage-allowed'. */
  readonly profile?: BrowserProfile;
}

const PREFERENCES: Record<BrowserProfile, object | null> = {
  default: null,
  // cookie_controls_mode 0 = allow third-party cookies (chrome://settings/cookies).
  'third-party-storage-allowed': { profile: { cookie_controls_mode: 0, block_third_party_cookies: false } },
  // The content setting an admin's DefaultCookiesSetting = 2 policy sets.
  'all-cookies-blocked': { profile: { default_content_setting_values: { cookies: 2 } } },
};

/** Launches Debian's Chromium headless with a fresh profile. */
export async function launchChromium(options: ChromiumOptions = {}): Promise<{ browser: BrowserContext; close(): Promise<void> }> {
  const profile = await mkdtemp(join(tmpdir(), 'careloop-chromium-'));
  const preferences = PREFERENCES[options.profile ?? 'third-party-storage-allowed'];
  if (preferences) {
    await mkdir(join(profile, 'Default'), { recursive: true });
    await writeFile(join(profile, 'Default', 'Preferences'), JSON.stringify(preferences));
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

function browserProfileFromEnv(): BrowserProfile | undefined {
  const value = process.env['CARELOOP_E2E_PROFILE'];
  if (value === undefined || value === '') return undefined;
  if (value in PREFERENCES) return value as BrowserProfile;
  throw new Error(`CARELOOP_E2E_PROFILE must be one of ${Object.keys(PREFERENCES).join(', ')}`);
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
    ...(options.workflow !== undefined ? { workflow: options.workflow } : {}),
  });
  let chromiumHandle: Awaited<ReturnType<typeof launchChromium>>;
  try {
    const profile = options.profile ?? browserProfileFromEnv();
    chromiumHandle = await launchChromium(profile ? { profile } : {});
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
