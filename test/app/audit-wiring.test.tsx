import { QueryClient } from '@tanstack/react-query';
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { beforeEach, describe, expect, it } from 'vitest';
import { AppShell } from '../../src/app/app-shell.tsx';
import { auditFor } from '../../src/app/audit-for.ts';
import { outboxKey } from '../../src/audit/index.ts';
import { resetCareGapUiStores } from '../../src/features/care-gaps/ui-store.ts';
import { careloopPreventive } from '../../src/rules/index.ts';
import { auditBatchSchema, type AuditEntry } from '../../src/shared/audit-event.ts';
import { BASE, castStore, line, sessionFor } from '../features/render-chart.tsx';
import { server } from '../msw/server.ts';
import { denyBrowserStorage } from '../support/deny-storage.ts';

const AUDIT = 'https://audit.example.org';

function auditSession() {
  const session = sessionFor('ada');
  return { ...session, config: { ...session.config, auditApiBaseUrl: AUDIT } };
}

function snoozeEntry(): AuditEntry {
  return {
    id: '7d0d8a52-52c5-4b8e-9a55-0a4c9ab0c001',
    clientTime: '2026-11-20T10:00:00.000Z',
    patient: 'ada',
    encounter: null,
    action: 'snoozed',
    ruleId: 'colorectal-cancer-screening',
    ruleVersion: '1.1.0',
    packDigest: null,
    logic: null,
    evidence: null,
    evidenceDigest: null,
    outcome: null,
    correlationId: null,
    appVersion: '0.1.0',
    snoozeUntil: '2026-12-31',
    reason: 'next-visit',
    seq: 1,
    serverTime: '2026-11-20T10:00:00.100Z',
    actor: { sub: 'u1', fhirUser: 'Practitioner/blackwell', clientId: 'careloop', issuer: BASE },
    prevHash: '0'.repeat(64),
    hash: 'a'.repeat(64),
  };
}

beforeEach(() => resetCareGapUiStores());

