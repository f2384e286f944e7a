import { render, screen, within } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { AppShell } from '../../src/app/app-shell.tsx';
import { bootIndex, bootLaunch } from '../../src/app/boot.ts';
import { APP_ORIGIN, FakeEhr, ISS } from '../msw/fake-ehr.ts';
import { server, validConfig } from '../msw/server.ts';
import { ada, adaVisit, ben, outreachTask } from '../fixtures/charts.ts';
import { line } from '../features/render-chart.tsx';

function go(path: string): Location {
  window.history.replaceState({}, '', path);
  return window.location;
}

async function sha256url(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Buffer.from(digest).toString('base64url');
}

/** Runs launch.html then index.html against the fake EHR, as the browser would. */
async function launch(ehr: FakeEhr, grant: Parameters<FakeEhr['approve']>[1], launchId: string | null = 'L1') {
  const started = await bootLaunch(go(`/launch.html?iss=${encodeURIComponent(ehr.iss)}${launchId ? `&launch=${launchId}` : ''}`));
  if (!started.ok) throw new Error(`launch failed: ${started.problem.kind}`);
  const back = ehr.approve(started.authorizeUrl, grant);
  const booted = await bootIndex(go(back));
  return { started, booted };
}

describe('SMART EHR launch', () => {
  it('asks for the configured v2 scopes with launch, aud, PKCE S256 and a UUID state', async () => {
    const ehr = new FakeEhr();
    server.use(...ehr.handlers());
    const started = await bootLaunch(go(`/launch.html?iss=${encodeURIComponent(ISS)}&launch=xyz-123`));
    expect(started.ok).toBe(true);
    if (!started.ok) return;
    const url = new URL(started.authorizeUrl);
    expect(url.origin + url.pathname).toBe('https://ehr.example.org/auth/authorize');
    const q = url.searchParams;
    expect(q.get('response_type')).toBe('code');
    expect(q.get('client_id')).toBe('careloop');
    expect(q.get('aud')).toBe(ISS);
    expect(q.get('launch')).toBe('xyz-123');
    expect(q.get('redirect_uri')).toBe('http://localhost:3000/index.html');
    expect(q.get('code_challenge_method')).toBe('S256');
    expect(q.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get('state')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(q.get('scope')?.split(' ').sort()).toEqual(
      ['launch', 'openid', 'fhirUser', 'patient/Patient.r', 'patient/Encounter.r', 'patient/Task.rs', 'patient/Task.cu'].sort(),
    );
  });

  it('exchanges the code with the matching PKCE verifier and shows the patient, encounter and open tasks', async () => {
    const ehr = new FakeEhr();
    ehr.resources = [ada, adaVisit, outreachTask('t1', 'ada', 'Call about overdue colonoscopy'), outreachTask('t2', 'ben', 'Not Ada’s task')];
    server.use(...ehr.handlers());
    const { started, booted } = await launch(ehr, { patient: 'ada', encounter: 'ada-visit', fhirUser: 'Practitioner/grace' });
    expect(booted.ok).toBe(true);
    if (!booted.ok || !started.ok) return;

    const tokenRequest = ehr.tokenRequests[0];
    expect(tokenRequest?.get('grant_type')).toBe('authorization_code');
    const challenge = new URL(started.authorizeUrl).searchParams.get('code_challenge');
    expect(await sha256url(tokenRequest?.get('code_verifier') ?? '')).toBe(challenge);
    // The code is gone from the address bar once exchanged; the state (an opaque key) stays.
    expect(window.location.search).not.toContain('code=');

    render(<AppShell session={booted.session} asOf="2026-11-23" />);
    expect(await screen.findByRole('heading', { level: 1, name: 'Ada Lovelace' })).toBeInTheDocument();
    // The date sits in its own no-wrap span (test/features/render-chart.tsx `line`).
    expect(await screen.findByText(line('Encounter: Annual wellness visit, 2026-11-23'))).toBeInTheDocument();
    expect(screen.getByText('Signed in as Practitioner/grace')).toBeInTheDocument();
    const tasks = await screen.findByRole('list', { name: 'Open tasks' });
    expect(within(tasks).getByText('Call about overdue colonoscopy')).toBeInTheDocument();
    expect(within(tasks).queryByText('Not Ada’s task')).not.toBeInTheDocument();
    // No banner demographics: the EHR did not ask for one.
    expect(screen.queryByText(/DOB/)).not.toBeInTheDocument();
    expect(ehr.fhirRequests.every((r) => r.authorization?.startsWith('Bearer at-'))).toBe(true);
  });

  it('shows a compact banner with age, sex and birth date when the EHR sets need_patient_banner', async () => {
    const ehr = new FakeEhr();
    ehr.resources = [ada];
    server.use(...ehr.handlers());
    const { booted } = await launch(ehr, { patient: 'ada', needPatientBanner: true });
    if (!booted.ok) throw new Error(booted.problem.kind);
    render(<AppShell session={booted.session} asOf="2026-11-23" />);
    expect(await screen.findByText('52 y · Female · DOB 1974-03-14')).toBeInTheDocument();
  });

  it('standalone launch asks for launch/patient and launch/encounter instead of launch', async () => {
    const ehr = new FakeEhr('https://standalone.example.org/fhir');
    server.use(...ehr.handlers());
    const started = await bootLaunch(go(`/launch.html?iss=${encodeURIComponent(ehr.iss)}`));
    if (!started.ok) throw new Error(started.problem.kind);
    const scopes = new URL(started.authorizeUrl).searchParams.get('scope')?.split(' ') ?? [];
    expect(scopes).toContain('launch/patient');
    expect(scopes).toContain('launch/encounter');
    expect(scopes).not.toContain('launch');
    expect(new URL(started.authorizeUrl).searchParams.has('launch')).toBe(false);
  });

  it('standalone launch takes the encounter the EHR grants with launch/encounter', async () => {
    const ehr = new FakeEhr();
    ehr.resources = [ada, adaVisit];
    server.use(...ehr.handlers());
    const { booted } = await launch(ehr, { patient: 'ada', encounter: 'ada-visit', fhirUser: 'Practitioner/grace' }, null);
    if (!booted.ok) throw new Error(booted.problem.kind);
    expect(booted.session.context.encounterId).toBe('ada-visit');
    expect(booted.session.context.scopes).toContain('launch/encounter');
  });

  it('asks the EHR for its SMART configuration while the app config is still loading', async () => {
    const ehr = new FakeEhr('https://parallel.example.org/fhir');
    let discoveryAsked!: () => void;
    const asked = new Promise<void>((resolve) => (discoveryAsked = resolve));
    server.use(
      http.get(`${ehr.iss}/.well-known/smart-configuration`, () => {
        discoveryAsked();
        return HttpResponse.json(ehr.smartConfiguration);
      }),
      // The config answers only once discovery has been asked for: a launch page that waited for
      // the config before discovery would never finish, and the test would time out.
      http.get(`${APP_ORIGIN}/careloop.config.json`, async () => {
        await asked;
        return HttpResponse.json(validConfig);
      }),
      ...ehr.handlers(),
    );
    const started = await bootLaunch(go(`/launch.html?iss=${encodeURIComponent(ehr.iss)}&launch=p-1`));
    expect(started.ok).toBe(true);
  });

  it('falls back to v1 scopes for a server that advertises only v1', async () => {
    const ehr = new FakeEhr('https://v1only.example.org/fhir');
    ehr.smartConfiguration.capabilities = ['launch-ehr', 'client-public', 'permission-v1'];
    ehr.smartConfiguration.scopes_supported = ['launch', 'patient/*.read', 'patient/*.write'];
    server.use(...ehr.handlers());
    const started = await bootLaunch(go(`/launch.html?iss=${encodeURIComponent(ehr.iss)}&launch=a`));
    if (!started.ok) throw new Error(started.problem.kind);
    const scopes = new URL(started.authorizeUrl).searchParams.get('scope')?.split(' ') ?? [];
    expect(scopes).toEqual(expect.arrayContaining(['patient/Patient.read', 'patient/Task.read', 'patient/Task.write']));
    expect(scopes.some((s) => /\.[cruds]+$/.test(s))).toBe(false);
  });

  it('refreshes the access token before a request once it nears expiry', async () => {
    const ehr = new FakeEhr();
    ehr.resources = [ada];
    server.use(...ehr.handlers());
    const { booted } = await launch(ehr, { patient: 'ada', expiresIn: 5, refresh: true, scope: 'launch openid online_access patient/Patient.r' });
    if (!booted.ok) throw new Error(booted.problem.kind);
    await booted.session.fhir.request({ url: 'Patient/ada' });
    expect(ehr.tokenRequests.map((r) => r.get('grant_type'))).toEqual(['authorization_code', 'refresh_token']);
    // The FHIR call went out with the refreshed token, not the one about to expire.
    expect(ehr.fhirRequests.at(-1)?.authorization).toBe('Bearer at-3');
  });

  it('keeps two launches for different patients in one sessionStorage apart', async () => {
    const ehr = new FakeEhr();
    ehr.resources = [ada, ben];
    server.use(...ehr.handlers());
    const first = await launch(ehr, { patient: 'ada' }, 'launch-ada');
    const adaPage = window.location.pathname + window.location.search;
    const second = await launch(ehr, { patient: 'ben' }, 'launch-ben');
    if (!first.booted.ok || !second.booted.ok) throw new Error('launch failed');
    expect(second.booted.session.context.patientId).toBe('ben');

    // Reloading Ada's tab after Ben's launch still resumes Ada's session, not Ben's.
    const reloaded = await bootIndex(go(adaPage));
    if (!reloaded.ok) throw new Error(reloaded.problem.kind);
    expect(reloaded.session.context.patientId).toBe('ada');
    render(<AppShell session={reloaded.session} asOf="2026-11-23" />);
    expect(await screen.findByRole('heading', { name: 'Ada Lovelace' })).toBeInTheDocument();
    expect(screen.queryByText('Ben Okafor')).not.toBeInTheDocument();
    // The resumed session did not exchange a code again.
    expect(ehr.tokenRequests).toHaveLength(2);
  });
});
