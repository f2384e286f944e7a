import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, FrameLocator, Page } from 'playwright-core';
import { castMember, type CastId } from '../../src/shared/cast/index.ts';
import { launchChromium, startE2e, type BrowserProfile, type E2eEnv } from './support/sandbox.ts';

let env: E2eEnv;
let defaultProfile: Awaited<ReturnType<typeof launchChromium>>;

beforeAll(async () => {
  // One sandbox and app build; the allowed profile is the harness's own browser, the default
  // profile a second browser on the same sandbox.
  env = await startE2e();
  defaultProfile = await launchChromium({ profile: 'default' });
  defaultProfile.browser.on('page', (p) => {
    p.on('console', (m) => env.logs.push(`[default profile ${m.type()}] ${m.text()}`));
    p.on('pageerror', (e) => env.logs.push(`[default profile pageerror] ${e.message}`));
  });
});
afterAll(async () => {
  await defaultProfile?.close();
  await env?.close();
});

const PROFILES = ['default', 'third-party-storage-allowed'] as const satisfies readonly BrowserProfile[];

function browserOf(profile: (typeof PROFILES)[number]): BrowserContext {
  return profile === 'default' ? defaultProfile.browser : env.browser;
}

async function openChart(browser: BrowserContext, patientId: string): Promise<{ page: Page; app: FrameLocator }> {
  const page = await browser.newPage();
  await page.goto(env.sandbox.chartUrl(patientId));
  return { page, app: page.frameLocator('iframe#app-frame') };
}

/** Waits for the sidebar to show the patient's name, with the frames and logs on failure. */
async function expectPatient(page: Page, app: FrameLocator, patientId: CastId): Promise<void> {
  const name = castMember(patientId).displayName;
  try {
    await app.getByRole('heading', { name: new RegExp(name) }).first().waitFor({ timeout: 30_000 });
  } catch (err) {
    const frameUrls = page.frames().map((f) => f.url());
    throw new Error(`The app did not show ${name}. Frames: ${frameUrls.join(' | ')}\nLogs:\n${env.logs.join('\n')}`, { cause: err });
  }
}

/** What the app's iframe may do with Web Storage in this profile. */
async function frameStorage(page: Page): Promise<'available' | 'denied'> {
  const frame = page.frames().find((f) => f.url().startsWith(env.sandbox.appUrl));
  if (!frame) throw new Error('no app frame');
  return frame.evaluate(() => {
    try {
      window.sessionStorage.getItem('x');
      return 'available' as const;
    } catch {
      return 'denied' as const;
    }
  });
}

function redeemedCodes(patientId: string): number {
  return [...env.sandbox.ctx.codes.values()].filter((g) => g.used && g.patient === patientId).length;
}

describe.each(PROFILES)('EHR launch in the chart sidebar, %s browser profile', (profile) => {
  it("opens Ada's chart, launches the app cross-site in the iframe, and the app shows Ada", async () => {
    const ada = castMember('ada');
    const before = redeemedCodes(ada.id);
    const { page, app } = await openChart(browserOf(profile), ada.id);
    const src = (await page.locator('iframe#app-frame').getAttribute('src')) ?? '';
    const launchUrl = new URL(src);
    expect(`${launchUrl.origin}${launchUrl.pathname}`).toBe(`${env.sandbox.appUrl}/launch.html`);
    expect(launchUrl.searchParams.get('iss')).toBe(env.sandbox.fhirBase);
    expect(new URL(env.sandbox.appUrl).hostname).not.toBe(new URL(env.sandbox.fhirBase).hostname);

    await expectPatient(page, app, ada.id);
    // The default profile denies the iframe its storage: the launch went through the server's
    // hand-off and a partitioned cookie, with no popup and no policy.
    expect(await frameStorage(page)).toBe(profile === 'default' ? 'denied' : 'available');
    expect(await app.getByRole('heading', { name: 'Your browser blocks Careloop inside the EHR' }).count()).toBe(0);
    // The real protocol ran: a code bound to Ada was issued and redeemed.
    expect(redeemedCodes(ada.id) - before).toBe(1);
    await app.getByRole('region', { name: /^Colorectal cancer screening/ }).waitFor({ timeout: 30_000 });
    // Nothing was written back just by opening the chart.
    expect(env.sandbox.ctx.writes).toEqual([]);
    await page.close();
  });

  it('keeps two patients in one browser apart: two charts launched at once each show their own patient', async () => {
    const browser = browserOf(profile);
    const [first, second] = await Promise.all([openChart(browser, 'ada'), openChart(browser, 'grace')]);
    await Promise.all([expectPatient(first.page, first.app, 'ada'), expectPatient(second.page, second.app, 'grace')]);
    const ada = castMember('ada').displayName;
    const grace = castMember('grace').displayName;
    expect(await first.app.getByText(grace).count()).toBe(0);
    expect(await second.app.getByText(ada).count()).toBe(0);

    // A patient switch in one tab relaunches that tab only.
    const barbara = castMember('barbara');
    await first.page.locator('select').selectOption(barbara.id);
    await first.page.waitForURL(/\/chart\/barbara$/);
    await expectPatient(first.page, first.app, barbara.id);
    expect(await first.app.getByText(ada).count()).toBe(0);
    expect(await second.app.getByRole('heading', { name: new RegExp(grace) }).count()).toBeGreaterThan(0);
    expect(await second.app.getByText(barbara.displayName).count()).toBe(0);
    await first.page.close();
    await second.page.close();
  });
});

