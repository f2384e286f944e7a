import { QueryClient } from '@tanstack/react-query';
import { render, screen, within } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { AppShell } from '../../src/app/app-shell';
import { parseConfig } from '../../src/app/config';
import type { FhirGateway } from '../../src/fhir/gateway';
import { ProblemError, problemFromStatus } from '../../src/shared/problem';
import { getOpenTasks } from '../../src/fhir/get-open-tasks';
import type { SessionValue } from '../../src/fhir/session-context';
import type { PatientId } from '../../src/shared/ids';
import { ada, launchContext, outreachTask } from '../fixtures/charts';
import { ISS } from '../msw/fake-ehr';
import { emptyRecord, server, validConfig } from '../msw/server';

/** A gateway straight over fetch (msw answers), standing in for the SMART client. */
const plainGateway: FhirGateway = {
  serverUrl: ISS,
  async request<T>({ url }: { url: string }) {
    const response = await fetch(new URL(url, `${ISS}/`));
    if (!response.ok) throw new ProblemError(problemFromStatus(response.status, { what: 'Task' }));
    return { status: response.status, body: (await response.json()) as T, headers: response.headers };
  },
};

function taskPages(tasks: ReturnType<typeof outreachTask>[], pageSize: number) {
  return http.get(`${ISS}/Task`, ({ request }) => {
    const url = new URL(request.url);
    const offset = Number(url.searchParams.get('_offset') ?? 0);
    const link = [{ relation: 'self', url: request.url }];
    if (offset + pageSize < tasks.length) {
      const next = new URL(url);
      next.searchParams.set('_offset', String(offset + pageSize));
      link.push({ relation: 'next', url: next.href });
    }
    return HttpResponse.json({ resourceType: 'Bundle', type: 'searchset', total: tasks.length, link, entry: tasks.slice(offset, offset + pageSize).map((resource) => ({ resource })) });
  });
}

const tasks = (n: number) => Array.from({ length: n }, (_, i) => outreachTask(`t${i + 1}`, 'ada', `Outreach ${i + 1}`));

describe('open tasks', () => {
  it('asks for the patient’s open statuses by reference, with a page size', async () => {
    let asked: URL | null = null;
    server.use(
      http.get(`${ISS}/Task`, ({ request }) => {
        asked = new URL(request.url);
        return HttpResponse.json({ resourceType: 'Bundle', type: 'searchset', entry: [] });
      }),
    );
    await getOpenTasks(plainGateway, 'ada' as PatientId, 50, 3);
    const q = (asked as URL | null)?.searchParams;
    expect(q?.get('patient')).toBe('Patient/ada');
    expect(q?.get('status')).toBe('requested,received,accepted,ready,in-progress,on-hold');
    expect(q?.get('_count')).toBe('50');
  });

  it('follows next links until the list ends', async () => {
    server.use(taskPages(tasks(5), 2));
    const list = await getOpenTasks(plainGateway, 'ada' as PatientId, 2, 10);
    expect(list.items.map((t) => t.id)).toEqual(['t1', 't2', 't3', 't4', 't5']);
    expect(list.truncated).toBe(false);
  });

  it('stops at the page cap and says the list was cut', async () => {
    server.use(taskPages(tasks(5), 2));
    const list = await getOpenTasks(plainGateway, 'ada' as PatientId, 2, 2);
    expect(list.items).toHaveLength(4);
    expect(list.truncated).toBe(true);
    expect(list.total).toBe(5);
  });

  it('does not loop on a server whose next link points back to the same page', async () => {
    server.use(
      http.get(`${ISS}/Task`, ({ request }) =>
        HttpResponse.json({ resourceType: 'Bundle', type: 'searchset', link: [{ relation: 'next', url: request.url }], entry: [{ resource: tasks(1)[0] }] }),
      ),
    );
    const list = await getOpenTasks(plainGateway, 'ada' as PatientId, 2, 10);
    expect(list.items).toHaveLength(1);
  });

  it('skips entries that are not Tasks instead of showing them', async () => {
    server.use(
      http.get(`${ISS}/Task`, () =>
        HttpResponse.json({ resourceType: 'Bundle', type: 'searchset', entry: [{ resource: tasks(1)[0] }, { resource: { resourceType: 'Patient', id: 'x' } }, {}] }),
      ),
    );
    const list = await getOpenTasks(plainGateway, 'ada' as PatientId, 2, 10);
    expect(list.items).toHaveLength(1);
    expect(list.skipped).toBe(2);
  });

  it('tells the clinician on screen when the cap cut the list', async () => {
    server.use(taskPages(tasks(5), 2), http.get(`${ISS}/Patient/ada`, () => HttpResponse.json(ada)), emptyRecord(ISS));
    const parsed = parseConfig(validConfig, 'x');
    if (!parsed.ok) throw new Error('config');
    const context = launchContext('ada', ISS);
    const session: SessionValue = { context, fhir: plainGateway, config: parsed.config };
    render(<AppShell session={session} asOf="2026-11-23" queryClient={new QueryClient({ defaultOptions: { queries: { retry: false } } })} />);
    const list = await screen.findByRole('list', { name: 'Open tasks' });
    expect(within(list).getAllByRole('listitem')).toHaveLength(4);
    expect(screen.getByText('Showing the first 4 open tasks of 5; the rest are in the EHR.')).toBeInTheDocument();
    expect(screen.getByText('No encounter in context')).toBeInTheDocument();
  });
});
