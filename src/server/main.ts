/**
 * The audit server's command line, configured by environment variables (see config.ts): compiled,
 * `node dist/server/main.js` (`npm run serve`); from the sources, `tsx src/server/main.ts`. Prints
 * `Audit: <url>` once listening; exits 1 with one line per bad variable. The compiled server serves
 * the built app beside it (`dist/app`) unless `AUDIT_STATIC_DIR` names another folder.
 *
 * SIGTERM or SIGINT: stop accepting, let the requests in flight finish (their appends are committed
 * before they are answered), close the store, exit 0; after `AUDIT_SHUTDOWN_TIMEOUT_SECONDS`, exit 1.
 *
 * Before listening, the content files the served app's careloop.config.json names are checked
 * (app-content.ts): one line per bad file, exit 1.
 *
 * `main.js backup|verify|export …`: the SQLite admin commands (admin-commands.ts).
 *
 * With `WORKFLOW_FHIR_BASE` set, the workflow service runs in the same process (workflow/config.ts).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runAdminCommand } from './admin-commands.ts';
import { checkAppContent } from './app-content.ts';
import { loadAuditConfig } from './config.ts';
import { startAuditServer } from './server.ts';
import { createWorkflowService, loadWorkflowConfig } from './workflow/config.ts';

/** Set to true by the server build (src/cli/build-server.mjs). */
declare const __CARELOOP_SERVER_BUNDLE__: boolean | undefined;

/** The built app beside the compiled server (`dist/app`), when there is one. */
function bundledAppDir(): string | null {
  if (typeof __CARELOOP_SERVER_BUNDLE__ !== 'boolean' || !__CARELOOP_SERVER_BUNDLE__) return null;
  const dir = fileURLToPath(new URL('../app/', import.meta.url));
  return existsSync(`${dir}index.html`) ? dir : null;
}

const args = process.argv.slice(2);
if (args.length > 0) process.exit(await runAdminCommand(args, process.env));

const loaded = loadAuditConfig(process.env);
if (!loaded.ok) {
  console.error('The audit server is misconfigured:');
  for (const message of loaded.errors) console.error(`  - ${message}`);
  process.exit(1);
}
const { config } = loaded;
const workflowLoaded = loadWorkflowConfig(process.env);
if (!workflowLoaded.ok) {
  console.error('The workflow service is misconfigured:');
  for (const message of workflowLoaded.errors) console.error(`  - ${message}`);
  process.exit(1);
}
const workflowConfig = workflowLoaded.config;
const staticDir = config.staticDir ?? bundledAppDir();
if (staticDir) {
  // The clinical content the app's careloop.config.json names: a bad file stops the start.
  const content = await checkAppContent(staticDir);
  if (!content.ok) {
    console.error(`The app's content in ${staticDir} is invalid:`);
    for (const message of content.errors) console.error(`  - ${message}`);
    process.exit(1);
  }
  for (const file of content.files) console.info(`Content: ${file.path} (${file.kind}, sha256 ${file.sha256}): ${file.canonicals.join(', ')}`);
}
let server: Awaited<ReturnType<typeof startAuditServer>>;
try {
  server = await startAuditServer({
    ...config,
    staticDir,
    ...(workflowConfig
      ? {
          workflow: (store) => createWorkflowService(workflowConfig, { databaseUrl: config.databaseUrl, sqlitePath: config.sqlitePath }, store, config.adminToken),
          workflowLoops: { drainMs: workflowConfig.drainMs, leaseMs: workflowConfig.leaseMs, ...(workflowConfig.pollMs > 0 ? { pollMs: workflowConfig.pollMs } : {}), ...(workflowConfig.reconcileMs > 0 ? { reconcileMs: workflowConfig.reconcileMs } : {}) },
        }
      : {}),
  });
} catch (error) {
  // e.g. the port is taken, the database refuses the role, the SQLite folder is read-only.
  console.error(`The audit server could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
console.info(`Audit: ${server.url} (${server.store.dialect})${staticDir ? `, serving the app from ${staticDir}` : ''}`);
if (workflowConfig) console.info(`Workflow: ${server.url}/api/workflow/status (inbox on ${config.databaseUrl ? 'PostgreSQL, shared' : 'SQLite'})`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.info(`${signal}: finishing the requests in flight, then closing the store`);
    setTimeout(() => {
      console.error(`audit server did not close within ${config.shutdownTimeoutSeconds} s; exiting`);
      process.exit(1);
    }, config.shutdownTimeoutSeconds * 1000).unref();
    server.close().then(
      () => {
        console.info('Audit: closed');
        process.exit(0);
      },
      (error: unknown) => {
        console.error('audit server did not close cleanly', error instanceof Error ? error.message : error);
        process.exit(1);
      },
    );
  });
}
