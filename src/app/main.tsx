import { bootIndex } from './boot';
import { createQueryClient, prefetchLaunch } from './query-client';

/**
 * index.html, the redirect URI. The FHIR reads and the rule engine start as soon as the token is
 * there; the UI (React, MUI, the card) downloads while they are in flight, so the first card
 * waits for the slowest of them, not their sum.
 */
async function main(): Promise<void> {
  const boot = await bootIndex(window.location);
  // Asked for only now: evaluating the UI chunk would otherwise hold up the token exchange's
  // continuation; now it loads while the FHIR reads are in flight.
  if (!boot.ok) {
    (await import('./mount-app')).mountProblem(boot.problem);
    return;
  }
  const queryClient = createQueryClient();
  prefetchLaunch(queryClient, boot.session);
  (await import('./mount-app')).mountApp(boot.session, queryClient, new Date().toISOString().slice(0, 10), boot.accessToken);
}

void main();
