import { bootIndex } from './boot.ts';
import { liveFor } from './live-for.ts';
import { sendLaunchReads } from './launch-reads.ts';
import { preloadLazyChunks } from './preload-lazy-chunks.ts';

/** How long the UI waits for the reads before it shows the loading skeleton. */
const SKELETON_AFTER_MS = 200;

/**
 * index.html, the redirect URI. The page evaluates only what the token exchange and the first
 * reads need (fhirclient, the config, the FHIR fetchers) before sending the token request. As
 * soon as the token is there, every FHIR read the first card needs goes out from this chunk; then
 * the rest — react-query and the audit client, the UI's chunks (React DOM, MUI, the card), the
 * rule engine — is fetched, compiled and run while the server answers. The first card waits for
 * the slowest read or the UI, whichever is later, not their sum.
 */
async function main(): Promise<void> {
  const boot = await bootIndex(window.location);
  if (!boot.ok) {
    (await import('./mount-app.tsx')).mountProblem(boot.problem);
    return;
  }
  // The reads first: on a real EHR they are the slowest part of the launch. Then the hints fetch
  // and compile the UI's chunks side by side while the server answers.
  const fhirReads = sendLaunchReads(boot.session);
  preloadLazyChunks();
  const { queryClient, audit, settled } = (await import('./start-reads.ts')).startReads(boot, fhirReads);
  const ui = await import('./mount-app.tsx');
  // The page already says "Loading Careloop…". When the reads answer within a moment of the UI
  // being ready, React renders the card straight away instead of a skeleton first (a skeleton that
  // flashes for a few frames costs a full render); otherwise the skeleton shows its progress.
  await Promise.race([settled, new Promise((resolve) => setTimeout(resolve, SKELETON_AFTER_MS))]);
  ui.mountApp(boot.session, queryClient, new Date().toISOString().slice(0, 10), audit, liveFor(boot.session, boot.accessToken));
}

void main();
