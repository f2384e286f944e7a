/**
 * The stack floor for the launch benchmark: the bare floor (./floor.ts) plus the least a card
 * built on the design card's UI stack can cost — React DOM and MUI render one static card (a
 * titled section, a chip, two lines, two buttons) once the reads are in. No rules, no queries, no
 * audit. The UI chunk loads while the token is exchanged, as Careloop's does. It shows how much
 * of Careloop's time over the bare floor React and MUI take by themselves.
 */
import FHIR from 'fhirclient';
import { readLikeCareloop } from './reads.ts';

async function main(): Promise<void> {
  if (location.pathname.endsWith('floor-stack-launch.html')) {
    await FHIR.oauth2.authorize({ clientId: 'careloop-floor', scope: 'launch openid fhirUser online_access patient/*.rs', redirectUri: 'floor-stack.html', pkceMode: 'required', completeInTarget: true });
    return;
  }
  const ready = FHIR.oauth2.ready();
  const ui = import('./stack-card.tsx');
  const read = await readLikeCareloop(await ready);
  (await ui).showCard(read.length);
}

void main();
