import { QueryClient } from '@tanstack/react-query';
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { AppShell } from '../../src/app/app-shell.tsx';
import { parseConfig } from '../../src/shared/app-config.ts';
import type { FhirGateway } from '../../src/fhir/gateway.ts';
import { ProblemError } from '../../src/shared/problem.ts';
import { careloopTheme } from '../../src/app/theme.ts';
import { parseSmartStyle } from '../../src/smart/style.ts';
import { castStore, sessionFor } from './render-chart.tsx';
import { ada, launchContext } from '../fixtures/charts.ts';
import { server, validConfig } from '../msw/server.ts';

const STYLE_URL = 'https://ehr.example.org/smart-style.json';

const gateway: FhirGateway = {
  serverUrl: 'https://ehr.example.org/fhir',
  async request<T>({ url }: { url: string }) {
    if (url === 'Patient/ada') return { status: 200, body: ada as T, headers: new Headers() };
    if (/^[A-Za-z]+\?/.test(url)) return { status: 200, body: { resourceType: 'Bundle', entry: [] } as T, headers: new Headers() };
    throw new ProblemError({ kind: 'not-found', what: url });
  },
};

function renderWithStyle(styleUrl: string | null) {
  const parsed = parseConfig(validConfig, 'x');
  if (!parsed.ok) throw new Error('config');
  const context = launchContext('ada', gateway.serverUrl, { smartStyleUrl: styleUrl });
  render(<AppShell session={{ context, fhir: gateway, config: parsed.config }} asOf="2026-11-23" queryClient={new QueryClient({ defaultOptions: { queries: { retry: false } } })} />);
}

/** A style document that sets every key SMART defines, each to a distinct value. */
const EVERY_KEY = {
  color_background: '#fdf6e3',
  color_error: '#9e2d2d',
  color_highlight: '#268bd2',
  color_modal_backdrop: 'rgba(10, 20, 30, 0.5)',
  color_success: '#498e49',
  color_text: '#303030',
  dim_border_radius: '7px',
  dim_font_size: '15px',
  dim_spacing_size: '20px',
  font_family_body: 'Georgia, Times, "Times New Roman", serif',
  // As the reference launcher writes it, with a trailing semicolon.
  font_family_heading: "'HelveticaNeue-Light', Helvetica, Arial, 'Lucida Grande', sans-serif;",
};

