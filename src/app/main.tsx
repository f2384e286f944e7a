import { bootIndex } from './boot';
import { preloadLazyChunks } from './preload-lazy-chunks';

/** How long the UI waits for the reads before it shows the loading skeleton. */
const SKELETON_AFTER_MS = 200;

/**
 * index.html, the redirect URI. The page evaluates only what the token exchange needs
 * (fhirclient, the config) before sending the token request. The rest — react-query and the
 * reads, the UI's chunks (React DOM, MUI, the card), the rule engine — downloads while the token
 * is exchanged; every read the first card needs starts as soon as the token is there; the UI runs
 * while those reads are in flight. The first card waits for the slowest of them, not their sum.
 */
async function main(): Promise<void> {
  const booting = bootIndex(window.location);
  // fhirclient sends the token request from this task's microtasks; the hints and the reads
  // module follow it (a preload only fetches and compiles; nothing runs until it is imported).
  await new Promise((resolve) => setTimeout(resolve, 0));
  preloadLazyChunks();
  const reads = import('./start-reads');
  const boot = await booting;
  if (!boot.ok) {
    (await import('./mount-app')).mountProblem(boot.problem);
    return;
  }
  const { queryClient, audit, settled } = (await reads).startReads(boot);
  const ui = await import('./mount-app');
  // The page already says "Loading Careloop…". When the reads answer within a moment of the UI
  // being ready, React renders the card straight away instead of a skeleton first (a skeleton that
  // flashes for a few frames costs a full render); otherwise the skeleton shows its progress.
  await Promise.race([settled, new Promise((resolve) => setTimeout(resolve, SKELETON_AFTER_MS))]);
  ui.mountApp(boot.session, queryClient, new Date().toISOString().slice(0, 10), audit);
}

void main();
