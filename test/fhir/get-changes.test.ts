/**
 * The polling fallback's round (src/fhir/get-changes.ts): `_lastUpdated` from the server's own
 * time less an overlap, versions the card already shows are no change, and a change inside the
 * overlap is reported once.
 */
import type { Resource } from '@medplum/fhirtypes';
import { http } from 'msw';
import { describe, expect, it } from 'vitest';
import { getChanges, initialCursor, OVERLAP_MS } from '../../src/fhir/get-changes.ts';
import type { PatientId } from '../../src/shared/ids.ts';
import { BASE, castStore } from '../features/render-chart.tsx';
import { testGateway } from '../msw/gateway.ts';
import { server } from '../msw/server.ts';

const ada = 'ada' as PatientId;

describe('getChanges', () => {
  it('reports a filed result once, moving the watermark to the server\'s time less the overlap', async () => {
    const store = castStore();
    const gateway = testGateway(BASE);
    const known = store.all('Observation').filter((r) => (r.subject as { reference?: string } | undefined)?.reference === 'Patient/ada') as unknown as Resource[];
    let cursor = initialCursor(Date.now(), known);
    const urls: string[] = [];
    server.use(
      http.get(`${BASE}/:type`, ({ request }) => {
        urls.push(request.url);
        return undefined;
      }),
    );

    const quiet = await getChanges(gateway, ada, cursor, null);
    expect(quiet.changed).toEqual([]);
    const serverTime = Date.parse(quiet.cursor.since) + OVERLAP_MS;
    expect(Math.abs(serverTime - Date.now())).toBeLessThan(2_000);
    expect(urls.every((u) => new URL(u).searchParams.get('_lastUpdated') === `gt${cursor.since}`)).toBe(true);
    cursor = quiet.cursor;

    store.file({ resourceType: 'Observation', status: 'final', code: { text: 'FIT' }, subject: { reference: 'Patient/ada' }, valueString: 'Negative' });
    store.file({ resourceType: 'Observation', status: 'final', code: { text: 'FIT' }, subject: { reference: 'Patient/grace' }, valueString: 'Negative' });
    const found = await getChanges(gateway, ada, cursor, null);
    expect(found.changed).toEqual(['Observation']);
    // Inside the overlap the same version comes back, and is no change.
    const again = await getChanges(gateway, ada, found.cursor, null);
    expect(again.changed).toEqual([]);
  });

  it('asks only for the types the token lets Careloop search', async () => {
    castStore();
    const types: string[] = [];
    server.use(
      http.get(`${BASE}/:type`, ({ params }) => {
        types.push(String(params.type));
        return undefined;
      }),
    );
    await getChanges(testGateway(BASE), ada, initialCursor(Date.now(), []), ['launch', 'patient/Observation.rs', 'patient/Task.rs']);
    expect(types.sort()).toEqual(['Observation', 'Task']);
  });
});
