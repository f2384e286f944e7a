/**
 * Beyond one machine: two real audit server processes (`src/server/main.ts` with the workflow
 * service on, `DATABASE_URL` set) share one PostgreSQL — the audit store and the pg-boss inbox.
 * The sandbox EHR (listening on a real port in this process) delivers every notification to both
 * instances, three times each (its duplicate fault). Each event is stored once, processed by one
 * instance once, and acted on once: one Task update and one Provenance per closed Task in the EHR,
 * one audit entry per close with the service as actor.
 *
 * Skipped, with the reason, only where there is no PostgreSQL (no DATABASE_URL and no initdb).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Task } from '@medplum/fhirtypes';
import { generateBackendClientKeys } from '../../../src/sandbox/auth/backend-services.ts';
import type { Ehr } from '../../../src/sandbox/index.ts';
import { TOPIC_BASE } from '../../../src/sandbox/subscriptions/topics.ts';
import { openAuditStore } from '../../../src/server/store/kysely-store.ts';
import type { AuditStore } from '../../../src/server/store/types.ts';
import { openPgInbox, type PgInbox } from '../../../src/server/workflow/pg-inbox.ts';
import { NOTIFICATION_PATH } from '../../../src/server/workflow/service.ts';
import { adminToken, bearer, REFERENCE_DATE, testEhr } from '../../sandbox/support.ts';
import { startAuditProcess, type AuditProcess } from '../support/process.ts';
import { testPostgres, uniqueSchema } from '../support/postgres.ts';
import { freePort } from '../../support/free-port.ts';

const pg = await testPostgres();
const IDS = 'https://careloop.example/fhir/identifier/care-gap-action';
const SECRET = 'shared-notification-secret-0123456789abcdef';
const ADMIN = 'two-instances-admin-credential-0123456789';
const PATIENTS = ['ada', 'grace', 'claude', 'barbara'] as const;

let ehr: Ehr;
let base: string;
let fhir: string;
let dir: string;
let writer: string;
const servers: AuditProcess[] = [];
let audit: AuditStore;
let inbox: PgInbox;
const auditSchema = uniqueSchema('audit2');
const workflowSchema = uniqueSchema('wf2');

async function ehrPost<T>(resource: Record<string, unknown>): Promise<T> {
  const res = await ehr.app.inject({ method: 'POST', url: `/fhir/${String(resource['resourceType'])}`, headers: { ...bearer(writer), 'content-type': 'application/fhir+json' }, payload: JSON.stringify(resource) });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as T;
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/api/workflow/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe.skipIf(!pg.url)(`two server instances on one PostgreSQL${pg.reason ? ` (skipped: ${pg.reason})` : ''}`, () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'careloop-two-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    fhir = `${base}/fhir`;
    const keys = await generateBackendClientKeys('ES384');
    const keyFile = join(dir, 'workflow-key.json');
    writeFileSync(keyFile, JSON.stringify({ ...(await exportJWK(keys.privateKey)), kid: keys.kid, alg: keys.alg }), { mode: 0o600 });
    ehr = await testEhr({
      baseUrl: base,
      heartbeatTimers: false,
      backendClients: [{ clientId: 'careloop-workflow', name: 'Careloop workflow', jwks: keys.jwks, allowedScopes: ['system/*.rs', 'system/Task.rus', 'system/Provenance.c', 'system/Subscription.crud'] }],
      // The EHR's rest-hook reaches both instances: every notification goes to each of them.
      notificationFetch: (async (_input: string | URL | Request, init?: RequestInit) => {
        const answers = await Promise.all(servers.map((s) => fetch(`${s.url}${NOTIFICATION_PATH}`, init)));
        for (const a of answers.slice(1)) await a.arrayBuffer();
        return answers[0] ?? new Response(null, { status: 503 });
      }) as typeof fetch,
    });
    await ehr.app.listen({ port, host: '127.0.0.1' });
    writer = await adminToken(ehr, 'user/*.cruds');

    const env = {
      DATABASE_URL: pg.url ?? '',
      AUDIT_PG_SCHEMA: auditSchema,
      AUDIT_TRUSTED_ISSUERS: JSON.stringify([{ fhirBase: fhir, mode: 'jwks' }]),
      AUDIT_ADMIN_TOKEN: ADMIN,
      WORKFLOW_FHIR_BASE: fhir,
      WORKFLOW_TOKEN_ENDPOINT: `${base}/auth/token`,
      WORKFLOW_PRIVATE_KEY_FILE: keyFile,
      WORKFLOW_NOTIFICATION_SECRET: SECRET,
      WORKFLOW_PG_SCHEMA: workflowSchema,
      WORKFLOW_AS_OF: REFERENCE_DATE,
      WORKFLOW_DRAIN_MS: '100',
    };
    // One after the other: the first creates the schemas, the second finds them.
    servers.push(await startAuditProcess(env));
    servers.push(await startAuditProcess(env));
    audit = await openAuditStore({ kind: 'postgres', connectionString: pg.url ?? '', schema: auditSchema });
    inbox = await openPgInbox({ connectionString: pg.url ?? '', schema: workflowSchema, maxConnections: 2 });
  }, 120_000);

  afterAll(async () => {
    for (const s of servers) {
      s.process.kill('SIGTERM');
      await s.exited;
    }
    await inbox?.close();
    await audit?.close();
    await ehr?.app.close();
    await pg.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('acts on each event exactly once when both instances receive every notification three times', async () => {
    // Careloop's outreach Task for each patient's colorectal screening.
    const tasks = new Map<string, Task>();
    for (const p of PATIENTS) {
      tasks.set(p, await ehrPost<Task>({ resourceType: 'Task', identifier: [{ system: IDS, value: `colorectal-cancer-screening:${p}:2026-01-01` }], status: 'requested', intent: 'plan', for: { reference: `Patient/${p}` } }));
    }
    // One Subscription on the EHR for every Observation, id-only, with the instances' shared credential.
    const created = await ehrPost<{ id: string }>({
      resourceType: 'Subscription',
      status: 'requested',
      reason: 'Careloop workflow (two instances)',
      criteria: `${TOPIC_BASE}/observation-change`,
      channel: {
        type: 'rest-hook',
        // A loopback stand-in: the test's notification fetch delivers to both instances.
        endpoint: `http://127.0.0.1:9${NOTIFICATION_PATH}`,
        payload: 'application/fhir+json',
        _payload: { extension: [{ url: 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-payload-content', valueCode: 'id-only' }] },
        header: [`Authorization: Bearer ${SECRET}`],
      },
    });
    await ehr.subscriptions.settled();
    await ehr.app.inject({ method: 'POST', url: '/_admin/subscriptions/faults', payload: { kind: 'duplicate', copies: 3 } });

    // A negative FIT for each patient: the gap behind every Task closes.
    for (const p of PATIENTS) {
      await ehrPost({
        resourceType: 'Observation',
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '29771-3' }] },
        subject: { reference: `Patient/${p}` },
        effectiveDateTime: '2026-11-22T10:00:00Z',
        valueString: 'Negative',
      });
    }
    await ehr.subscriptions.settled();

    const subscription = `${fhir}/Subscription/${created.id}`;
    const deadline = Date.now() + 60_000;
    for (;;) {
      const stats = await inbox.stats();
      if (stats.done === PATIENTS.length && stats.pending === 0 && stats.processing === 0) break;
      if (Date.now() > deadline) throw new Error(`not processed in 60 s: ${JSON.stringify(stats)}\n${servers.map((s) => s.output()).join('\n')}`);
      await new Promise((r) => setTimeout(r, 200));
    }

    // The inbox: each event stored once (2 instances × 3 copies = 6 deliveries each), processed once.
    const events = await inbox.events();
    expect(events.map((e) => [e.subscription, e.eventNumber, e.status, e.attempts]).sort()).toEqual(PATIENTS.map((_, i) => [subscription, i + 1, 'done', 0]).sort());
    expect((await inbox.stats()).duplicatesDropped).toBe(PATIENTS.length * 5);
    // Work was shared, and the instances' processed counts add up to one per event.
    const processed = await Promise.all(servers.map((s) => metric(s.url, 'careloop_workflow_event_processed_seconds_count')));
    expect(processed.reduce((a, b) => a + b, 0)).toBe(PATIENTS.length);
    // One of them, and only one, leads polling, reconciliation and heartbeat checks.
    expect((await Promise.all(servers.map((s) => metric(s.url, 'careloop_workflow_leader')))).sort()).toEqual([0, 1]);

    for (const p of PATIENTS) {
      const task = tasks.get(p);
      const ref = `Task/${task?.id ?? ''}`;
      // The EHR: the Task completed by one update, with one Provenance naming the service.
      const now = (await ehr.app.inject({ method: 'GET', url: `/fhir/${ref}`, headers: bearer(writer) })).json() as Task;
      expect(now.status, p).toBe('completed');
      expect(ehr.ctx.writes.filter((w) => w.reference === ref && w.interaction === 'update').map((w) => w.clientId)).toEqual(['careloop-workflow']);
      const provenance = (await ehr.app.inject({ method: 'GET', url: `/fhir/Provenance?target=${encodeURIComponent(`${ref}/_history/${now.meta?.versionId ?? ''}`)}`, headers: bearer(writer) })).json() as {
        entry?: Array<{ resource: { agent: Array<{ who: { identifier?: { value?: string } } }> } }>;
      };
      expect(provenance.entry?.map((e) => e.resource.agent[0]?.who.identifier?.value), p).toEqual(['careloop-workflow']);
      // The audit trail: one record of the close, the service as actor.
      const written = (await audit.timeline({ patient: p, limit: 50 })).filter((r) => r.action === 'written');
      expect(written, p).toEqual([expect.objectContaining({ actor: expect.objectContaining({ clientId: 'careloop-workflow' }), outcome: expect.objectContaining({ reference: ref }), reason: 'auto-closed:gap-closed' })]);
    }
    expect(ehr.ctx.writes.filter((w) => w.resourceType === 'Provenance' && w.clientId === 'careloop-workflow')).toHaveLength(PATIENTS.length);

    // Either instance's status page charts all of the shared inbox's work.
    for (const s of servers) {
      const page = await fetch(`${s.url}/api/workflow/status`, { headers: { authorization: `Bearer ${ADMIN}` } });
      expect(page.status).toBe(200);
      const html = await page.text();
      const evaluations = [...html.matchAll(/, (\d+) evaluations<\/title>/g)].reduce((n, m) => n + Number(m[1]), 0);
      expect(evaluations).toBe(PATIENTS.length);
      expect(html).toContain(`<td id="duplicates">${PATIENTS.length * 5}</td>`);
    }
  }, 120_000);
});
