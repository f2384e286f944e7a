import { QueryClient } from '@tanstack/react-query';
import { render, screen } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { AppShell } from '../../src/app/app-shell.tsx';
import { bootIndex, bootLaunch, type IndexBoot, type LaunchBoot } from '../../src/app/boot.ts';
import { ProblemScreen } from '../../src/features/errors/problem-screen.tsx';
import { FakeEhr, ISS } from '../msw/fake-ehr.ts';
import { configHandler, server, validConfig } from '../msw/server.ts';
import { ada } from '../fixtures/charts.ts';
import { noAxeViolations } from '../support/axe.ts';

function go(path: string): Location {
  window.history.replaceState({}, '', path);
  return window.location;
}

/** Renders a boot result the way main.tsx and launch.ts do. */
function show(boot: IndexBoot | LaunchBoot) {
  if (boot.ok) throw new Error('expected a problem');
  render(<ProblemScreen problem={boot.problem} onRetry={() => undefined} />);
}

const quietClient = () => new QueryClient({ defaultOptions: { queries: { retry: false } } });

async function launchedAs(ehr: FakeEhr, grant: Parameters<FakeEhr['approve']>[1]) {
  const started = await bootLaunch(go(`/launch.html?iss=${encodeURIComponent(ehr.iss)}&launch=L`));
  if (!started.ok) throw new Error(started.problem.kind);
  const page = ehr.approve(started.authorizeUrl, grant);
  return { page, booted: await bootIndex(go(page)) };
}

