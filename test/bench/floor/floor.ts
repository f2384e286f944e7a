/**
 * The floor for the launch benchmark: a bare page that does only what Careloop must do before it
 * can show a card — the same SMART handshake with fhirclient and the same FHIR reads, in parallel —
 * with no React, no rules and no UI. Careloop's launch-to-card time is compared with this page's.
 */
import FHIR from 'fhirclient';

const RECORD_TYPES = ['Observation', 'Condition', 'Procedure', 'Encounter', 'Immunization', 'MedicationRequest', 'DiagnosticReport', 'AllergyIntolerance', 'ServiceRequest'];
const OPEN = 'requested,received,accepted,ready,in-progress,on-hold';

async function main(): Promise<void> {
  if (location.pathname.endsWith('floor-launch.html')) {
    await FHIR.oauth2.authorize({ clientId: 'careloop-floor', scope: 'launch openid fhirUser online_access patient/*.rs', redirectUri: 'floor.html', pkceMode: 'required', completeInTarget: true });
    return;
  }
  const client = await FHIR.oauth2.ready();
  const patient = client.getPatientId() ?? '';
  const encounter = client.getEncounterId();
  const reads: Promise<unknown>[] = [
    client.request(`Patient/${patient}`),
    client.request(`Task?patient=Patient/${patient}&status=${OPEN}&_count=100`, { pageLimit: 5 }),
    ...RECORD_TYPES.map((t) => client.request(`${t}?patient=Patient/${patient}&_count=500`, { pageLimit: 20 })),
  ];
  if (encounter) reads.push(client.request(`Encounter/${encounter}`));
  await Promise.all(reads);
  document.title = 'done';
  const status = document.getElementById('status');
  if (status) status.textContent = 'done';
}

void main();
