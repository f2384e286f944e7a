import { QueryClient } from '@tanstack/react-query';
import { render, screen, waitFor } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { AppShell } from '../../src/app/app-shell';
import { parseConfig } from '../../src/app/config';
import { FhirRequestError, type FhirGateway } from '../../src/fhir/gateway';
import { parseSmartStyle } from '../../src/smart/style';
import { ada, launchContext } from '../fixtures/charts';
import { server, validConfig } from '../msw/server';

const STYLE_URL = 'https://ehr.example.org/smart-style.json';

const gateway: FhirGateway = {
  serverUrl: 'https://ehr.example.org/fhir',
  async request<T>({ url }: { url: string }) {
    if (url === 'Patient/ada') return { status: 200, body: ada as T, headers: new Headers() };
    if (/^[A-Za-z]+\?/.test(url)) return { status: 200, body: { resourceType: 'Bundle', entry: [] } as T, headers: new Headers() };
    throw new FhirRequestError({ kind: 'server-error', what: url, status: 404 }, 404);
  },
};

function renderWithStyle(styleUrl: string | null) {
  const parsed = parseConfig(validConfig, 'x');
  if (!parsed.ok) throw new Error('config');
  const context = launchContext('ada', gateway.serverUrl, { smartStyleUrl: styleUrl });
  render(<AppShell session={{ context, fhir: gateway, config: parsed.config }} asOf="2026-11-23" queryClient={new QueryClient({ defaultOptions: { queries: { retry: false } } })} />);
}

describe('smart_style_url', () => {
  it('applies the EHR’s background colour and font to the panel', async () => {
    server.use(http.get(STYLE_URL, () => HttpResponse.json({ color_background: '#fdf6e3', color_highlight: '#268bd2', font_family: 'Verdana, sans-serif' })));
    renderWithStyle(STYLE_URL);
    await screen.findByRole('heading', { name: 'Ada Lovelace' });
    await waitFor(() => expect(getComputedStyle(document.body).backgroundColor).toBe('rgb(253, 246, 227)'));
    expect(getComputedStyle(document.body).fontFamily).toContain('Verdana');
  });

  it('keeps the default look when the style document cannot be read', async () => {
    server.use(http.get(STYLE_URL, () => new HttpResponse(null, { status: 500 })));
    renderWithStyle(STYLE_URL);
    expect(await screen.findByRole('heading', { name: 'Ada Lovelace' })).toBeInTheDocument();
  });

  it('ignores values that are not plain colours or font names', () => {
    expect(parseSmartStyle({ color_background: 'url(javascript:alert(1))', font_family: '}</style><script>', color_highlight: '#abc' })).toEqual({
      background: null,
      highlight: '#abc',
      text: null,
      fontFamily: null,
    });
  });
});
