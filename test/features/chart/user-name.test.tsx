import { QueryClient } from '@tanstack/react-query';
import { render, screen } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { beforeEach, describe, expect, it } from 'vitest';
import { AppShell } from '../../../src/app/app-shell.tsx';
import { formatHumanName } from '../../../src/features/chart/user-name.ts';
import { resetCareGapUiStores } from '../../../src/features/care-gaps/ui-store.ts';
import { server } from '../../msw/server.ts';
import { AS_OF, BASE, castStore, renderChart, sessionFor } from '../render-chart.tsx';

beforeEach(() => resetCareGapUiStores());

describe('who is signed in, in words', () => {
  it('names the clinician from the id_token’s name claim', async () => {
    castStore();
    const session = sessionFor('ada');
    render(<AppShell session={{ ...session, context: { ...session.context, userName: 'Elizabeth Blackwell, MD' } }} asOf={AS_OF} queryClient={new QueryClient({ defaultOptions: { queries: { retry: false } } })} />);
    expect(await screen.findByText('Signed in as Elizabeth Blackwell, MD')).toBeInTheDocument();
  });

  it('reads the fhirUser resource when the scopes allow it', async () => {
    castStore();
    server.use(http.get(`${BASE}/Practitioner/blackwell`, () => HttpResponse.json({ resourceType: 'Practitioner', id: 'blackwell', name: [{ use: 'official', prefix: ['Dr.'], given: ['Liz'], family: 'Blackwell' }] })));
    const session = sessionFor('ada');
    render(<AppShell session={{ ...session, context: { ...session.context, scopes: [...session.context.scopes, 'user/Practitioner.rs'] } }} asOf={AS_OF} queryClient={new QueryClient({ defaultOptions: { queries: { retry: false } } })} />);
    expect(await screen.findByText('Signed in as Dr. Liz Blackwell')).toBeInTheDocument();
  });

  it('uses the name the EHR gave the same user on the encounter, never the bare reference, when that is all there is', async () => {
    castStore();
    renderChart('ada');
    expect(await screen.findByText('Signed in as Dr. Elizabeth Blackwell')).toBeInTheDocument();
    expect(screen.queryByText(/Practitioner\/blackwell/)).toBeNull();
  });

  it('shows an open task’s status in words', async () => {
    castStore();
    renderChart('donald');
    const tasks = await screen.findByRole('list', { name: 'Open tasks' });
    expect(tasks).toHaveTextContent(/Requested · \d{4}-\d{2}-\d{2}/);
  });

  it('formats a HumanName as a clinician writes it', () => {
    expect(formatHumanName({ prefix: ['Dr.'], given: ['Grace', 'Brewster'], family: 'Hopper' })).toBe('Dr. Grace Brewster Hopper');
    expect(formatHumanName({ text: ' Adm. Hopper ' })).toBe('Adm. Hopper');
    expect(formatHumanName({})).toBeNull();
  });
});
