import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { startReads } from '../../src/app/start-reads';
import { BASE, castStore, sessionFor } from '../features/render-chart';
import { server } from '../msw/server';

const AUDIT = 'https://audit.example.org';

describe('startReads (index.html, once the token is there)', () => {
  it('asks for everything the first card needs in one round: no read waits for another’s answer', async () => {
    castStore();
    const session = sessionFor('ada');
    const arrived: string[] = [];
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    // Every answer is held until the last expected request has arrived: reads that waited on one
    // another would never all arrive, and the test would time out.
    // Patient, Encounter, open Tasks, the nine record searches, and the decisions in the audit trail.
    const EXPECTED = 13;
    const hold = async (label: string) => {
      arrived.push(label);
      if (arrived.length >= EXPECTED) open();
      await gate;
    };
    server.use(
      http.get(`${BASE}/*`, async ({ request }) => {
        await hold(new URL(request.url).pathname.replace(/^.*\/fhir\//, ''));
        return undefined;
      }),
      http.get(`${AUDIT}/api/audit/events`, async () => {
        await hold('audit decisions');
        return HttpResponse.json({ records: [], nextCursor: null });
      }),
      http.post(`${AUDIT}/api/audit/events`, async ({ request }) => {
        const body = (await request.json()) as { events: { id: string }[] };
        return HttpResponse.json({ results: body.events.map((e, i) => ({ id: e.id, status: 'created', seq: i + 1, hash: 'b'.repeat(64) })) });
      }),
    );
    const { queryClient, audit } = startReads({ ok: true, session: { ...session, config: { ...session.config, auditApiBaseUrl: AUDIT } }, accessToken: async () => 'the-access-token' });
    await gate;
    expect([...arrived].sort()).toEqual(
      ['AllergyIntolerance', 'Condition', 'DiagnosticReport', 'Encounter', 'Encounter/ada-visit', 'Immunization', 'MedicationRequest', 'Observation', 'Patient/ada', 'Procedure', 'ServiceRequest', 'Task', 'audit decisions'].sort(),
    );
    audit.client?.stop();
    queryClient.clear();
  });
});
