/**
 * The local SMART sandbox: EHR (chart, SMART authorization server, FHIR API) plus the real app,
 * on one machine, no outside service.
 *
 * @example
 * const sandbox = await startSandbox({ ehrPort: 0, app: 'none' });
 * console.info(sandbox.fhirBase); // http://127.0.0.1:53121/fhir
 * await sandbox.close();
 */
import { startApp, sandboxHeaderPolicy, isAddressInUse, PortInUseError, type AppMode, type RunningApp } from './app-server.ts';
import { splitScopes } from '../shared/smart-scopes.ts';
import { careloopClient, type ClientRegistration, type EhrContext } from './context.ts';
import { buildEhr } from './ehr.ts';
import { generateBackendClientKeys, type BackendClientKeys } from './auth/backend-services.ts';
import type { ApiTarget } from './api-proxy.ts';
import { startAuditServer, type RunningAuditServer } from '../server/server.ts';

export { buildEhr, type BuildEhrOptions, type Ehr } from './ehr.ts';
export { careloopClient, EhrContext, EHR_USER, type ClientRegistration, type LaunchContext, type WriteRecord } from './context.ts';
export { buildApp, PortInUseError, REPO_ROOT, type AppMode } from './app-server.ts';
export { faultRuleSchema, type FaultRule, type FaultRuleInput } from './faults.ts';

export interface SandboxOptions {
  /** EHR port on 127.0.0.1; 0 = any free port. Default 4000. */
  readonly ehrPort?: number;
  /** App port on localhost; 0 = any free port (not with 'none'). Default 5173. */
  readonly appPort?: number;
  /**
   * How the app is served: Vite's dev server ('dev', default), a fresh production build ('build'),
   * an already built directory ({ staticDir }), or not at all ('none': the client is still registered
   * for `http://localhost:<appPort>`).
   */
  readonly app?: AppMode;
  /** Reference date (`YYYY-MM-DD`) the cast is dated from; default today (UTC). */
  readonly referenceDate?: string;
  /** Leave out the >5,000-resource patient. Default false. */
  readonly skipLargeRecord?: boolean;
  /** More clients to register, besides `careloop`. */
  readonly clients?: readonly ClientRegistration[];
  readonly accessTokenTtlSeconds?: number;
  /** Log every EHR request. Default false. */
  readonly logger?: boolean;
  /**
   * The audit backend beside the EHR, trusting its tokens, reached by the app at `/api` on its own
   * origin. Default: on, SQLite in memory (the sandbox's FHIR data is in memory too). `false`: off.
   */
  readonly audit?: false | { readonly port?: number; readonly sqlitePath?: string; readonly databaseUrl?: string | null };
}

export interface Sandbox {
  /** The EHR's patient list, e.g. `http://127.0.0.1:4000/`. */
  readonly ehrUrl: string;
  /** The FHIR base URL, the `iss`. */
  readonly fhirBase: string;
  /** The app's origin, e.g. `http://localhost:5173`. */
  readonly appUrl: string;
  /** The audit backend's origin (its API is under `/api/audit`), or null when off. */
  readonly auditUrl: string | null;
  /** The running audit backend, for tests that look at what the trail holds. */
  readonly audit: RunningAuditServer | null;
  /** The EHR's state, for tests (store, faults, writes, launches). */
  readonly ctx: EhrContext;
  /**
   * The workflow service's SMART Backend Services registration: a key pair generated at start,
   * its public JWKS registered with the EHR as client `careloop-workflow` (system read, Task update,
   * Provenance create, Subscription); the private key stays in this process.
   */
  readonly workflowClient: { readonly clientId: string; readonly tokenEndpoint: string; readonly scope: string; readonly keys: BackendClientKeys };
  /** The chart page of a patient. */
  chartUrl(patientId: string): string;
  close(): Promise<void>;
}

const WORKFLOW_CLIENT_ID = 'careloop-workflow';
const WORKFLOW_SCOPE = 'system/*.rs system/Task.rus system/Provenance.c system/Subscription.crud';

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const ehrPort = options.ehrPort ?? 4000;
  const appPort = options.appPort ?? 5173;
  const api: ApiTarget = { url: null };
  const headers = sandboxHeaderPolicy();
  const app: RunningApp = await startApp(options.app ?? 'dev', appPort, api, headers);
  let audit: RunningAuditServer | null = null;
  try {
    const workflowKeys = await generateBackendClientKeys('ES384');
    const { app: ehr, ctx } = await buildEhr({
      clients: [careloopClient(app.url), ...(options.clients ?? [])],
      backendClients: [{ clientId: WORKFLOW_CLIENT_ID, name: 'Careloop workflow service', jwks: workflowKeys.jwks, allowedScopes: splitScopes(WORKFLOW_SCOPE) }],
      ...(options.referenceDate ? { referenceDate: options.referenceDate } : {}),
      ...(options.skipLargeRecord !== undefined ? { skipLargeRecord: options.skipLargeRecord } : {}),
      ...(options.accessTokenTtlSeconds !== undefined ? { accessTokenTtlSeconds: options.accessTokenTtlSeconds } : {}),
      ...(options.logger !== undefined ? { logger: options.logger } : {}),
    });
    try {
      await ehr.listen({ port: ehrPort, host: '127.0.0.1' });
    } catch (err) {
      await ehr.close();
      if (isAddressInUse(err)) throw new PortInUseError(ehrPort, 'EHR_PORT');
      throw err;
    }
    const address = ehr.server.address();
    const port = typeof address === 'object' && address ? address.port : ehrPort;
    ctx.baseUrl = `http://127.0.0.1:${port}`;
    // The app may be framed by this EHR only, and calls its FHIR and authorization endpoints.
    headers.frameAncestors = [ctx.baseUrl];
    headers.connectSrc = [ctx.baseUrl];
    if (options.audit !== false) {
      const settings = options.audit ?? {};
      try {
        audit = await startAuditServer({
          port: settings.port ?? 0,
          ...(settings.databaseUrl ? { databaseUrl: settings.databaseUrl } : { sqlitePath: settings.sqlitePath ?? ':memory:' }),
          trustedIssuers: [{ fhirBase: ctx.fhirBase, mode: 'jwks' }],
          corsOrigins: [app.url],
          frameAncestors: [ctx.baseUrl],
          logger: false,
        });
      } catch (err) {
        await ehr.close();
        if (isAddressInUse(err)) throw new PortInUseError(settings.port ?? 0, 'AUDIT_PORT');
        throw err;
      }
      api.url = audit.url;
    }
    const running = audit;
    return {
      ehrUrl: `${ctx.baseUrl}/`,
      fhirBase: ctx.fhirBase,
      appUrl: app.url,
      auditUrl: running?.url ?? null,
      audit: running,
      ctx,
      workflowClient: { clientId: WORKFLOW_CLIENT_ID, tokenEndpoint: `${ctx.baseUrl}/auth/token`, scope: WORKFLOW_SCOPE, keys: workflowKeys },
      chartUrl: (id) => `${ctx.baseUrl}/chart/${encodeURIComponent(id)}`,
      close: async () => {
        await Promise.allSettled([ehr.close(), app.close()]);
        await running?.close();
      },
    };
  } catch (err) {
    await app.close();
    throw err;
  }
}
