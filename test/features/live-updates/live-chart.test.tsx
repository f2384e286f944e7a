/**
 * The sidebar updates on its own: a change on the live channel (or, with the channel down, found by
 * polling the FHIR server with `_lastUpdated`) re-reads Ada's record and the card changes, announced
 * politely without moving focus; an open confirm dialog stays open until the clinician closes it.
 */
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { beforeEach, describe, expect, it } from 'vitest';
import { resetCareGapUiStores } from '../../../src/features/care-gaps/ui-store.ts';
import type { LiveSource } from '../../../src/features/live-updates/live-updates-provider.tsx';
import { CODE } from '../../../src/shared/cast/index.ts';
import { server } from '../../msw/server.ts';
import type { FhirStore } from '../../msw/fhir-store.ts';
import { noAxeViolations } from '../../support/axe.ts';
import { AS_OF, BASE, castStore, renderChart } from '../render-chart.tsx';

const CARELOOP = 'https://careloop.example.org';
const TIMING = { pollMs: 50, pollIdleMaxMs: 100, pollErrorMaxMs: 200, reconnectMs: 50, reconnectMaxMs: 100 };

/** The server's change stream for the test to write to; counts how often it was opened. */
function liveChannel() {
  const encoder = new TextEncoder();
  const open: Array<ReadableStreamDefaultController<Uint8Array>> = [];
  const requests: Request[] = [];
  server.use(
    http.get(`${CARELOOP}/api/workflow/changes`, ({ request }) => {
      requests.push(request);
      const body = new ReadableStream<Uint8Array>({ start: (c) => void open.push(c) });
      return new HttpResponse(body, { headers: { 'content-type': 'text/event-stream' } });
    }),
  );
  return {
    requests,
    change(patient: string, resource: string) {
      for (const c of open) c.enqueue(encoder.encode(`event: change\nid: 7\ndata: ${JSON.stringify({ patient, resource, event: 7, at: new Date().toISOString() })}\n\n`));
    },
  };
}

function source(token = 'launch-token'): LiveSource {
  return { channel: { baseUrl: CARELOOP, fhirBase: BASE, accessToken: async () => token, fetch: (...args) => fetch(...args) }, timing: TIMING };
}

function fileNegativeFit(store: FhirStore): string {
  const fit = store.file({ resourceType: 'Observation', status: 'final', category: [CODE.laboratory], code: CODE.fit, subject: { reference: 'Patient/ada' }, effectiveDateTime: `${AS_OF}T09:00:00Z`, issued: `${AS_OF}T09:00:00Z`, valueString: 'Negative' });
  return `Observation/${fit.id}`;
}

const colorectal = () => screen.queryByRole('region', { name: /^Colorectal cancer screening/ });

beforeEach(() => resetCareGapUiStores());

