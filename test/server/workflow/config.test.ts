/**
 * A hospital deploys the workflow service from the README alone: every variable it reads is in the
 * README's table, and the ones that choose its event sources and automatic actions reach the
 * service it builds (subscriptions as sidebars open, polling, reconciliation, which Tasks it closes).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { generateBackendClientKeys } from '../../../src/sandbox/auth/backend-services.ts';
import type { AuditStore } from '../../../src/server/store/types.ts';
import { createWorkflowService, loadWorkflowConfig, WORKFLOW_ENVIRONMENT_VARIABLES, type WorkflowConfig } from '../../../src/server/workflow/config.ts';

const REPO_ROOT = join(import.meta.dirname, '../../..');
const BASE = { WORKFLOW_FHIR_BASE: 'https://ehr.example/fhir', WORKFLOW_TOKEN_ENDPOINT: 'https://ehr.example/auth/token', WORKFLOW_PRIVATE_KEY_FILE: '/etc/careloop/workflow.jwk' };
const dir = mkdtempSync(join(tmpdir(), 'careloop-workflow-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
/** The service is built but never acts here: nothing reaches its audit store. */
const unusedStore: Pick<AuditStore, 'append'> = { append: (() => Promise.reject(new Error('unused'))) as AuditStore['append'] };

function configOf(env: Record<string, string>): WorkflowConfig {
  const loaded = loadWorkflowConfig({ ...BASE, ...env });
  if (!loaded.ok || !loaded.config) throw new Error(loaded.ok ? 'off' : loaded.errors.join('; '));
  return loaded.config;
}

describe('the workflow service configuration', () => {
  it('reads only variables the README documents', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('#### Workflow service configuration (environment variables'));
    const table = section.slice(0, section.indexOf('\n```'));
    const documented = new Set([...table.matchAll(/^\| `([A-Z_]+)`/gm)].map((m) => m[1]));
    expect(WORKFLOW_ENVIRONMENT_VARIABLES.length).toBeGreaterThan(10);
    for (const name of WORKFLOW_ENVIRONMENT_VARIABLES) expect(documented, name).toContain(name);
  });

  it('defaults to polling, reconciliation and closing only its own outreach Tasks, with no subscriptions', () => {
    expect(configOf({})).toMatchObject({ watchTopic: null, pollMs: 30_000, reconcileMs: 300_000, leaseMs: 30_000, types: null, actions: { closeOwnOutreachTasks: true, closeOutreachTasksForGap: false } });
  });

  it('names a bad event-source or action variable', () => {
    const bad = loadWorkflowConfig({ ...BASE, WORKFLOW_ACTIONS: 'close-everything', WORKFLOW_TYPES: 'observation', WORKFLOW_POLL_MS: '-1', WORKFLOW_WATCH_TOPIC: 'not a url', WORKFLOW_LEASE_MS: '50' });
    const errors = bad.ok ? '' : bad.errors.join('\n');
    expect(errors).toMatch(/^WORKFLOW_ACTIONS\.0: each must be one of close-own-outreach-tasks, close-linked-outreach-tasks$/m);
    expect(errors).toMatch(/^WORKFLOW_TYPES: must be comma-separated FHIR resource types/m);
    expect(errors).toMatch(/^WORKFLOW_POLL_MS/m);
    expect(errors).toMatch(/^WORKFLOW_WATCH_TOPIC/m);
    expect(errors).toMatch(/^WORKFLOW_LEASE_MS/m);
  });

  it('builds the service with the configured sources: per-patient subscriptions, polling and reconciliation of the given types', async () => {
    const keys = await generateBackendClientKeys('ES384');
    const file = join(dir, 'workflow.jwk');
    writeFileSync(file, JSON.stringify({ ...(await exportJWK(keys.privateKey)), kid: keys.kid, alg: keys.alg }));
    const config = configOf({ WORKFLOW_PRIVATE_KEY_FILE: file, WORKFLOW_WATCH_TOPIC: 'https://ehr.example/SubscriptionTopic/patient-chart', WORKFLOW_TYPES: 'Observation,Task', WORKFLOW_ACTIONS: 'close-own-outreach-tasks,close-linked-outreach-tasks' });
    expect(config.actions).toEqual({ closeOwnOutreachTasks: true, closeOutreachTasksForGap: true });
    const service = await createWorkflowService(config, { databaseUrl: null, sqlitePath: join(dir, 'audit.sqlite') }, unusedStore, null);
    try {
      expect(service.poller).not.toBeNull();
      expect(service.reconciler).not.toBeNull();
    } finally {
      await service.close();
    }
    const quiet = await createWorkflowService(configOf({ WORKFLOW_PRIVATE_KEY_FILE: file, WORKFLOW_POLL_MS: '0', WORKFLOW_RECONCILE_MS: '0' }), { databaseUrl: null, sqlitePath: join(dir, 'audit2.sqlite') }, unusedStore, null);
    try {
      expect(quiet.poller).toBeNull();
      expect(quiet.reconciler).toBeNull();
    } finally {
      await quiet.close();
    }
  });
});
