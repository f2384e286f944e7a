import type { Patient } from '@medplum/fhirtypes';
import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { sendLaunchReads } from '../../src/app/launch-reads.ts';
import { startReads } from '../../src/app/start-reads.ts';
import type { RecordRead } from '../../src/fhir/fetchers.ts';
import { fhirKeys } from '../../src/fhir/keys.ts';
import type { PatientId } from '../../src/shared/ids.ts';
import { BASE, castStore, sessionFor } from '../features/render-chart.tsx';
import { server } from '../msw/server.ts';

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
    const launched = { ...session, config: { ...session.config, auditApiBaseUrl: AUDIT } };
    const { queryClient, audit, settled } = startReads({ ok: true, session: launched, accessToken: async () => 'the-access-token' }, sendLaunchReads(launched));
    await gate;
    await settled;
    // Exactly once each: the query cache adopted the reads the entry sent instead of sending its own.
    expect([...arrived].sort()).toEqual(
      ['AllergyIntolerance', 'Condition', 'DiagnosticReport', 'Encounter', 'Encounter/ada-visit', 'Immunization', 'MedicationRequest', 'Observation', 'Patient/ada', 'Procedure', 'ServiceRequest', 'Task', 'audit decisions'].sort(),
    );
    expect(queryClient.getQueryData<Patient>(fhirKeys.patient('ada' as PatientId))?.id).toBe('ada');
    expect(queryClient.getQueryData<RecordRead>(fhirKeys.record('ada' as PatientId))?.resources.length).toBeGreaterThan(0);
    audit.client?.stop();
    queryClient.clear();
  });

  it('reads the patient again when the read the entry sent failed with a 503, and the card gets it', async () => {
    castStore();
    const session = sessionFor('ada');
    let patientReads = 0;
    server.use(
      http.get(`${BASE}/Patient/ada`, () => {
        patientReads += 1;
        return patientReads === 1 ? HttpResponse.json({ resourceType: 'OperationOutcome', issue: [] }, { status: 503 }) : undefined;
      }),
    );
    const launched = { ...session, config: { ...session.config, auditApiBaseUrl: null } };
    const { queryClient, settled } = startReads({ ok: true, session: launched, accessToken: async () => null }, sendLaunchReads(launched));
    await settled;
    expect(patientReads).toBe(2);
    expect(queryClient.getQueryData<Patient>(fhirKeys.patient('ada' as PatientId))?.id).toBe('ada');
    queryClient.clear();
  });
});