describe('the audit trail from the app', () => {
  it('queues "confirmed" durably before the write is sent, then delivers the decision with the token', async () => {
    const store = castStore();
    // castStore() installed the FHIR handlers; the write spy below goes in front of them.
    const received: { action: string; ruleId?: string; correlationId?: string; outcome?: { reference?: string }; logic?: unknown }[] = [];
    const refused: unknown[] = [];
    const authorizations = new Set<string | null>();
    let outboxAtWrite: string | null = null;
    let deliveredAtWrite: string[] = [];
    server.use(
      http.get(`${AUDIT}/api/audit/events`, () => HttpResponse.json({ records: [], nextCursor: null })),
      http.post(`${AUDIT}/api/audit/events`, async ({ request }) => {
        authorizations.add(request.headers.get('authorization'));
        const raw: unknown = await request.json();
        // What the audit server would accept: the shared schema.
        if (!auditBatchSchema.safeParse(raw).success) refused.push(raw);
        const body = raw as { events: typeof received };
        received.push(...body.events);
        return HttpResponse.json({ results: body.events.map((e, i) => ({ id: (e as { id?: string }).id, status: 'created', seq: i + 1, hash: 'b'.repeat(64) })) });
      }),
      http.post(`${BASE}/ServiceRequest`, () => {
        // Look at the outbox and what the audit server already has at the moment the write arrives.
        const session = auditSession();
        outboxAtWrite = sessionStorage.getItem(outboxKey(session.context.launchKey));
        deliveredAtWrite = received.map((e) => e.action);
        return undefined;
      }),
    );
    const session = auditSession();
    const { port, client } = auditFor(session, async () => 'the-access-token');
    render(<AppShell session={session} asOf="2026-11-23" queryClient={new QueryClient({ defaultOptions: { queries: { retry: false } } })} audit={port} auditStatus={client} />);

    const card = await screen.findByRole('region', { name: /^Colorectal cancer screening/ });
    await userEvent.click(within(card).getByRole('button', { name: 'Propose colorectal cancer screening' }));
    await userEvent.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Confirm' }));
    await screen.findByText(/^Saved to the EHR: a proposal for/);

    expect(deliveredAtWrite.includes('confirmed') || (outboxAtWrite ?? '').includes('"confirmed"')).toBe(true);
    expect(store.all('ServiceRequest').filter((r) => r.identifier)).toHaveLength(1);
    await waitFor(() => expect(received.map((e) => e.action)).toEqual(expect.arrayContaining(['launch', 'card-shown', 'confirmed', 'written'])), { timeout: 5000 });
    const decision = received.filter((e) => e.ruleId === 'colorectal-cancer-screening');
    expect(new Set(decision.map((e) => e.correlationId)).size).toBe(1);
    expect(decision.find((e) => e.action === 'written')?.outcome?.reference).toMatch(/^ServiceRequest\//);
    // Every step of the decision names the logic that decided: Careloop's library, its version and ELM digest.
    const logic = { library: 'CareloopColorectalCancerScreening', version: '1.0.0', elmDigest: careloopPreventive.elmDigests['CareloopColorectalCancerScreening'], source: 'careloop' };
    expect(logic.elmDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(decision.find((e) => e.action === 'confirmed')?.logic).toEqual(logic);
    expect(decision.map((e) => e.logic)).toEqual(decision.map(() => logic));
    expect(refused).toEqual([]);
    expect([...authorizations]).toEqual(['Bearer the-access-token']);
    client?.stop();
  });

  it('reads snoozes back from the trail at launch and keeps that gap snoozed', async () => {
    castStore();
    server.use(
      http.get(`${AUDIT}/api/audit/events`, ({ request }) => {
        const url = new URL(request.url);
        expect(url.searchParams.get('patient')).toBe('ada');
        return HttpResponse.json({ records: [snoozeEntry()], nextCursor: null });
      }),
      http.post(`${AUDIT}/api/audit/events`, async ({ request }) => {
        const body = (await request.json()) as { events: { id: string }[] };
        return HttpResponse.json({ results: body.events.map((e, i) => ({ id: e.id, status: 'created', seq: i + 1, hash: 'b'.repeat(64) })) });
      }),
    );
    const session = auditSession();
    const { port, client } = auditFor(session, async () => 'the-access-token');
    render(<AppShell session={session} asOf="2026-11-23" queryClient={new QueryClient({ defaultOptions: { queries: { retry: false } } })} audit={port} auditStatus={client} />);
    expect(await screen.findByRole('list', { name: 'Care gaps snoozed or dismissed' })).toHaveTextContent(/Colorectal cancer screening\s*Until 2026-12-31/);
    expect(screen.queryByRole('region', { name: /^Colorectal cancer screening/ })).not.toBeInTheDocument();
    client?.stop();
  });

  it('never blocks the card when the audit server is down, and says delivery is behind', async () => {
    castStore();
    server.use(
      http.get(`${AUDIT}/api/audit/events`, () => HttpResponse.error()),
      http.post(`${AUDIT}/api/audit/events`, () => new HttpResponse(null, { status: 503 })),
    );
    const session = auditSession();
    const { port, client } = auditFor(session, async () => 'the-access-token');
    render(<AppShell session={session} asOf="2026-11-23" queryClient={new QueryClient({ defaultOptions: { queries: { retry: false } } })} audit={port} auditStatus={client} />);
    expect(await screen.findByRole('region', { name: /^Colorectal cancer screening/ })).toBeInTheDocument();
    expect(await screen.findByRole('status', { name: 'Audit delivery is behind' })).toBeInTheDocument();
    client?.stop();
  });

  it('records the launch with the outbox in page memory when the browser denies the iframe its storage', async () => {
    const received: unknown[] = [];
    server.use(
      http.get(`${AUDIT}/api/audit/events`, () => HttpResponse.json({ records: [], next: null })),
      http.post(`${AUDIT}/api/audit/events`, async ({ request }) => {
        received.push(await request.json());
        return HttpResponse.json({ receipts: [] }, { status: 201 });
      }),
    );
    const restore = denyBrowserStorage();
    try {
      const { client } = auditFor(auditSession(), async () => 'the-access-token');
      await waitFor(() => expect(JSON.stringify(received)).toContain('"action":"launch"'));
      client?.stop();
    } finally {
      restore();
    }
  });

  it('sets a snoozed gap aside at once, before the audit POST answers, and Undo records unsnoozed', async () => {
    castStore();
    const received: { action: string; ruleId?: string; correlationId?: string; snoozeUntil?: string | null }[] = [];
    let answered = false;
    let answer: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      answer = () => {
        answered = true;
        resolve();
      };
    });
    server.use(
      http.get(`${AUDIT}/api/audit/events`, () => HttpResponse.json({ records: [], nextCursor: null })),
      http.post(`${AUDIT}/api/audit/events`, async ({ request }) => {
        const body = (await request.json()) as { events: (typeof received[number] & { id: string })[] };
        received.push(...body.events);
        // The audit server holds every answer until the test has looked at the card.
        await held;
        return HttpResponse.json({ results: body.events.map((e, i) => ({ id: e.id, status: 'created', seq: i + 1, hash: 'b'.repeat(64) })) });
      }),
    );
    const session = auditSession();
    const { port, client } = auditFor(session, async () => 'the-access-token');
    render(<AppShell session={session} asOf="2026-11-23" queryClient={new QueryClient({ defaultOptions: { queries: { retry: false } } })} audit={port} auditStatus={client} />);
    const user = userEvent.setup();
    await user.click(within(await screen.findByRole('region', { name: /^Colorectal cancer screening/ })).getByRole('button', { name: 'Not now' }));
    const dialog = await screen.findByRole('dialog');
    await user.click(within(dialog).getByRole('radio', { name: 'Address at the next visit' }));
    await user.click(within(dialog).getByRole('button', { name: 'Snooze' }));

    // No waiting: the very next render shows the decision and the next gap, with the focus on it,
    // while the audit server has answered nothing.
    expect(answered).toBe(false);
    expect(screen.getByText(line('Colorectal cancer screening: snoozed until 2026-12-23'))).toBeInTheDocument();
    expect(screen.queryByRole('region', { name: /^Colorectal cancer screening/ })).not.toBeInTheDocument();
    const nextHeading = within(screen.getByRole('region', { name: /^Annual influenza vaccination/ })).getByRole('heading', { level: 2 });
    expect(document.activeElement).toBe(nextHeading);

    await user.click(screen.getByRole('button', { name: 'Undo' }));
    const back = screen.getByRole('region', { name: /^Colorectal cancer screening/ });
    expect(document.activeElement).toBe(within(back).getByRole('heading', { level: 2 }));
    expect(answered).toBe(false);
    answer();
    await waitFor(() => expect(received.map((e) => e.action)).toContain('unsnoozed'), { timeout: 8000 });
    expect(received.find((e) => e.action === 'snoozed')).toMatchObject({ ruleId: 'colorectal-cancer-screening', snoozeUntil: '2026-12-23' });
    const snoozed = received.find((e) => e.action === 'snoozed');
    expect(received.find((e) => e.action === 'unsnoozed')).toMatchObject({ ruleId: 'colorectal-cancer-screening', correlationId: snoozed?.correlationId, snoozeUntil: null });
    client?.stop();
  }, 15_000);
});