describe('smart_style_url', () => {
  it('parses every SMART style key', () => {
    expect(parseSmartStyle(EVERY_KEY)).toEqual({
      colorBackground: '#fdf6e3',
      colorError: '#9e2d2d',
      colorHighlight: '#268bd2',
      colorModalBackdrop: 'rgba(10, 20, 30, 0.5)',
      colorSuccess: '#498e49',
      colorText: '#303030',
      dimBorderRadius: 7,
      dimFontSize: 15,
      dimSpacingSize: 20,
      fontFamilyBody: 'Georgia, Times, "Times New Roman", serif',
      fontFamilyHeading: "'HelveticaNeue-Light', Helvetica, Arial, 'Lucida Grande', sans-serif",
    });
  });

  it('maps every key onto the theme element it styles', () => {
    const theme = careloopTheme(parseSmartStyle(EVERY_KEY));
    expect(theme.palette.background.default).toBe('#fdf6e3');
    expect(theme.palette.background.paper).toBe('#fdf6e3');
    expect(theme.palette.error.main).toBe('#9e2d2d');
    expect(theme.palette.primary.main).toBe('#268bd2');
    expect(theme.palette.success.main).toBe('#498e49');
    expect(theme.palette.text.primary).toBe('#303030');
    expect(theme.shape.borderRadius).toBe(7);
    expect(theme.typography.body2.fontSize).toBe(`${15 / 16}rem`);
    expect(theme.spacing(2)).toBe('20px');
    expect(theme.typography.fontFamily).toBe('Georgia, Times, "Times New Roman", serif');
    for (const variant of ['h1', 'h2', 'subtitle1', 'subtitle2'] as const) expect(theme.typography[variant].fontFamily).toBe("'HelveticaNeue-Light', Helvetica, Arial, 'Lucida Grande', sans-serif");
  });

  it('applies a style document with every key to the panel, the card and the confirm dialog', async () => {
    castStore();
    server.use(http.get(STYLE_URL, () => HttpResponse.json(EVERY_KEY)));
    const session = sessionFor('ada');
    render(<AppShell session={{ ...session, context: { ...session.context, smartStyleUrl: STYLE_URL } }} asOf="2026-11-23" queryClient={new QueryClient({ defaultOptions: { queries: { retry: false } } })} />);
    const card = await screen.findByRole('region', { name: /^Colorectal cancer screening/ });
    await waitFor(() => expect(getComputedStyle(document.body).backgroundColor).toBe('rgb(253, 246, 227)'));
    expect(getComputedStyle(document.body).color).toBe('rgb(48, 48, 48)');
    expect(getComputedStyle(document.body).fontFamily).toContain('Georgia');
    expect(getComputedStyle(screen.getByRole('heading', { level: 1, name: 'Ada Lovelace' })).fontFamily).toContain('HelveticaNeue-Light');
    expect(getComputedStyle(within(card).getByRole('heading', { level: 2 })).fontFamily).toContain('HelveticaNeue-Light');
    expect(getComputedStyle(screen.getByText(/^As of \d/)).fontFamily).toContain('Georgia');
    const order = within(card).getByRole('button', { name: 'Propose colorectal cancer screening' });
    // MUI paints a contained button through a custom property, which jsdom does not resolve.
    expect(getComputedStyle(order).getPropertyValue('--variant-containedBg').trim()).toBe('#268bd2');
    expect(getComputedStyle(order).borderRadius).toBe('7px');
    expect(getComputedStyle(card).borderRadius).toBe('7px');
    expect(getComputedStyle(screen.getByRole('banner', { name: 'Patient' })).paddingLeft).toBe('20px');
    await userEvent.click(order);
    const dialog = await screen.findByRole('dialog');
    const backdrop = dialog.closest('.MuiDialog-root')?.querySelector('.MuiBackdrop-root');
    expect(backdrop).toBeTruthy();
    expect(getComputedStyle(backdrop as Element).backgroundColor).toBe('rgba(10, 20, 30, 0.5)');
  });

  it('keeps the default look when the style document cannot be read', async () => {
    server.use(http.get(STYLE_URL, () => new HttpResponse(null, { status: 500 })));
    renderWithStyle(STYLE_URL);
    expect(await screen.findByRole('heading', { name: 'Ada Lovelace' })).toBeInTheDocument();
  });

  it.each([
    ['color_background', 'url(javascript:alert(1))'],
    ['color_text', 'red; background-image: url(https://evil.example/x)'],
    ['color_highlight', 'expression(alert(1))'],
    ['color_error', '</style><script>alert(1)</script>'],
    ['color_success', 'var(--x)'],
    ['color_modal_backdrop', ''],
    ['dim_border_radius', 'calc(100% - 1px)'],
    ['dim_font_size', '1e9px'],
    ['dim_font_size', '400px'],
    ['dim_spacing_size', '10vw'],
    ['font_family_body', '}</style><script>'],
    ['font_family_heading', 'Arial; } body { display: none'],
    ['font_family_heading', 'x, url(a)'],
  ])('ignores %s = %j: only plain colours, lengths and font names pass', (key, value) => {
    const parsed = parseSmartStyle({ ...EVERY_KEY, [key]: value });
    const nulls = Object.entries(parsed).filter(([, v]) => v === null).map(([k]) => k);
    expect(nulls).toEqual([key.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase())]);
  });

  it('ignores a document that is not an object', () => {
    for (const raw of [null, 'x', [EVERY_KEY], 42]) expect(Object.values(parseSmartStyle(raw)).every((v) => v === null)).toBe(true);
  });
});
