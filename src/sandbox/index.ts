/**
 * The local SMART sandbox: EHR (chart, SMART authorization server, FHIR API) plus the real app,
 * on one machine, no outside service.
 *
 * @example
 * const sandbox = await startSandbox({ ehrPort: 0, app: 'none' });
 * console.info(sandbox.fhirBase); // http://127.0.0.1:53121/fhir
 * await sandbox.close();
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { startApp, sandboxHeaderPolicy, isAddressInUse, PortInUseError, type AppMode, type RunningApp } from './app-server.ts';
import { splitScopes } from '../shared/smart-scopes.ts';
import { careloopClient, type ClientRegistration, type EhrState } from './state.ts';
import { buildEhr } from './ehr.ts';
import { generateBackendClientKeys, type BackendClientKeys } from './auth/backend-services.ts';
import type { ApiTarget } from './api-proxy.ts';
import { APP_VERSION } from '../shared/version.ts';
import { startAuditServer, type RunningAuditServer } from '../server/server.ts';
import { workflowDbPathFor } from '../server/workflow/inbox.ts';
import { ruleEngine } from '../server/workflow/rule-engine.ts';
import { WorkflowService } from '../server/workflow/service.ts';
import { TOPIC_BASE, TOPIC_TYPES } from './subscriptions/topics.ts';

export { buildEhr, type BuildEhrOptions, type Ehr } from './ehr.ts';
export { careloopClient, EhrState, EHR_USER, type ClientRegistration, type MintedLaunch, type WriteLogEntry } from './state.ts';
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
  readonly audit?:
    | false
    | {
        readonly port?: number;
        readonly sqlitePath?: string;
        readonly databaseUrl?: string | null;
        /** The admin credential (`AUDIT_ADMIN_TOKEN`): opens `/api/audit/verify` and the workflow status page. Unset: both closed. */
        readonly adminToken?: string | null;
      };
  /**
   * The workflow service inside the audit backend (live chart: the sidebar's change channel, and
   * closing Careloop's outreach Tasks whose gap closed). Default on when the audit backend is;
   * `false`: off. `pollMs`/`drainMs`/`reconcileMs` tune its loops (defaults 30 s, 200 ms, 5 min),
   * `heartbeatSeconds` the heartbeat period it asks of its Subscriptions (default 60), `log` receives
   * its log lines (tests).
   */
  readonly workflow?: false | WorkflowSandboxOptions;
}