describe('failure screens', () => {
  it('has no axe violations on a failure screen', async () => {
    show(await bootIndex(go('/index.html?error=access_denied&state=abc')));
    await noAxeViolations(document.body);
  });

  it('says to open Careloop from a chart when index.html is opened directly', async () => {
    show(await bootIndex(go('/index.html')));
    expect(screen.getByRole('alert')).toHaveTextContent('Open Careloop from a patient chart');
    expect(screen.getByRole('heading', { name: 'Open Careloop from a patient chart' })).toBeInTheDocument();
  });

  it('says to open Careloop from a chart when launch.html has no iss', async () => {
    show(await bootLaunch(go('/launch.html')));
    expect(screen.getByRole('heading', { name: 'Open Careloop from a patient chart' })).toBeInTheDocument();
  });

  it('explains a denied authorization from the redirect’s error parameter', async () => {
    show(await bootIndex(go('/index.html?error=access_denied&error_description=The+user+declined&state=abc')));
    expect(screen.getByRole('heading', { name: 'Access was not granted' })).toBeInTheDocument();
    expect(screen.getByRole('alert')).toHaveTextContent('The EHR did not authorize Careloop for this chart.');
    expect(screen.getByRole('alert')).toHaveTextContent('The user declined');
  });

  it('shows the whole error_description of a refused authorization, as text, behind "Details"', async () => {
    const description = `The user declined. ${'Scopes offered: patient/Observation.rs patient/Task.cu. '.repeat(20)}<b>not bold</b>`;
    show(await bootIndex(go(`/index.html?error=invalid_scope&error_description=${encodeURIComponent(description)}&state=abc`)));
    expect(screen.getByRole('heading', { name: 'Access was not granted' })).toBeInTheDocument();
    const details = screen.getByText('Details').closest('details');
    expect(details).not.toBeNull();
    expect(details?.open).toBe(false);
    expect(details?.textContent).toBe(`DetailsAuthorization endpoint: invalid_scope\n${description}`);
    expect(details?.querySelector('b')).toBeNull();
  });

  it('shows a token-endpoint refusal with Careloop’s words on top and the server’s error and whole description under "Details"', async () => {
    const ehr = new FakeEhr();
    const description = `Client "careloop" may only ask for: ${'patient/Observation.rs '.repeat(90)}<script>alert(1)</script>`;
    expect(description.length).toBeGreaterThan(2000);
    server.use(...ehr.handlers());
    server.use(http.post(ehr.tokenUrl, () => HttpResponse.json({ error: 'invalid_client', error_description: description }, { status: 401 })));
    const { booted } = await launchedAs(ehr, { patient: 'ada' });
    expect(booted).toMatchObject({ ok: false, problem: { kind: 'auth-denied', stage: 'token', error: 'invalid_client', description, status: 401 } });
    show(booted);
    expect(screen.getByRole('heading', { name: 'The EHR does not accept Careloop' })).toBeInTheDocument();
    expect(screen.getByRole('alert')).toHaveTextContent('Ask your EHR administrator to check the Careloop app registration');
    const details = screen.getByText('Details').closest('details');
    expect(details?.textContent).toBe(`DetailsToken endpoint (HTTP 401): invalid_client\n${description}`);
    expect(document.querySelector('script')).toBeNull();
  });

  it('says the session ended when index.html is reloaded after its state is gone', async () => {
    show(await bootIndex(go('/index.html?state=6f1c1a56-0d1e-4b1e-9d55-3f0e2b4c7a10')));
    expect(screen.getByRole('heading', { name: 'This Careloop session has ended' })).toBeInTheDocument();
    expect(screen.getByRole('alert')).toHaveTextContent('Start Careloop again from the patient chart.');
  });

  it('says the session expired when the token has run out and no refresh token was granted', async () => {
    const ehr = new FakeEhr();
    ehr.resources = [ada];
    server.use(...ehr.handlers());
    const { page } = await launchedAs(ehr, { patient: 'ada', expiresIn: 60 });
    const later = Date.now() + 120_000;
    show(await bootIndex(go(page), { now: () => later }));
    expect(screen.getByRole('heading', { name: 'Your Careloop session has expired' })).toBeInTheDocument();
  });

  it('says no patient is selected when the EHR grants no patient context', async () => {
    const ehr = new FakeEhr();
    server.use(...ehr.handlers());
    const { booted } = await launchedAs(ehr, {});
    show(booted);
    expect(screen.getByRole('heading', { name: 'No patient selected' })).toBeInTheDocument();
  });

  it('says the EHR cannot be reached when discovery fails on the network', async () => {
    server.use(http.get('https://down.example.org/fhir/.well-known/smart-configuration', () => HttpResponse.error()));
    show(await bootLaunch(go(`/launch.html?iss=${encodeURIComponent('https://down.example.org/fhir')}&launch=L`)));
    expect(screen.getByRole('heading', { name: 'The EHR cannot be reached' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Try again' })).toBeInTheDocument();
  });

  it('refuses a server that does not offer PKCE S256', async () => {
    const ehr = new FakeEhr('https://nopkce.example.org/fhir');
    ehr.smartConfiguration.code_challenge_methods_supported = [];
    server.use(...ehr.handlers());
    show(await bootLaunch(go(`/launch.html?iss=${encodeURIComponent(ehr.iss)}&launch=L`)));
    expect(screen.getByRole('heading', { name: 'The EHR does not support secure sign-in for this app' })).toBeInTheDocument();
  });

  it('says the server does not offer SMART when discovery returns no endpoints', async () => {
    server.use(http.get('https://plain.example.org/fhir/.well-known/smart-configuration', () => HttpResponse.json({ issuer: 'x' })));
    show(await bootLaunch(go(`/launch.html?iss=${encodeURIComponent('https://plain.example.org/fhir')}&launch=L`)));
    expect(screen.getByRole('heading', { name: 'The EHR does not offer SMART on FHIR here' })).toBeInTheDocument();
  });

  it('rejects an iss that is not a URL', async () => {
    show(await bootLaunch(go('/launch.html?iss=javascript:alert(1)&launch=L')));
    expect(screen.getByRole('heading', { name: 'The EHR sent an invalid launch' })).toBeInTheDocument();
  });

  describe('after launch', () => {
    async function chartWith(patientReply: () => Response) {
      const ehr = new FakeEhr();
      server.use(...ehr.handlers());
      const { booted } = await launchedAs(ehr, { patient: 'ada' });
      if (!booted.ok) throw new Error(booted.problem.kind);
      server.use(http.get(`${ISS}/Patient/ada`, patientReply));
      render(<AppShell session={booted.session} asOf="2026-11-23" queryClient={quietClient()} />);
    }

    it('shows a loading state, never a blank panel, while the chart loads', async () => {
      await chartWith(() => HttpResponse.json(ada));
      expect(screen.getByRole('status', { name: 'Loading the chart' })).toBeInTheDocument();
      expect(await screen.findByRole('heading', { name: 'Ada Lovelace' })).toBeInTheDocument();
    });

    it('says the session is no longer accepted on a 401', async () => {
      await chartWith(() => HttpResponse.json({ resourceType: 'OperationOutcome', issue: [] }, { status: 401 }));
      expect(await screen.findByRole('heading', { name: 'The EHR no longer accepts this session' })).toBeInTheDocument();
    });

    it('names the missing scope on a 403 whose WWW-Authenticate says it', async () => {
      await chartWith(
        () =>
          new HttpResponse(JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'forbidden' }] }), {
            status: 403,
            headers: { 'content-type': 'application/fhir+json', 'www-authenticate': 'Bearer error="insufficient_scope", scope="patient/Patient.r"' },
          }),
      );
      expect(await screen.findByRole('heading', { name: 'Careloop is missing a permission' })).toBeInTheDocument();
      expect(screen.getByRole('alert')).toHaveTextContent('the app lacks the permission patient/Patient.r');
    });

    it('names the missing scope on a 403 whose OperationOutcome says it', async () => {
      await chartWith(() =>
        HttpResponse.json(
          { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'forbidden', diagnostics: 'Scope patient/Patient.rs required' }] },
          { status: 403 },
        ),
      );
      expect(await screen.findByText(/lacks the permission patient\/Patient\.rs/)).toBeInTheDocument();
    });

    it('says the EHR cannot be reached when the FHIR server drops the connection', async () => {
      await chartWith(() => HttpResponse.error());
      expect(await screen.findByRole('heading', { name: 'The EHR cannot be reached' })).toBeInTheDocument();
    });

    it('says the EHR had a problem on a 503 and offers to try again', async () => {
      await chartWith(() => HttpResponse.json({ resourceType: 'OperationOutcome', issue: [] }, { status: 503 }));
      expect(await screen.findByRole('heading', { name: 'The EHR had a problem' })).toBeInTheDocument();
      expect(screen.getByRole('button', { name: 'Try again' })).toBeInTheDocument();
    });

    it('refuses to show a resource that is not the patient in context', async () => {
      await chartWith(() => HttpResponse.json({ ...ada, id: 'someone-else' }));
      expect(await screen.findByRole('heading', { name: 'The EHR had a problem' })).toBeInTheDocument();
      expect(screen.queryByText('Ada Lovelace')).not.toBeInTheDocument();
      expect(screen.getByRole('alert')).toHaveTextContent('The EHR answered with something other than Patient when Careloop read it.');
    });
  });

  describe('configuration', () => {
    it('says Careloop is not configured when the config file is missing', async () => {
      server.use(http.get('http://localhost:3000/careloop.config.json', () => new HttpResponse(null, { status: 404 })));
      show(await bootLaunch(go('/launch.html?iss=https://ehr.example.org/fhir&launch=L')));
      expect(screen.getByRole('heading', { name: 'Careloop is not configured' })).toBeInTheDocument();
      expect(screen.getByRole('alert')).toHaveTextContent('careloop.config.json: HTTP 404');
    });

    it('names the bad field when the config file is invalid', async () => {
      server.use(configHandler({ ...validConfig, clientId: '' }));
      show(await bootIndex(go('/index.html?state=x')));
      expect(screen.getByRole('heading', { name: 'Careloop is misconfigured' })).toBeInTheDocument();
      expect(screen.getByRole('alert')).toHaveTextContent('clientId: must not be empty');
    });
  });
});
