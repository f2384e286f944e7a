/**
 * The workflow service's configuration, from environment variables, validated at start (one
 * message per bad variable, as the audit server's own config.ts does). The service is off unless
 * `WORKFLOW_FHIR_BASE` is set. Its inbox follows the audit store: with `DATABASE_URL`, the shared
 * PostgreSQL queue (pg-boss; several instances share the work), else a SQLite file beside the
 * audit database.
 *
 * | Variable | Meaning |
 * |---|---|
 * | `WORKFLOW_FHIR_BASE` | the EHR's FHIR base; turns the service on |
 * | `WORKFLOW_TOKEN_ENDPOINT` | the EHR's token endpoint (SMART Backend Services) |
 * | `WORKFLOW_CLIENT_ID` | the backend client's id (default `careloop-workflow`) |
 * | `WORKFLOW_PRIVATE_KEY_FILE` | a private JWK (JSON, with `kid` and `alg` RS384 or ES384) the EHR knows by its JWKS |
 * | `WORKFLOW_SCOPE` | the `system/` scopes asked for |
 * | `WORKFLOW_PUBLIC_URL` | where the EHR reaches this server's rest-hook (default: its own URL) |
 * | `WORKFLOW_NOTIFICATION_SECRET` | the rest-hook credential (default: made at the first start and kept in the inbox, the same for every instance and restart) |
 * | `WORKFLOW_IDENTIFIER_SYSTEM` | Careloop's action identifier system (as the app's config) |
 * | `WORKFLOW_PG_SCHEMA` | schema of the PostgreSQL inbox (default `careloop_workflow`) |
 * | `WORKFLOW_DRAIN_MS` | how often an instance takes work from the inbox (default 500) |
 * | `WORKFLOW_AS_OF` | evaluate as of this date instead of today (demos and tests on the sandbox) |
 * | `WORKFLOW_WATCH_TOPIC` | the EHR's SubscriptionTopic for a patient's chart changes: subscribe per patient as sidebars open |
 * | `WORKFLOW_POLL_MS` | poll the types with `_lastUpdated` this often (default 30,000; 0: off) |
 * | `WORKFLOW_RECONCILE_MS` | reconcile this often (default 300,000; 0: off) |
 * | `WORKFLOW_LEASE_MS` | the lease on polling, reconciliation and heartbeat checks, which one instance runs for all (default 30,000) |
 * | `WORKFLOW_TYPES` | resource types polled and reconciled (default: those the rules read, and Task) |
 * | `WORKFLOW_ACTIONS` | automatic actions: `close-own-outreach-tasks` (default), `close-linked-outreach-tasks` |
 */
import { readFileSync } from 'node:fs';
import { importJWK, type JWK } from 'jose';
import { z } from 'zod';
import type { AuditStore } from '../store/types.ts';
import { openInbox, workflowDbPathFor, type WorkflowInbox } from './inbox.ts';
import { openPgInbox } from './pg-inbox.ts';
import { ruleEngine } from './rule-engine.ts';
import { WorkflowService } from './service.ts';

export interface WorkflowConfig {
  readonly fhirBase: string;
  readonly tokenEndpoint: string;
  readonly clientId: string;
  readonly privateKeyFile: string;
  readonly scope: string;
  readonly publicUrl: string | null;
  readonly notificationSecret: string | null;
  readonly identifierSystem: string;
  readonly pgSchema: string;
  readonly drainMs: number;
  readonly asOf: string | null;
  /** Subscribe per patient to this topic as sidebars open; null: no subscriptions are created. */
  readonly watchTopic: string | null;
  /** 0: off. */
  readonly pollMs: number;
  /** 0: off. */
  readonly reconcileMs: number;
  /** The lease on the loops one instance runs for all. */
  readonly leaseMs: number;
  /** Polled and reconciled; null: the rules' types and Task. */
  readonly types: readonly string[] | null;
  readonly actions: { readonly closeOwnOutreachTasks: boolean; readonly closeOutreachTasksForGap: boolean };
}

const ACTIONS = ['close-own-outreach-tasks', 'close-linked-outreach-tasks'] as const;

