/**
 * Child process of the inbox crash test: receives events (durably), optionally claims them, then
 * dies with SIGKILL before completing anything, as a crashed server would.
 * argv: DB_PATH (receive | claim)
 */
import { openInbox } from '../../../src/server/workflow/inbox.ts';

const [dbPath, stage] = process.argv.slice(2);
const inbox = openInbox({ path: dbPath ?? '', leaseMs: 1000 });
inbox.receive(
  [1, 2, 3].map((n) => ({
    source: 'rest-hook',
    subscription: 'Subscription/crash',
    eventNumber: n,
    resourceType: 'Observation',
    resourceId: `obs-${n}`,
    versionId: '1',
    lastUpdated: '2026-11-23T12:00:00Z',
    patient: 'ada',
  })),
);
if (stage === 'claim') inbox.claim(10);
process.stdout.write('received\n');
process.kill(process.pid, 'SIGKILL');
