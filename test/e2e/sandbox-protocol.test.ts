/**
 * The sandbox's SMART protocol in real Chromium, with a minimal hand-written client instead of
 * Careloop: proves discovery, CORS, the cross-site iframe, PKCE and the FHIR read work, so a failure
 * of the Careloop e2e test points at the app, not the sandbox.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStatic } from '../../src/sandbox/app-server.ts';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.ts';
import type { SecurityHeaderPolicy } from '../../src/server/security-headers.ts';
import { E2E_REFERENCE_DATE, launchChromium } from './support/sandbox.ts';

const fixtureDir = join(dirname(fileURLToPath(import.meta.url)), 'support', 'fixture-app');

let sandbox: Sandbox;
let fixture: Awaited<ReturnType<typeof serveStatic>>;
let chromium: Awaited<ReturnType<typeof launchChromium>>;

// The headers Careloop's pages get, for the fixture too: framed by this sandbox's EHR only, calling
// its FHIR server; `dev` allows the fixture's inline module scripts.
const fixtureHeaders: SecurityHeaderPolicy = { frameAncestors: [], connectSrc: [], dev: true };

beforeAll(async () => {
  fixture = await serveStatic(fixtureDir, 0, { url: null }, fixtureHeaders);
  sandbox = await startSandbox({
    ehrPort: 0,
    appPort: 0,
    app: 'none',
    referenceDate: E2E_REFERENCE_DATE,
    skipLargeRecord: true,
    clients: [{ clientId: 'fixture', name: 'Fixture', redirectUris: [`${fixture.url}/index.html`], launchUrl: `${fixture.url}/launch.html`, allowedScopes: ['launch', 'openid', 'fhirUser', 'online_access', 'patient/*.rs'] }],
  });
  const ehr = new URL(sandbox.ehrUrl).origin;
  fixtureHeaders.frameAncestors = [ehr];
  fixtureHeaders.connectSrc = [ehr];
  chromium = await launchChromium();
});
afterAll(async () => {
  await chromium?.close();
  await sandbox?.close();
  await fixture?.close();
});

describe('sandbox SMART protocol in Chromium', () => {
  it('launches a client cross-site in the chart iframe, through PKCE, to a FHIR read of the patient', async () => {
    const page = await chromium.browser.newPage();
    await page.goto(`${sandbox.chartUrl('barbara')}?app=fixture`);
    const app = page.frameLocator('iframe#app-frame');
    await app.getByRole('heading', { name: 'Barbara Liskov' }).waitFor({ timeout: 20_000 });
    await expect(app.getByRole('status').textContent()).resolves.toContain('patient/Patient.r');
    await page.close();
  });

  it("shows that a default profile (third-party cookies blocked) denies sessionStorage to the cross-site iframe", async () => {
    const locked = await launchChromium({ profile: 'default' });
    try {
      const page = await locked.browser.newPage();
      await page.goto(`${sandbox.chartUrl('alan')}?app=fixture`);
      const frame = page.frames().find((f) => f.url().startsWith(fixture.url)) ?? (await page.waitForEvent('frameattached'));
      await frame.waitForLoadState('domcontentloaded');
      const storage = await frame.evaluate(() => {
        try {
          return typeof window.sessionStorage.length === 'number' ? 'available' : 'unknown';
        } catch {
          return 'denied';
        }
      });
      expect(storage).toBe('denied');
    } finally {
      await locked.close();
    }
  });
});
