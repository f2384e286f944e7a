/**
 * Admin commands for the workflow inbox:
 *
 *   npx tsx src/server/workflow/cli.ts stats --db .data/audit.workflow.sqlite
 *   npx tsx src/server/workflow/cli.ts dead-letters --db .data/audit.workflow.sqlite
 *   npx tsx src/server/workflow/cli.ts replay --db .data/audit.workflow.sqlite (--id N | --all)
 *   DATABASE_URL=postgres://… npx tsx src/server/workflow/cli.ts replay --all [--schema careloop_workflow]
 *
 * `replay` puts parked events back in the queue with fresh attempts; the running service picks them
 * up on its next pass (on PostgreSQL: any instance, through a new pg-boss job). Without `--db`, the
 * inbox is the PostgreSQL one `DATABASE_URL` names. Output is JSON lines; exit 2 on a usage error.
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { openInbox, type WorkflowInbox } from './inbox.ts';
import { openPgInbox } from './pg-inbox.ts';

const USAGE = 'usage: workflow (stats | dead-letters | replay (--id N | --all)) (--db FILE | with DATABASE_URL set [--schema NAME])';

/** Runs one command; returns the exit code. `print` gets each output line; `env` supplies DATABASE_URL. */
export async function runInboxCommand(argv: readonly string[], print: (line: string) => void, env: Readonly<Record<string, string | undefined>> = {}): Promise<number> {
  const [command, ...rest] = argv;
  let db: string | undefined;
  let schema: string | undefined;
  let id: number | undefined;
  let all = false;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg === '--db') db = rest[++i];
    else if (arg === '--schema' && /^[a-z_][a-z0-9_]{0,40}$/.test(rest[i + 1] ?? '')) schema = rest[++i];
    else if (arg === '--all') all = true;
    else if (arg === '--id' && /^[1-9]\d{0,15}$/.test(rest[i + 1] ?? '')) id = Number(rest[++i]);
    else {
      print(JSON.stringify({ error: `unexpected argument ${arg ?? ''}`, usage: USAGE }));
      return 2;
    }
  }
  const databaseUrl = env['DATABASE_URL'];
  if (db === undefined && !databaseUrl) {
    print(JSON.stringify({ error: '--db is required (or DATABASE_URL for the PostgreSQL inbox)', usage: USAGE }));
    return 2;
  }
  if (db !== undefined && !existsSync(db)) {
    print(JSON.stringify({ error: `no workflow database at ${db}`, usage: USAGE }));
    return 2;
  }
  const inbox: WorkflowInbox =
    db !== undefined ? openInbox({ path: db }) : await openPgInbox({ connectionString: databaseUrl ?? '', maxConnections: 2, ...(schema ? { schema } : {}) });
  try {
    switch (command) {
      case 'stats':
        print(JSON.stringify(await inbox.stats()));
        return 0;
      case 'dead-letters':
        for (const d of await inbox.deadLetters()) {
          const e = await inbox.event(d.eventId);
          print(JSON.stringify({ ...d, resource: e ? `${e.resourceType}/${e.resourceId}` : null, subscription: e?.subscription ?? null, eventNumber: e?.eventNumber ?? null }));
        }
        return 0;
      case 'replay':
        if ((id === undefined) === !all) {
          print(JSON.stringify({ error: 'replay needs --id N or --all', usage: USAGE }));
          return 2;
        }
        print(JSON.stringify({ replayed: await inbox.replay(all ? 'all' : { deadLetterId: id ?? 0 }) }));
        return 0;
      default:
        print(JSON.stringify({ error: `unknown command ${command ?? ''}`, usage: USAGE }));
        return 2;
    }
  } finally {
    await inbox.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await runInboxCommand(process.argv.slice(2), (line) => process.stdout.write(`${line}\n`), process.env);
}