describe('the sidebar while a read is slow', () => {
  it('shows the loading skeleton with its progress while a read is slow, then the card', async () => {
    // The audit trail answers only after two seconds: the sidebar must not stay on bare text.
    const slow = '**/api/audit/events?**';
    await env.browser.route(slow, async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      await route.continue();
    });
    try {
      const { page, app } = await env.openChart('ada');
      await app.getByRole('progressbar', { name: 'Evaluating care gaps' }).waitFor({ timeout: 30_000 });
      expect(await app.getByRole('region', { name: /^Colorectal cancer screening/ }).count()).toBe(0);
      await app.getByRole('region', { name: /^Colorectal cancer screening/ }).waitFor({ timeout: 30_000 });
      await page.close();
    } finally {
      await env.browser.unroute(slow);
    }
  });
});

describe('a browser that blocks every cookie (partitioned ones too)', () => {
  it('explains the block in the sidebar and offers the same, unused launch in its own window', async () => {
    const locked = await launchChromium({ profile: 'all-cookies-blocked' });
    try {
      const { page, app } = await openChart(locked.browser, 'ada');
      await app.getByRole('heading', { name: 'Your browser blocks Careloop inside the EHR' }).waitFor({ timeout: 30_000 });
      const src = (await page.locator('iframe#app-frame').getAttribute('src')) ?? '';
      const href = await app.getByRole('link', { name: 'Open Careloop in a new window' }).getAttribute('href');
      expect(href).toBe(src);
      // The launch was not spent: no code was exchanged in this browser.
      expect(await app.getByText(castMember('ada').displayName).count()).toBe(0);
    } finally {
      await locked.close();
    }
  });
});

describe("the README's quick start, followed by a newcomer in a default browser profile", () => {
  it('shows the patient list, opens a chart with Careloop and its card in the sidebar, and the app alone asks for a chart', async () => {
    const page = await defaultProfile.browser.newPage();
    try {
      await page.goto(env.sandbox.ehrUrl);
      for (const name of ['Ada Lovelace', 'Grace Murray', 'Margaret Hamilton']) await page.getByRole('link', { name }).waitFor({ timeout: 10_000 });
      await page.getByRole('link', { name: 'Ada Lovelace' }).click();
      const app = page.frameLocator('iframe#app-frame');
      const card = app.getByRole('region', { name: /^Colorectal cancer screening/ });
      await card.waitFor({ timeout: 30_000 });
      for (const name of ['Propose colorectal cancer screening', 'Why?', 'Not now', 'Dismiss']) {
        expect(await card.getByRole('button', { name }).count()).toBe(1);
      }
      await page.goto(env.sandbox.appUrl);
      await page.getByRole('heading', { name: 'Open Careloop from a patient chart' }).waitFor({ timeout: 30_000 });
    } finally {
      await page.close();
    }
  });
});