describe('the live chart in the sidebar', { timeout: 20_000 }, () => {
  it('re-reads the record when the channel reports a change, ignores other patients, and announces it without moving focus', async () => {
    const store = castStore();
    const channel = liveChannel();
    renderChart('ada', { live: source() });
    const card = await screen.findByRole('region', { name: /^Colorectal cancer screening/ });
    await within(card).findByText(/^As of \d{2}:\d{2} · updates live$/);
    expect(channel.requests[0]?.headers.get('authorization')).toBe('Bearer launch-token');
    expect(channel.requests[0]?.url).not.toContain('launch-token');

    const folded = screen.getByRole('button', { name: /other open gaps/ });
    folded.focus();
    const reference = fileNegativeFit(store);
    channel.change('grace', reference);
    await new Promise((r) => setTimeout(r, 150));
    expect(colorectal()).toBeInTheDocument();

    channel.change('ada', reference);
    await waitFor(() => expect(colorectal()).not.toBeInTheDocument());
    const status = screen.getByText(/^Chart updated at \d{2}:\d{2}\. Gap closed: Colorectal cancer screening\.$/);
    expect(status).toHaveAttribute('aria-live', 'polite');
    expect(document.activeElement).toBe(folded);
    // The next gap takes the card's place.
    await waitFor(() => expect(document.getElementById('next-action-title')).toHaveTextContent(/^(?!Colorectal)\w/));
    await noAxeViolations(document.body);
  });

  it('keeps an open confirm dialog open when a change arrives, says so in it, and updates the card once it is closed', async () => {
    const store = castStore();
    const channel = liveChannel();
    renderChart('ada', { live: source() });
    const card = await screen.findByRole('region', { name: /^Colorectal cancer screening/ });
    await within(card).findByText(/· updates live$/);
    await userEvent.click(within(card).getByRole('button', { name: 'Propose colorectal cancer screening' }));
    const dialog = await screen.findByRole('dialog');
    const confirm = within(dialog).getByRole('button', { name: 'Confirm' });
    confirm.focus();

    channel.change('ada', fileNegativeFit(store));
    expect(await within(dialog).findByText(/The chart changed while this was open/)).toBeInTheDocument();
    await new Promise((r) => setTimeout(r, 150));
    expect(screen.getByRole('dialog')).toBe(dialog);
    expect(document.activeElement).toBe(confirm);
    // Behind the dialog (hidden from the accessibility tree while it is open), the card is unchanged.
    expect(screen.getByRole('region', { name: /^Colorectal cancer screening/, hidden: true })).toBeInTheDocument();

    await userEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(colorectal()).not.toBeInTheDocument());
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });

  it('keeps the Why panel open, offering the update instead of applying it', async () => {
    const store = castStore();
    const channel = liveChannel();
    renderChart('ada', { live: source() });
    const card = await screen.findByRole('region', { name: /^Colorectal cancer screening/ });
    await within(card).findByText(/· updates live$/);
    await userEvent.click(within(card).getByRole('button', { name: 'Why?' }));
    channel.change('ada', fileNegativeFit(store));
    const notice = await screen.findByText(/^The chart changed at \d{2}:\d{2}\. The care gaps update when you close what is open or move on\.$/);
    await noAxeViolations(document.body);
    expect(within(card).getByRole('region', { name: 'Why this is recommended' })).toBeInTheDocument();
    await userEvent.click(within(notice.closest('.MuiAlert-root') as HTMLElement).getByRole('button', { name: 'Update now' }));
    await waitFor(() => expect(colorectal()).not.toBeInTheDocument());
  });

  it('does not pull the card from under the keyboard focus: the change waits until the focus moves on', async () => {
    const store = castStore();
    const channel = liveChannel();
    renderChart('ada', { live: source() });
    const card = await screen.findByRole('region', { name: /^Colorectal cancer screening/ });
    await within(card).findByText(/· updates live$/);
    const action = within(card).getByRole('button', { name: 'Propose colorectal cancer screening' });
    action.focus();
    channel.change('ada', fileNegativeFit(store));
    await screen.findByText(/^The chart changed at \d{2}:\d{2}\./);
    expect(colorectal()).toBeInTheDocument();
    expect(document.activeElement).toBe(action);
    screen.getByRole('button', { name: /other open gaps/ }).focus();
    await waitFor(() => expect(colorectal()).not.toBeInTheDocument());
    expect(screen.queryByText(/^The chart changed at/)).not.toBeInTheDocument();
  });

  it('polls the FHIR server with _lastUpdated when the live channel is down, and the card still changes', async () => {
    const store = castStore();
    const searches: string[] = [];
    server.use(
      http.get(`${CARELOOP}/api/workflow/changes`, () => HttpResponse.json({ error: 'unavailable' }, { status: 503 })),
      http.get(`${BASE}/:type`, ({ request }) => {
        if (new URL(request.url).searchParams.has('_lastUpdated')) searches.push(request.url);
        return undefined;
      }),
    );
    renderChart('ada', { live: source() });
    const card = await screen.findByRole('region', { name: /^Colorectal cancer screening/ });
    await waitFor(() => expect(searches.length).toBeGreaterThan(0));
    await within(card).findByText(/^As of \d{2}:\d{2} · last checked \d{2}:\d{2}$/);
    fileNegativeFit(store);
    await waitFor(() => expect(colorectal()).not.toBeInTheDocument(), { timeout: 5000 });
    const polled = new URL(searches.find((u) => u.includes('/Observation?')) ?? '');
    expect(polled.searchParams.get('patient')).toBe('Patient/ada');
    expect(polled.searchParams.get('_lastUpdated')).toMatch(/^gt\d{4}-\d{2}-\d{2}T/);
    expect(screen.getByText(/Gap closed: Colorectal cancer screening/)).toBeInTheDocument();
  });

  it('polls with no audit server configured (no channel at all)', async () => {
    const store = castStore();
    renderChart('ada', { live: { channel: null, timing: TIMING } });
    await screen.findByRole('region', { name: /^Colorectal cancer screening/ });
    fileNegativeFit(store);
    await waitFor(() => expect(colorectal()).not.toBeInTheDocument(), { timeout: 5000 });
  });
});
