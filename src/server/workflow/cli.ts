/**
 * Admin commands for the workflow inbox:
 *
 *   npx tsx src/server/workflow/cli.ts stats --db .data/audit.workflow.sqlite
 *   npx tsx src/server/workflow/cli.ts dead-letters --db .data/audit.workflow.sqlite
 *   npx tsx src/server/workflow/cli.ts replay --db .data/audit.workflow.sqlite (--id N | --all)
 *
 * `replay` puts parked events back in the queue with fresh attempts; the running service picks them
 * up on its next pass. Output is JSON lines; exit 2 on a usage error.
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { openInbox } from './inbox.ts';

const USAGE = 'usage: workflow (stats | dead-letters | replay (--id N | --all)) --db FILE';

/** Runs one command; returns the exit code. `print` gets each output line. */
export function runInboxCommand(argv: readonly string[], print: (line: string) => void): number {
  const [command, ...rest] = argv;
  let db: string | undefined;
  let id: number | undefined;
  let all = false;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg === '--db') db = rest[++i];
    else if (arg === '--all') all = true;
    else if (arg === '--id' && /^[1-9]\d{0,15}$/.test(rest[i + 1] ?? '')) id = Number(rest[++i]);
    else {
      print(JSON.stringify({ error: `unexpected argument ${arg ?? ''}`, usage: USAGE }));
      return 2;
    }
  }
  if (!db || !existsSync(db)) {
    print(JSON.stringify({ error: db ? `no workflow database at ${db}` : '--db is required', usage: USAGE }));
    return 2;
  }
  const inbox = openInbox({ path: db });
  try {
    switch (command) {
      case 'stats':
        print(JSON.stringify(inbox.stats()));
        return 0;
      case 'dead-letters':
        for (const d of inbox.deadLetters()) {
          const e = inbox.event(d.eventId);
          print(JSON.stringify({ ...d, resource: e ? `${e.resourceType}/${e.resourceId}` : null, subscription: e?.subscription ?? null, eventNumber: e?.eventNumber ?? null }));
        }
        return 0;
      case 'replay':
        if ((id === undefined) === !all) {
          print(JSON.stringify({ error: 'replay needs --id N or --all', usage: USAGE }));
          return 2;
        }
        print(JSON.stringify({ replayed: inbox.replay(all ? 'all' : { deadLetterId: id ?? 0 }) }));
        return 0;
      default:
        print(JSON.stringify({ error: `unknown command ${command ?? ''}`, usage: USAGE }));
        return 2;
    }
  } finally {
    inbox.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = runInboxCommand(process.argv.slice(2), (line) => process.stdout.write(`${line}\n`));
}
