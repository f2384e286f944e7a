/**
 * Child process of the two-process inbox test: drains the inbox at DB_PATH and prints the id of
 * every event it handled, one per line.
 */
import { drainInbox, openInbox } from '../../../src/server/workflow/inbox.ts';

const inbox = openInbox({ path: process.argv[2] ?? '', leaseMs: 60_000 });
const handled: number[] = [];
for (let idle = 0; idle < 3; ) {
  const r = await drainInbox(inbox, async (e) => {
    handled.push(e.id);
    await new Promise((resolve) => setImmediate(resolve));
  }, 5);
  idle = r.done === 0 ? idle + 1 : 0;
  await new Promise((resolve) => setTimeout(resolve, 5));
}
inbox.close();
process.stdout.write(`${handled.join('\n')}\n`);