export const DEFAULT_WORKFLOW_SCOPE = 'system/*.rs system/Task.rus system/Provenance.c system/Subscription.crud';

const httpUrl = z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, ''));
const schema = z.object({
  WORKFLOW_FHIR_BASE: httpUrl,
  WORKFLOW_TOKEN_ENDPOINT: z.url({ protocol: /^https?$/ }),
  WORKFLOW_CLIENT_ID: z.string().regex(/^[\x21-\x7e]{1,255}$/, 'must be 1–255 printable characters without spaces').default('careloop-workflow'),
  WORKFLOW_PRIVATE_KEY_FILE: z.string().min(1, 'must name a file'),
  WORKFLOW_SCOPE: z
    .string()
    .regex(/^system\/\S+( system\/\S+)*$/, 'must be space-separated system/ scopes')
    .default(DEFAULT_WORKFLOW_SCOPE),
  WORKFLOW_PUBLIC_URL: httpUrl.optional(),
  WORKFLOW_NOTIFICATION_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  WORKFLOW_IDENTIFIER_SYSTEM: z.url().default('https://careloop.example/fhir/identifier/care-gap-action'),
  WORKFLOW_PG_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,40}$/, 'must match [a-z_][a-z0-9_]{0,40}').default('careloop_workflow'),
  WORKFLOW_DRAIN_MS: z.coerce.number().int().min(10).max(60_000).default(500),
  WORKFLOW_AS_OF: z.iso.date().optional(),
  WORKFLOW_WATCH_TOPIC: z.url().optional(),
  WORKFLOW_POLL_MS: z.coerce.number().int().min(0).max(86_400_000).default(30_000),
  WORKFLOW_RECONCILE_MS: z.coerce.number().int().min(0).max(86_400_000).default(300_000),
  WORKFLOW_LEASE_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(30_000),
  WORKFLOW_TYPES: z
    .string()
    .regex(/^[A-Z][A-Za-z]{1,63}(,[A-Z][A-Za-z]{1,63})*$/, 'must be comma-separated FHIR resource types (Observation,Procedure,…)')
    .transform((v) => [...new Set(v.split(','))])
    .optional(),
  WORKFLOW_ACTIONS: z
    .string()
    .transform((v) => v.split(',').map((a) => a.trim()).filter(Boolean))
    .pipe(z.array(z.enum(ACTIONS, { message: `each must be one of ${ACTIONS.join(', ')}` })))
    .default(['close-own-outreach-tasks']),
});

/** Every variable the workflow service reads (the README's table lists each). */
export const WORKFLOW_ENVIRONMENT_VARIABLES: readonly string[] = Object.keys(schema.shape);

/** `null` when the service is off; else its configuration or the errors (one per variable). */
export function loadWorkflowConfig(env: Readonly<Record<string, string | undefined>>): { ok: true; config: WorkflowConfig | null } | { ok: false; errors: string[] } {
  if (!env['WORKFLOW_FHIR_BASE']) return { ok: true, config: null };
  const present = Object.fromEntries(Object.entries(env).filter(([k, v]) => k.startsWith('WORKFLOW_') && v !== undefined && v !== ''));
  const r = schema.safeParse(present);
  if (!r.success) return { ok: false, errors: r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) };
  const c = r.data;
  return {
    ok: true,
    config: {
      fhirBase: c.WORKFLOW_FHIR_BASE,
      tokenEndpoint: c.WORKFLOW_TOKEN_ENDPOINT,
      clientId: c.WORKFLOW_CLIENT_ID,
      privateKeyFile: c.WORKFLOW_PRIVATE_KEY_FILE,
      scope: c.WORKFLOW_SCOPE,
      publicUrl: c.WORKFLOW_PUBLIC_URL ?? null,
      notificationSecret: c.WORKFLOW_NOTIFICATION_SECRET ?? null,
      identifierSystem: c.WORKFLOW_IDENTIFIER_SYSTEM,
      pgSchema: c.WORKFLOW_PG_SCHEMA,
      drainMs: c.WORKFLOW_DRAIN_MS,
      asOf: c.WORKFLOW_AS_OF ?? null,
      watchTopic: c.WORKFLOW_WATCH_TOPIC ?? null,
      pollMs: c.WORKFLOW_POLL_MS,
      reconcileMs: c.WORKFLOW_RECONCILE_MS,
      leaseMs: c.WORKFLOW_LEASE_MS,
      types: c.WORKFLOW_TYPES ?? null,
      actions: { closeOwnOutreachTasks: c.WORKFLOW_ACTIONS.includes('close-own-outreach-tasks'), closeOutreachTasksForGap: c.WORKFLOW_ACTIONS.includes('close-linked-outreach-tasks') },
    },
  };
}

