/**
 * Starts the audit server: opens (and migrates) the store, builds the app, listens.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildAuditApp } from './app.ts';
import type { TrustedIssuer } from './auth/token-verifier.ts';
import { AuditMetrics } from './metrics.ts';
import { openAuditStore } from './store/kysely-store.ts';
import { openSqliteStoreThread } from './store/sqlite-thread.ts';
import type { AuditStore } from './store/types.ts';
import type { WorkflowService } from './workflow/service.ts';

/** Options of {@link startAuditServer}. Give `databaseUrl` for PostgreSQL, else `sqlitePath`. */
export interface StartAuditServerOptions {
  /** 0 picks a free port. */
  port: number;
  host?: string;
  /** PostgreSQL connection string; wins over `sqlitePath`. */
  databaseUrl?: string | null;
  /** SQLite file (created with its folder when missing). */
  sqlitePath?: string;
  /** PostgreSQL schema to keep the tables in (tests). */
  pgSchema?: string;
  trustedIssuers: readonly TrustedIssuer[];
  corsOrigins?: readonly string[];
  bodyLimitBytes?: number;
  rateLimit?: { perSecond: number; burst: number };
  clientRateLimit?: { perSecond: number; burst: number };
  staticDir?: string | null;
  logger?: boolean | { level: string; stream?: NodeJS.WritableStream };
  tokenCacheSeconds?: number;
  /** The admin credential for `GET /api/audit/verify`; unset closes that route. */
  adminToken?: string | null;
  /** CSP `frame-ancestors`: the EHR origins allowed to embed the app (default: the sandbox's). */
  frameAncestors?: readonly string[];
  /** CSP `connect-src` beyond this origin and the issuers' FHIR servers. */
  connectSrc?: readonly string[];
  /** Believe the reverse proxy's `X-Forwarded-*` headers (all, or from these addresses). */
  trustProxy?: boolean | readonly string[];
  /** Makes the workflow service with the opened store; it is served, started once listening, and closed with the server. */
  workflow?: (store: AuditStore) => Promise<WorkflowService>;
  /** Options of the workflow service's loops (`WorkflowService.start`). */
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
  const metrics = new AuditMetrics();
  const onCommit = (seconds: number) => metrics.observeStoreWrite(seconds);
  let store: AuditStore;
  if (options.databaseUrl) {
    // pg is asynchronous already: the store stays in this thread.
    store = await openAuditStore({ kind: 'postgres', connectionString: options.databaseUrl, schema: options.pgSchema }, { onCommit });
  } else {
    const path = options.sqlitePath ?? '.data/audit.sqlite';
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    // better-sqlite3 blocks its thread for each commit (fsync included): it gets a thread of its own.
    store = await openSqliteStoreThread(path, { onCommit });
  }
  let workflow: WorkflowService | null = null;
  try {
    workflow = options.workflow ? await options.workflow(store) : null;
  } catch (error) {
    await store.close();
    throw error;
  }
  const app = buildAuditApp({
    store,
    ...(workflow ? { workflow } : {}),
    metrics,
    trustedIssuers: options.trustedIssuers,
    ...(options.corsOrigins ? { corsOrigins: options.corsOrigins } : {}),
    ...(options.bodyLimitBytes ? { bodyLimitBytes: options.bodyLimitBytes } : {}),
    ...(options.rateLimit ? { rateLimit: options.rateLimit } : {}),
    ...(options.clientRateLimit ? { clientRateLimit: options.clientRateLimit } : {}),
    ...(options.staticDir ? { staticDir: options.staticDir } : {}),
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
    ...(options.tokenCacheSeconds !== undefined ? { tokenCacheSeconds: options.tokenCacheSeconds } : {}),
    ...(options.adminToken ? { adminToken: options.adminToken } : {}),
    ...(options.frameAncestors ? { frameAncestors: options.frameAncestors } : {}),
    ...(options.connectSrc ? { connectSrc: options.connectSrc } : {}),
    ...(options.trustProxy ? { trustProxy: options.trustProxy } : {}),
  });
  try {
    await app.listen({ port: options.port, host: options.host ?? '127.0.0.1' });
  } catch (error) {
    await app.close();
    await workflow?.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  const host = options.host ?? '127.0.0.1';
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  if (workflow) {
    workflow.useServerUrl(url);
    workflow.start(options.workflowLoops);
  }
  return {
    url,
    app,
    store,
    close: async () => {
      await app.close();
      await workflow?.close();
    },
  };
}
