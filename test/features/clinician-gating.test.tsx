import { QueryClient } from '@tanstack/react-query';
import { render, screen, waitFor, within } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { AppShell } from '../../src/app/app-shell.tsx';
import { auditFor, NOT_CLINICIAN_REASON } from '../../src/app/audit-for.ts';
import { outboxKey } from '../../src/audit/index.ts';
import { memoryAuditPort } from '../../src/features/care-gaps/audit-port.ts';
import { resetCareGapUiStores } from '../../src/features/care-gaps/ui-store.ts';
import type { FhirUserRef } from '../../src/shared/ids.ts';
import type { SessionValue } from '../../src/fhir/session-context.tsx';
import { AS_OF, BASE, castStore, DOCTOR, sessionFor } from './render-chart.tsx';
import { server } from '../msw/server.ts';

const card = () => screen.findByRole('region', { name: /^Colorectal cancer screening/ });

function renderSession(session: SessionValue) {
  const audit = memoryAuditPort();
  render(<AppShell session={session} asOf={AS_OF} queryClient={new QueryClient({ defaultOptions: { queries: { retry: false } } })} audit={audit} />);
  return audit;
}

function session({ user = DOCTOR, scopes }: { user?: string | null; scopes?: string[] } = {}): SessionValue {
  const base = sessionFor('ada', user);
  return { ...base, context: { ...base.context, fhirUser: user as FhirUserRef | null, ...(scopes ? { scopes } : {}) } };
}

beforeEach(() => resetCareGapUiStores());

describe('Careloop acts only for a clinician', () => {
  it.each([
    ['a patient (portal launch)', 'Patient/ada'],
    ['a related person', 'RelatedPerson/ada-son'],
    ['a Person', 'Person/p1'],
    ['no one (no fhirUser)', null],
  ])('shows the care gaps read only when the user is %s: no write, snooze or dismissal offered', async (_who, user) => {
    const store = castStore();
    renderSession(session({ user }));
    const next = await card();
    expect(screen.getByText("Careloop's actions are for clinicians: the care gaps are shown read only.")).toBeInTheDocument();
    expect(within(next).queryByRole('button', { name: /^Order / })).toBeNull();
    expect(within(next).queryByRole('button', { name: 'Not now' })).toBeNull();
    expect(within(next).queryByRole('button', { name: 'Dismiss' })).toBeNull();
    expect(within(next).getByRole('button', { name: 'Why?' })).toBeInTheDocument();
    expect(store.writes).toEqual([]);
  });

  it.each([['Practitioner/blackwell'], ['PractitionerRole/blackwell-gp'], [`${BASE}/Practitioner/blackwell`]])('offers the write to %s', async (user) => {
    castStore();
    renderSession(session({ user }));
    const next = await card();
    expect(within(next).getByRole('button', { name: 'Propose colorectal cancer screening' })).toBeInTheDocument();
    expect(screen.queryByText(/actions are for clinicians/)).toBeNull();
  });

  it('records the refusal in the audit trail at launch', async () => {
    const AUDIT = 'https://audit.example.org';
    server.use(http.post(`${AUDIT}/api/audit/events`, () => new HttpResponse(null, { status: 503 })));
    const patientSession = session({ user: 'Patient/ada' });
    const launched = auditFor({ ...patientSession, config: { ...patientSession.config, auditApiBaseUrl: AUDIT } }, async () => 'token');
    const outbox = sessionStorage.getItem(outboxKey(patientSession.context.launchKey)) ?? '';
    expect(outbox).toContain('"action":"launch-error"');
    expect(outbox).toContain(`"reason":"${NOT_CLINICIAN_REASON}"`);
    launched.client?.stop();
    sessionStorage.clear();

    const doctor = session();
    const ok = auditFor({ ...doctor, config: { ...doctor.config, auditApiBaseUrl: AUDIT } }, async () => 'token');
    expect(sessionStorage.getItem(outboxKey(doctor.context.launchKey)) ?? '').not.toContain('launch-error');
    ok.client?.stop();
  });
});

