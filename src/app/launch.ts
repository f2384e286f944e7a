import { bootLaunch } from './boot.ts';

/** launch.html: the EHR's launch URL. Builds the authorization request and leaves for the EHR. */
async function main(): Promise<void> {
  const boot = await bootLaunch(window.location);
  if (boot.ok) {
    window.location.assign(boot.authorizeUrl);
    return;
  }
  // The problem screen (React + MUI) loads only when something went wrong.
  const { mountProblem } = await import('./render.tsx');
  mountProblem(boot.problem);
}

void main();
