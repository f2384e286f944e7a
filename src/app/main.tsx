import { AppShell } from './app-shell';
import { bootIndex } from './boot';
import { mount, mountProblem } from './render';

/** index.html, the redirect URI: complete the launch, then show the chart. */
async function main(): Promise<void> {
  const boot = await bootIndex(window.location);
  if (!boot.ok) {
    mountProblem(boot.problem);
    return;
  }
  mount(<AppShell session={boot.session} asOf={new Date().toISOString().slice(0, 10)} />);
}

void main();
