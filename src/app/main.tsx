import { bootIndex } from './boot';
import { createQueryClient, prefetchLaunch } from './query-client';

/**
 * index.html, the redirect URI. The UI (React, MUI, the card) downloads while the code is
 * exchanged for a token; the FHIR reads and the rule engine start as soon as the token is there,
 * so the first card waits for the slowest of them, not their sum.
 */
async function main(): Promise<void> {
  const ui = import('./mount-app');
  const boot = await bootIndex(window.location);
  if (!boot.ok) {
    (await ui).mountProblem(boot.problem);
    return;
  }
  const queryClient = createQueryClient();
  prefetchLaunch(queryClient, boot.session);
  (await ui).mountApp(boot.session, queryClient, new Date().toISOString().slice(0, 10));
}

void main();
