/**
 * An admin lists official measure packages in careloop.config.json: the card loads them with the
 * rules, a measure no Careloop rule reports shows as "Review: <title>" with a Task action, and a
 * package that cannot be loaded leaves the card working.
 */
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { describe, expect, it, vi } from 'vitest';
import { bundle, colonoscopyMeasure, packageParts } from '../fixtures/measure/package.ts';
import { server } from '../msw/server.ts';
import { castStore, renderChart } from './render-chart.tsx';

const PACKAGE = 'packages/colonoscopy-measure.json';

/** A finished office visit this year, so the test measure's initial population includes the patient. */
function officeVisit(patient: string) {
  return {
    resourceType: 'Encounter',
    id: `${patient}-office-2026`,
    status: 'finished',
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
    type: [{ coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: '99213' }] }],
    subject: { reference: `Patient/${patient}` },
    period: { start: '2026-03-04', end: '2026-03-04' },
  };
}

/** Unfolds the other open gaps and focuses the review card. */
async function focusReview(): Promise<HTMLElement> {
  await userEvent.click(await screen.findByRole('button', { name: /other open gaps?$/ }, { timeout: 5000 }));
  await userEvent.click(screen.getByRole('button', { name: 'Focus on Review: Colonoscopy in the last ten years' }));
  return screen.findByRole('region', { name: /Review: Colonoscopy in the last ten years/ });
}

describe('measure packages from the deployment config', () => {
  it('shows a loaded measure no Careloop rule reports as "Review: <title>" with a Task action', async () => {
    const store = castStore();
    store.seed(officeVisit('ada'));
    server.use(http.get(`*/${PACKAGE}`, () => HttpResponse.json(bundle([colonoscopyMeasure(), ...packageParts()]))));
    renderChart('ada', { config: { measurePackages: [PACKAGE] } });
    const review = await focusReview();
    expect(within(review).getByRole('button', { name: 'Create a review task' })).toBeInTheDocument();
  });

  it('keeps the card working, without the package, when a configured package cannot be loaded', async () => {
    castStore();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    server.use(http.get(`*/${PACKAGE}`, () => new HttpResponse('not json', { status: 200, headers: { 'content-type': 'application/json' } })));
    renderChart('ada', { config: { measurePackages: [PACKAGE] } });
    expect(await screen.findByRole('region', { name: /Colorectal cancer screening/ }, { timeout: 5000 })).toBeInTheDocument();
    expect(warn).toHaveBeenCalledWith(expect.stringContaining(PACKAGE));
    expect(screen.queryByText(/Review: Colonoscopy/)).toBeNull();
    warn.mockRestore();
  });
});
