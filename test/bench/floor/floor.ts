/**
 * The floor for the launch benchmark: a bare page that does only what Careloop must do before it
 * can show a card — the same SMART handshake with fhirclient and the same FHIR reads, in parallel —
 * with no React, no rules and no UI. Careloop's launch-to-card time is compared with this page's.
 */
import FHIR from 'fhirclient';
import { readLikeCareloop } from './reads.ts';

async function main(): Promise<void> {
  if (location.pathname.endsWith('floor-launch.html')) {
    await FHIR.oauth2.authorize({ clientId: 'careloop-floor', scope: 'launch openid fhirUser online_access patient/*.rs', redirectUri: 'floor.html', pkceMode: 'required', completeInTarget: true });
    return;
  }
  await readLikeCareloop(await FHIR.oauth2.ready());
  document.title = 'done';
  const status = document.getElementById('status');
  if (status) status.textContent = 'done';
}

void main();