/** The workflow service's tuning in the sandbox (see {@link SandboxOptions.workflow}). */
export interface WorkflowSandboxOptions {
  readonly pollMs?: number;
  readonly drainMs?: number;
  readonly reconcileMs?: number;
  readonly heartbeatSeconds?: number;
  readonly log?: (line: Record<string, unknown>) => void;
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
  /**
   * The workflow service running in the audit backend, or null when off. `workflow.stop()` takes it
   * down alone (the EHR and the audit API stay up; notifications sent meanwhile are refused) and
   * `workflow.start()` brings it back with the same inbox and timing, catching up.
   */
  readonly workflow: WorkflowService | null;
  /** The EHR's state, for tests (store, faults, writes, launches). */
  readonly ctx: EhrState;
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
/** The identifier system of the app's written resources (public/careloop.config.json). */
const IDENTIFIER_SYSTEM = 'https://careloop.example/fhir/identifier/care-gap-action';

/**
 * The workflow service as the sandbox runs it: the EHR's backend client, the sidebar's rule pack,
 * closing Careloop's own outreach Tasks only (the default), `patient-chart-change` subscriptions
 * per patient on demand (a sidebar opening a chart), polling as the safety net, and reconciliation
 * of the patients with open Careloop work or recent changes (counting what the events missed).
 */
function sandboxWorkflow(ctx: EhrState, keys: BackendClientKeys, inbox: string, late: { server: RunningAuditServer | null }, tuning: WorkflowSandboxOptions, adminToken: string | null): WorkflowService {
  const fhirBase = ctx.fhirBase;
  return new WorkflowService({
    fhirBase,
    backend: { tokenEndpoint: `${ctx.baseUrl}/auth/token`, clientId: WORKFLOW_CLIENT_ID, privateKey: keys.privateKey, kid: keys.kid, alg: keys.alg, scope: WORKFLOW_SCOPE },
    inbox,
    adminToken,
    publicUrl: () => late.server?.url ?? '',
    watch: { topic: `${TOPIC_BASE}/patient-chart-change` },
    poll: { types: [...TOPIC_TYPES] },
    reconcile: { types: [...TOPIC_TYPES], identifierSystem: IDENTIFIER_SYSTEM },
    ...(tuning.heartbeatSeconds !== undefined ? { heartbeatSeconds: tuning.heartbeatSeconds } : {}),
    ...(tuning.log ? { log: tuning.log } : {}),
    reevaluate: {
      rules: ruleEngine(),
      identifierSystem: IDENTIFIER_SYSTEM,
      asOf: () => new Date(ctx.now()).toISOString().slice(0, 10),
      audit: {
        store: {
          get append() {
            const store = late.server?.store;
            if (!store) throw new Error('the audit store is not open yet');
            return store.append.bind(store);
          },
        },
        actor: { sub: WORKFLOW_CLIENT_ID, fhirUser: null, clientId: WORKFLOW_CLIENT_ID, issuer: fhirBase },
      },
      appVersion: APP_VERSION,
    },
  });
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const ehrPort = options.ehrPort ?? 4000;
  const appPort = options.appPort ?? 5173;
  const api: ApiTarget = { url: null };
  const headers = sandboxHeaderPolicy();
  const app: RunningApp = await startApp(options.app ?? 'dev', appPort, api, headers);
  let audit: RunningAuditServer | null = null;
  let workflow: WorkflowService | null = null;
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
      const sqlitePath = settings.sqlitePath ?? ':memory:';
      // Registered in the audit app before it listens; its URL and store are bound once it does.
      const late: { server: RunningAuditServer | null } = { server: null };
      const inbox = settings.databaseUrl ? ':memory:' : workflowDbPathFor(sqlitePath);
      // The inbox opens before the audit server makes the audit file's folder.
      if (options.workflow !== false && inbox !== ':memory:') mkdirSync(dirname(inbox), { recursive: true });
      workflow = options.workflow === false ? null : sandboxWorkflow(ctx, workflowKeys, inbox, late, options.workflow ?? {}, settings.adminToken ?? null);
      try {
        audit = await startAuditServer({
          port: settings.port ?? 0,
          ...(settings.databaseUrl ? { databaseUrl: settings.databaseUrl } : { sqlitePath }),
          trustedIssuers: [{ fhirBase: ctx.fhirBase, mode: 'jwks' }],
          corsOrigins: [app.url],
          frameAncestors: [ctx.baseUrl],
          logger: false,
          ...(settings.adminToken ? { adminToken: settings.adminToken } : {}),
          ...(workflow ? { workflow } : {}),
        });
      } catch (err) {
        await workflow?.close();
        await ehr.close();
        if (isAddressInUse(err)) throw new PortInUseError(settings.port ?? 0, 'AUDIT_PORT');
        throw err;
      }
      late.server = audit;
      api.url = audit.url;
      const tuning = options.workflow || {};
      workflow?.start({ drainMs: tuning.drainMs ?? 200, ...(tuning.pollMs !== undefined ? { pollMs: tuning.pollMs } : {}), ...(tuning.reconcileMs !== undefined ? { reconcileMs: tuning.reconcileMs } : {}) });
    }
    const running = audit;
    return {
      ehrUrl: `${ctx.baseUrl}/`,
      fhirBase: ctx.fhirBase,
      appUrl: app.url,
      auditUrl: running?.url ?? null,
      audit: running,
      workflow,
      ctx,
      workflowClient: { clientId: WORKFLOW_CLIENT_ID, tokenEndpoint: `${ctx.baseUrl}/auth/token`, scope: WORKFLOW_SCOPE, keys: workflowKeys },
      chartUrl: (id) => `${ctx.baseUrl}/chart/${encodeURIComponent(id)}`,
      close: async () => {
        // Live channels first: the app server's proxy holds them open.
        workflow?.endLiveChannels();
        await Promise.allSettled([ehr.close(), app.close()]);
        await workflow?.close();
        await running?.close();
      },
    };
  } catch (err) {
    await app.close();
    throw err;
  }
}
