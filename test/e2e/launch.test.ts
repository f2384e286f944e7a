import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { castMember } from '../../src/shared/cast/index.ts';
import { startE2e, type E2eEnv } from './support/sandbox.ts';

let env: E2eEnv;

beforeAll(async () => {
  env = await startE2e();
});
afterAll(async () => {
  await env?.close();
});

describe('EHR launch in the chart sidebar', () => {
  it("opens Ada's chart, launches the app cross-site in the iframe, and the app shows Ada", async () => {
    const ada = castMember('ada');
    const { page, app } = await env.openChart(ada.id);
    const src = (await page.locator('iframe#app-frame').getAttribute('src')) ?? '';
    const launchUrl = new URL(src);
    expect(`${launchUrl.origin}${launchUrl.pathname}`).toBe(`${env.sandbox.appUrl}/launch.html`);
    expect(launchUrl.searchParams.get('iss')).toBe(env.sandbox.fhirBase);
    expect(new URL(env.sandbox.appUrl).hostname).not.toBe(new URL(env.sandbox.fhirBase).hostname);

    try {
      await app.getByRole('heading', { name: new RegExp(ada.displayName) }).first().waitFor({ timeout: 30_000 });
    } catch (err) {
      const frameUrls = page.frames().map((f) => f.url());
      throw new Error(`The app did not show ${ada.displayName}. Frames: ${frameUrls.join(' | ')}\nLogs:\n${env.logs.join('\n')}`, { cause: err });
    }
    // The real protocol ran: a code bound to Ada was issued and redeemed.
    const redeemed = [...env.sandbox.ctx.codes.values()].filter((g) => g.used && g.patient === ada.id);
    expect(redeemed).toHaveLength(1);
    // Nothing was written back just by opening the chart.
    expect(env.sandbox.ctx.writes).toEqual([]);
    expect(await env.resources('Patient', ada.id)).toHaveLength(1);
    await page.close();
  });

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

  it('relaunches for the new patient when the clinician switches patient', async () => {
    const grace = castMember('grace');
    const { page, app } = await env.openChart('ada');
    await page.locator('select').selectOption(grace.id);
    await page.waitForURL(/\/chart\/grace$/);
    await app.getByRole('heading', { name: new RegExp(grace.displayName) }).first().waitFor({ timeout: 30_000 });
    await page.close();
  });
});

describe('a browser that blocks third-party storage', () => {
  it('explains the block in the sidebar and offers the same launch in its own window, where it works', async () => {
    const { launchChromium } = await import('./support/sandbox.ts');
    const locked = await launchChromium({ thirdPartyStorage: 'blocked' });
    try {
      const page = await locked.browser.newPage();
      await page.goto(env.sandbox.chartUrl('ada'));
      const app = page.frameLocator('iframe#app-frame');
      await app.getByRole('heading', { name: 'Your browser blocks Careloop inside the EHR' }).waitFor({ timeout: 30_000 });
      const [popup] = await Promise.all([page.waitForEvent('popup'), app.getByRole('link', { name: 'Open Careloop in a new window' }).click()]);
      await popup.getByRole('heading', { name: /Ada Lovelace/ }).first().waitFor({ timeout: 30_000 });
    } finally {
      await locked.close();
    }
  });
});
