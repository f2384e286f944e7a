/**
 * The live chart in Chromium, through the sandbox chart: Careloop open in the sidebar, a result
 * arrives ("Simulate: result arrives"), and the card changes on its own — within 5 s through the
 * workflow service's live channel, with no relaunch; and with that channel cut, by polling the FHIR
 * server. Screenshots of the sidebar after each change go to .tmp/.
 */
import { mkdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Frame, Page } from 'playwright-core';
import { REPO_ROOT } from '../../src/sandbox/index.ts';
import { startE2e, type E2eEnv } from './support/sandbox.ts';

let env: E2eEnv;
const SHOTS = `${REPO_ROOT}/.tmp`;

beforeAll(async () => {
  env = await startE2e();
  await mkdir(SHOTS, { recursive: true });
}, 240_000);
afterAll(async () => {
  await env?.close();
});

function sidebar(page: Page): Frame {
  const frame = page.frame({ name: 'careloop' });
  if (!frame) throw new Error('no sidebar frame');
  return frame;
}

async function subscribed(patient: string): Promise<boolean> {
  const res = await fetch(`${env.sandbox.ehrUrl}_admin/subscriptions`);
  const { subscriptions } = (await res.json()) as { subscriptions: Array<{ status?: string; _criteria?: { extension?: Array<{ valueString?: string }> } }> };
  return subscriptions.some((s) => s.status === 'active' && s._criteria?.extension?.some((e) => e.valueString === `patient=Patient/${patient}`));
}

describe('the sidebar updates on its own', () => {
  it('Ada\'s chart open → a negative FIT arrives → the card changes within 5 s, with no relaunch, announced politely', async () => {
    const { page, app } = await env.openChart('ada');
    const card = app.getByRole('region', { name: /^Colorectal cancer screening/ });
    await card.waitFor({ timeout: 60_000 });
    await card.getByText(/· updates live$/).waitFor({ timeout: 15_000 });
    // The sidebar's channel made the workflow service subscribe to Ada's chart.
    for (let i = 0; i < 100 && !(await subscribed('ada')); i++) await new Promise((r) => setTimeout(r, 50));
    expect(await subscribed('ada')).toBe(true);
    const launches = env.sandbox.ctx.launches.size;
    await sidebar(page).evaluate(() => Object.assign(window, { careloopMarker: 'same page' }));

    const started = Date.now();
    await page.getByTestId('simulate-result').click();
    await card.waitFor({ state: 'detached', timeout: 5_000 });
    const elapsed = Date.now() - started;
    expect(elapsed).toBeLessThan(5_000);

    // The same app page, not a relaunch.
    expect(await sidebar(page).evaluate(() => (window as unknown as { careloopMarker?: string }).careloopMarker)).toBe('same page');
    expect(env.sandbox.ctx.launches.size).toBe(launches);
    await app.getByText(/^Chart updated at \d{2}:\d{2}\. Gap closed: Colorectal cancer screening\.$/).waitFor();
    expect(await app.getByText(/^Chart updated at/).getAttribute('aria-live')).toBe('polite');
    // The FIT is in the chart, filed by the EHR.
    const fits = (await env.resources('Observation', 'ada')).filter((o) => o.valueString === 'Negative');
    expect(fits).toHaveLength(1);
    await page.locator('iframe#app-frame').screenshot({ path: `${SHOTS}/live-ada-after-fit.png` });
    console.info(`live chart: FIT filed → card changed in ${elapsed} ms`);
  }, 120_000);

  it('with the live channel cut, polling the FHIR server still brings Claude\'s new HbA1c to the card', async () => {
    // The push channel is cut for this browser: the sidebar falls back to polling.
    await env.browser.route('**/api/workflow/changes**', (route) => route.fulfill({ status: 503, body: 'cut', headers: { 'retry-after': '60' } }));
    try {
      const { page, app } = await env.openChart('claude');
      const card = app.getByRole('region', { name: /^Diabetes/ });
      await card.waitFor({ timeout: 60_000 });
      await expect(card.getByRole('heading', { level: 2 }).textContent()).resolves.toMatch(/9\.8/);
      const started = Date.now();
      await page.getByTestId('simulate-result').click();
      await page.getByText(/^Filed Observation\//).waitFor({ timeout: 5_000 });
      await app.getByText(/^Chart updated at \d{2}:\d{2}\. Gap closed: Diabetes/).waitFor({ timeout: 60_000 });
      console.info(`live chart by polling: HbA1c filed → card changed in ${Date.now() - started} ms`);
      const asOf = app.getByText(/^As of \d{2}:\d{2} · last checked \d{2}:\d{2}$/).first();
      await asOf.waitFor({ timeout: 30_000 });
      await page.locator('iframe#app-frame').screenshot({ path: `${SHOTS}/live-claude-after-poll.png` });
    } finally {
      await env.browser.unroute('**/api/workflow/changes**');
    }
  }, 150_000);
});