const privateJwk = z.looseObject({ kty: z.enum(['RSA', 'EC']), kid: z.string().min(1), alg: z.enum(['RS384', 'ES384']), d: z.string().min(1) });

/** Where the service's inbox lives: the audit store's database decides. */
export interface WorkflowStores {
  /** PostgreSQL (`DATABASE_URL`): the shared pg-boss queue. */
  readonly databaseUrl: string | null;
  /** Else the SQLite inbox beside this audit file. */
  readonly sqlitePath: string;
}

/** Opens the inbox the configuration and the audit store call for. */
export async function openWorkflowInbox(config: Pick<WorkflowConfig, 'pgSchema'>, stores: WorkflowStores): Promise<WorkflowInbox> {
  if (stores.databaseUrl) return openPgInbox({ connectionString: stores.databaseUrl, schema: config.pgSchema });
  return openInbox({ path: workflowDbPathFor(stores.sqlitePath) });
}

/**
 * The service as configured: its key read, its inbox opened, the sidebar's rule pack, audit
 * records in `store` with the service as actor. Without `WORKFLOW_PUBLIC_URL`, the server's own
 * URL is the rest-hook's origin once it listens.
 */
export async function createWorkflowService(config: WorkflowConfig, stores: WorkflowStores, store: Pick<AuditStore, 'append'>, adminToken: string | null): Promise<WorkflowService> {
  let jwk: z.infer<typeof privateJwk>;
  try {
    jwk = privateJwk.parse(JSON.parse(readFileSync(config.privateKeyFile, 'utf8')) as unknown);
  } catch (e) {
    throw new Error(`WORKFLOW_PRIVATE_KEY_FILE: not a private JWK with kid and alg RS384/ES384 (${e instanceof z.ZodError ? e.issues.map((i) => i.path.join('.')).join(', ') : 'unreadable'})`);
  }
  const privateKey = await importJWK(jwk as JWK, jwk.alg);
  if (privateKey instanceof Uint8Array) throw new Error('WORKFLOW_PRIVATE_KEY_FILE: not an asymmetric key');
  const inbox = await openWorkflowInbox(config, stores);
  const asOf = config.asOf;
  const rules = ruleEngine();
  const types = config.types ?? [...new Set([...rules.dataTypes, 'Task'])];
  return new WorkflowService({
    fhirBase: config.fhirBase,
    backend: { tokenEndpoint: config.tokenEndpoint, clientId: config.clientId, privateKey, kid: jwk.kid, alg: jwk.alg, scope: config.scope },
    inbox,
    ownsInbox: true,
    publicUrl: config.publicUrl,
    ...(config.notificationSecret ? { notificationSecret: config.notificationSecret } : {}),
    adminToken,
    ...(config.watchTopic ? { watch: { topic: config.watchTopic } } : {}),
    ...(config.pollMs > 0 ? { poll: { types } } : {}),
    ...(config.reconcileMs > 0 ? { reconcile: { types, identifierSystem: config.identifierSystem } } : {}),
    reevaluate: {
      rules,
      identifierSystem: config.identifierSystem,
      actions: config.actions,
      asOf: () => asOf ?? new Date().toISOString().slice(0, 10),
      audit: { store, actor: { sub: config.clientId, fhirUser: null, clientId: config.clientId, issuer: config.fhirBase } },
      appVersion: process.env['npm_package_version'] ?? '0.1.0',
    },
  });
}
