/**
 * The workflow service wired to the sandbox EHR in one process, for tests: the EHR registers the
 * service's backend client by its JWKS and POSTs its notifications into the audit app through
 * `inject`; the service reaches the EHR the same way. Each test file says what it adds (its scopes,
 * clock, handler or re-evaluation).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BuildEhrOptions } from '../../../src/sandbox/ehr.ts';
import { generateBackendClientKeys } from '../../../src/sandbox/auth/backend-services.ts';
import type { Ehr } from '../../../src/sandbox/index.ts';
import { WorkflowService, type WorkflowServiceOptions } from '../../../src/server/workflow/service.ts';
import { adminToken, BASE, FHIR, testEhr } from '../../sandbox/support.ts';
import { harness, type Harness } from '../support/harness.ts';
import { injectFetch } from './inject-fetch.ts';

export interface WorkflowRig {
  readonly ehr: Ehr;
  readonly h: Harness;
  readonly service: WorkflowService;
  /** A user token that may write anything to the EHR (to file the chart changes). */
  readonly writer: string;
  close(): Promise<void>;
}

export interface WorkflowRigOptions {
  /** The backend client's `system/` scopes (granted and asked for). */
  readonly scopes: readonly string[];
  readonly alg?: 'RS384' | 'ES384';
  readonly ehr?: Partial<BuildEhrOptions>;
  /** The rest of the service's options; `h()` is the audit app once it is built (for its store). */
  readonly service?: (h: () => Harness) => Partial<WorkflowServiceOptions>;
}

export async function startWorkflowRig({ scopes, alg = 'ES384', ehr: ehrOptions = {}, service: more }: WorkflowRigOptions): Promise<WorkflowRig> {
  const dir = mkdtempSync(join(tmpdir(), 'careloop-workflow-'));
  const keys = await generateBackendClientKeys(alg);
  const built: { h?: Harness } = {};
  const app = (): Harness => {
    if (!built.h) throw new Error('the audit app is not built yet');
    return built.h;
  };
  const ehr = await testEhr({
    heartbeatTimers: false,
    backendClients: [{ clientId: 'careloop-workflow', name: 'Careloop workflow', jwks: keys.jwks, allowedScopes: [...scopes] }],
    notificationFetch: ((input: string | URL | Request, init?: RequestInit) => injectFetch(app().app)(input, init)) as typeof fetch,
    ...ehrOptions,
  });
  const service = new WorkflowService({
    fhirBase: FHIR,
    backend: { tokenEndpoint: `${BASE}/auth/token`, clientId: 'careloop-workflow', privateKey: keys.privateKey, kid: keys.kid, alg: keys.alg, scope: scopes.join(' ') },
    inbox: join(dir, 'audit.workflow.sqlite'),
    publicUrl: 'http://127.0.0.1:8080',
    fetch: injectFetch(ehr.app),
    ...more?.(app),
  });
  const h = (built.h = await harness({ workflow: service }));
  const writer = await adminToken(ehr, 'user/*.cruds');
  return {
    ehr,
    h,
    service,
    writer,
    close: async () => {
      await service.close();
      await app().close();
      await ehr.app.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
