/**
 * The cast as a tested contract: every member's headline card (or "no open care gaps") in real
 * Chromium through the sandbox chart, as the README's cast table says, with axe at 0 violations on
 * each. The cast is built from today's date, the day the app evaluates as of, so what is asserted
 * holds on any day the suite runs.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Frame, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isoDate, parseReferenceDate, shift } from '../../src/shared/cast/index.ts';
import { startE2e, type E2eEnv } from './support/sandbox.ts';

const TODAY = new Date().toISOString().slice(0, 10);
const ref = parseReferenceDate(TODAY);
const ago = (delta: { years?: number; months?: number }) => isoDate(shift(ref, { years: -(delta.years ?? 0), months: -(delta.months ?? 0) }));
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let env: E2eEnv;

beforeAll(async () => {
  env = await startE2e({ referenceDate: TODAY, skipLargeRecord: false });
}, 240_000);
afterAll(async () => {
  await env?.close();
});

/** The sidebar's frame, once the app has rendered the card or its "no open gaps" line. */
async function appFrame(page: Page): Promise<Frame> {
  const handle = await page.waitForSelector('iframe#app-frame');
  const frame = await handle.contentFrame();
  if (!frame) throw new Error('no app frame');
  await frame.waitForSelector('section[aria-label="Care gaps"] :is(h2#next-action-title, p:text-matches("^No open care gaps"))', { timeout: 90_000 });
  return frame;
}

/** axe-core in the page itself (real layout, colours and contrast): the violations' ids and targets. */
async function axeViolations(frame: Frame): Promise<string[]> {
  // Evaluated through the DevTools protocol: the app's Content-Security-Policy (script-src 'self')
  // refuses an injected <script>, as it should.
  await frame.evaluate(AXE_SOURCE);
  return frame.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(): Promise<{ violations: { id: string; nodes: { target: unknown[] }[] }[] }> } }).axe;
    const result = await axe.run();
    return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`);
  });
}

/** Waits until no CSS transition runs (a dialog fading in would measure as low contrast). */
async function settled(frame: Frame): Promise<void> {
  await frame.waitForFunction(() => document.getAnimations().every((a) => a.playState !== 'running'), undefined, { timeout: 5_000 });
}

/** What each cast member's chart shows first (README, "The cast"). */
const HEADLINES: ReadonlyArray<{ id: string; card: RegExp | null; timing: string | null; also?: RegExp }> = [
  { id: 'ada', card: /^Colorectal cancer screening: Last colonoscopy on /, timing: `Overdue since ${ago({ years: 2 })}` },
  { id: 'grace', card: null, timing: null },
  { id: 'margaret', card: null, timing: null },
  { id: 'alan', card: null, timing: null },
  { id: 'katherine', card: /^Diabetes: HbA1c\/GMI above 9% or missing: Could not be assessed: An HbA1c\/GMI result has no usable date\.$/, timing: 'Needs review · could not be assessed' },
  { id: 'claude', card: /^Diabetes: HbA1c\/GMI above 9% or missing: Most recent HbA1c\/GMI 9\.8 % on /, timing: `Needs attention · result of ${ago({ months: 2 })}` },
  { id: 'barbara', card: /^Controlling high blood pressure: Most recent blood pressure 150\/95 mmHg /, timing: `Needs attention · result of ${ago({ months: 1 })}` },
  { id: 'donald', card: /^Colorectal cancer screening: Last colonoscopy on /, timing: `Overdue since ${ago({ years: 1 })}` },
  { id: 'john', card: /^Pneumococcal vaccination \(65\+\): No pneumococcal vaccine on record/, timing: 'Due · nothing on record' },
];

describe('the cast, as a clinician meets it', () => {
  it.each(HEADLINES)('$id: the headline card the README promises, and no axe violations', async ({ id, card, timing }) => {
    const { page } = await env.openChart(id);
    try {
      const frame = await appFrame(page);
      const heading = frame.locator('h2#next-action-title');
      if (card === null) {
        expect(await heading.count()).toBe(0);
        expect(await frame.getByText(`No open care gaps as of ${TODAY}.`).count()).toBe(1);
      } else {
        expect(await heading.textContent()).toMatch(card);
        expect(await frame.getByText(timing ?? '', { exact: true }).count()).toBe(1);
      }
      if (id === 'margaret') {
        await frame.getByRole('button', { name: 'What is not shown' }).click();
        expect(await frame.getByRole('listitem').first().textContent()).toMatch(new RegExp(`^Not shown: hospice care since ${ago({ months: 2 })} \\(Colorectal cancer screening`));
      }
      if (id === 'katherine') {
        await frame.getByRole('button', { name: /could not be assessed$/ }).click();
        expect(await frame.getByRole('list', { name: 'Rules that could not be assessed' }).textContent()).toContain('An HbA1c/GMI result has no usable date.');
      }
      expect(await frame.getByText(/Signed in as Dr\. Elizabeth Blackwell/).count()).toBe(1);
      expect(await axeViolations(frame)).toEqual([]);
    } finally {
      await page.close();
    }
  }, 120_000);

  it('has no axe violations in any state of a decision: why, confirm, saved, the snooze dialog, snoozed', async () => {
    const found: string[] = [];
    const check = async (frame: Frame, state: string) => found.push(...(await axeViolations(frame)).map((v) => `${state}: ${v}`));
    {
      const { page } = await env.openChart('claude');
      const frame = await appFrame(page);
      await frame.getByRole('button', { name: 'Why?' }).click();
      await frame.getByRole('region', { name: 'Why this is recommended' }).waitFor();
      await check(frame, 'why');
      await frame.getByRole('button', { name: 'Create a diabetes treatment review task' }).click();
      await frame.getByRole('dialog').waitFor();
      await settled(frame);
      await check(frame, 'confirm');
      await frame.getByRole('dialog').getByRole('button', { name: 'Confirm' }).click();
      await frame.getByText(/^Saved to the EHR: a task for the care team/).waitFor({ timeout: 15_000 });
      // Focus is on the result message, a live region, not on <body>.
      expect(await frame.evaluate(() => document.activeElement?.getAttribute('role'))).toBe('status');
      await check(frame, 'saved');
      await page.close();
    }
    {
      const { page } = await env.openChart('barbara');
      const frame = await appFrame(page);
      await frame.getByRole('button', { name: 'Not now' }).click();
      const dialog = frame.getByRole('dialog');
      await dialog.waitFor();
      await settled(frame);
      await check(frame, 'snooze dialog');
      await dialog.getByRole('radio', { name: 'Address at the next visit' }).check();
      await dialog.getByRole('button', { name: 'Snooze' }).click();
      await frame.getByRole('button', { name: 'Undo' }).waitFor();
      expect(await frame.locator('h2#next-action-title').textContent()).not.toMatch(/blood pressure/i);
      await check(frame, 'snoozed');
      await page.close();
    }
    expect(found).toEqual([]);
  }, 120_000);
});