describe('fewer scopes granted than asked', () => {
  it('without a write scope: the card is read only with a note naming the missing scopes; snooze stays', async () => {
    const store = castStore();
    renderSession(session({ scopes: ['launch', 'openid', 'fhirUser', 'patient/*.rs'] }));
    const next = await card();
    expect(within(next).queryByRole('button', { name: /^Order / })).toBeNull();
    expect(within(next).getByText('Read only: the EHR did not give Careloop permission to write this (patient/ServiceRequest.c, patient/Provenance.c).')).toBeInTheDocument();
    expect(within(next).getByRole('button', { name: 'Not now' })).toBeInTheDocument();
    expect(store.writes).toEqual([]);
  });

  it('without a read scope: the rules that need that type say "not assessed"; the others are decided, and the type is not asked for', async () => {
    const store = castStore();
    const asked: string[] = [];
    const listen = ({ request }: { request: Request }) => void asked.push(new URL(request.url).pathname);
    server.events.on('request:start', listen);
    onTestFinished(() => server.events.removeListener('request:start', listen));
    const everythingButImmunization = ['launch', 'openid', 'fhirUser', 'patient/Patient.r', 'patient/Encounter.rs', 'patient/Task.cru', 'patient/Observation.rs', 'patient/Condition.rs', 'patient/Procedure.rs', 'patient/MedicationRequest.rs', 'patient/DiagnosticReport.rs', 'patient/AllergyIntolerance.rs', 'patient/ServiceRequest.crs', 'patient/Provenance.c'];
    renderSession(session({ scopes: everythingButImmunization }));
    const next = await card();
    expect(within(next).getByRole('button', { name: 'Propose colorectal cancer screening' })).toBeInTheDocument();
    const list = screen.getByRole('list', { name: 'Rules not assessed' });
    expect(within(list).getAllByRole('listitem').map((li) => li.textContent)).toEqual(['Annual influenza vaccination, Pneumococcal vaccination (65+) (need Immunization)']);
    expect(asked.some((path) => path.endsWith('/Immunization'))).toBe(false);
    expect(store.writes).toEqual([]);
  });

  it('a type granted only in part (a scope with a query) makes the rules that need it "not assessed", never a gap from what was not shown', async () => {
    castStore();
    const labsOnly = ['launch', 'openid', 'fhirUser', 'patient/Patient.r', 'patient/Encounter.rs', 'patient/Task.cru', 'patient/Observation.rs?category=laboratory', 'patient/Condition.rs', 'patient/Procedure.rs', 'patient/Immunization.rs', 'patient/MedicationRequest.rs', 'patient/DiagnosticReport.rs', 'patient/AllergyIntolerance.rs', 'patient/ServiceRequest.crs', 'patient/Provenance.c'];
    renderSession(session({ scopes: labsOnly }));
    const list = await screen.findByRole('list', { name: 'Rules not assessed' });
    // One line for the one need, naming every rule that has it.
    const items = within(list).getAllByRole('listitem').map((li) => li.textContent ?? '');
    expect(items).toHaveLength(1);
    expect(items[0]).toMatch(/^Colorectal cancer screening, .*Controlling high blood pressure.* \(need all Observations; the EHR shared only those with category laboratory\)$/);
    // Ada's overdue colorectal screening is not offered: a FIT result may be among what was not shown.
    await waitFor(() => expect(screen.queryByRole('region', { name: /^Colorectal cancer screening/ })).toBeNull());
  });

  it('a type the server refuses (403) is unread, not a failed card', async () => {
    castStore();
    server.use(http.get(`${BASE}/DiagnosticReport`, () => HttpResponse.json({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'forbidden', diagnostics: 'no' }] }, { status: 403 })));
    renderSession(session());
    const list = await screen.findByRole('list', { name: 'Rules not assessed' });
    expect(within(list).getByText(/^Colorectal cancer screening, .* \(need DiagnosticReport\)$/)).toBeInTheDocument();
    expect(screen.queryByText(/Care gaps could not be checked/)).toBeNull();
    await waitFor(() => expect(screen.queryByRole('region', { name: /^Colorectal cancer screening/ })).toBeNull());
  });
});
