/**
 * Starts the audit server: opens (and migrates) the store, builds the app, listens.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildAuditApp } from './app.ts';
import type { AuditSettings } from './config.ts';
import { AuditMetrics } from './metrics.ts';
import { openAuditStore } from './store/kysely-store.ts';
import { openSqliteStoreThread } from './store/sqlite-thread.ts';
import type { AuditStore } from './store/types.ts';
import type { WorkflowService } from './workflow/service.ts';

/**
 * Options of {@link startAuditServer}: the configuration (config.ts; main.ts passes it as it is),
 * every setting optional but `port` and `trustedIssuers`, and what only code can give. Give
 * `databaseUrl` for PostgreSQL (it wins), else `sqlitePath` (created with its folder when missing;
 * default `.data/audit.sqlite`). `pgSchema` keeps the tables in a PostgreSQL schema (tests, the
 * least-privilege role). `port` 0 picks a free port. `shutdownTimeoutSeconds` is main.ts's (its
 * SIGTERM timer): accepted with the rest of the configuration, not used here.
 */
export interface StartAuditServerOptions extends Partial<Omit<AuditSettings, 'port' | 'trustedIssuers'>>, Pick<AuditSettings, 'port' | 'trustedIssuers'> {
  /** Log with pino (authorization headers always redacted); default: at `logLevel` (`silent`: off). */
  logger?: boolean | { level: string; stream?: NodeJS.WritableStream };
  /**
   * The workflow service: an instance is served and its loops are the caller's to start and stop
   * (the sandbox); a factory is given the opened store, and the service it makes is served, started
   * once listening (with `workflowLoops`) and closed with the server (main.ts).
   */
  workflow?: WorkflowService | ((store: AuditStore) => Promise<WorkflowService>) | null;
  /** Options of an owned workflow service's loops (`WorkflowService.start`). */
  workflowLoops?: Parameters<WorkflowService['start']>[0];
}

/** A running audit server. */
export interface RunningAuditServer {
  /** e.g. `http://127.0.0.1:4100` */
  url: string;
  app: FastifyInstance;
  store: AuditStore;
  /** Stops accepting, lets in-flight requests finish, closes the store. */
  close(): Promise<void>;
}

/**
 * Starts the audit server.
 *
 * @example
 * const server = await startAuditServer({ port: 4100, sqlitePath: '.data/audit.sqlite',
 *   trustedIssuers: [{ fhirBase: 'http://127.0.0.1:4000/fhir', mode: 'jwks' }], corsOrigins: ['http://127.0.0.1:5173'] });
 * console.info(server.url);
 */
export async function startAuditServer(options: StartAuditServerOptions): Promise<RunningAuditServer> {
  // Where the store lives and how the process logs and stops are this function's; the rest is the app's.
  const { port, host = '127.0.0.1', databaseUrl, pgSchema, sqlitePath = '.data/audit.sqlite', logLevel, logger, shutdownTimeoutSeconds: _shutdown, ...settings } = options;
  const metrics = new AuditMetrics();
  const onCommit = (seconds: number) => metrics.observeStoreWrite(seconds);
  let store: AuditStore;
  if (databaseUrl) {
    // pg is asynchronous already: the store stays in this thread.
    store = await openAuditStore({ kind: 'postgres', connectionString: databaseUrl, schema: pgSchema ?? undefined }, { onCommit });
  } else {
    if (sqlitePath !== ':memory:') mkdirSync(dirname(sqlitePath), { recursive: true });
    // better-sqlite3 blocks its thread for each commit (fsync included): it gets a thread of its own.
    store = await openSqliteStoreThread(sqlitePath, { onCommit });
  }
  const { workflow: workflowOption, workflowLoops, ...appSettings } = settings;
  const owned = typeof workflowOption === 'function';
  let workflow: WorkflowService | null = null;
  try {
    workflow = typeof workflowOption === 'function' ? await workflowOption(store) : (workflowOption ?? null);
  } catch (error) {
    await store.close();
    throw error;
  }
  const log = logger ?? (logLevel === undefined ? undefined : logLevel === 'silent' ? false : { level: logLevel });
  const app = buildAuditApp({ ...appSettings, store, metrics, ...(workflow ? { workflow } : {}), ...(log === undefined ? {} : { logger: log }) });
  try {
    await app.listen({ port, host });
  } catch (error) {
    await app.close();
    if (owned) await workflow?.close();
    throw error;
  }
  const address = app.server.address();
  const listening = typeof address === 'object' && address !== null ? address.port : port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${listening}`;
  if (workflow && owned) {
    workflow.useServerUrl(url);
    workflow.start(workflowLoops);
  }
  return {
    url,
    app,
    store,
    close: async () => {
      await app.close();
      if (owned) await workflow?.close();
    },
  };
}
