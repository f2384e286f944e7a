import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bundle, Provenance, Task } from '@medplum/fhirtypes';
import type { Ehr } from '../../../src/sandbox/index.ts';
import { openAuditStore } from '../../../src/server/store/kysely-store.ts';
import type { AuditStore } from '../../../src/server/store/types.ts';
import { careloopPreventive, evaluatePack, PACK_RULES, ruleDataTypes } from '../../../src/rules/index.ts';
import { reevaluatePatient, type FhirAccess, type ReevaluateOptions, type RuleEngine } from '../../../src/server/workflow/reevaluate.ts';
import { adminToken, bearer, FHIR, REFERENCE_DATE, testEhr } from '../../sandbox/support.ts';

/** The sidebar's pack and evaluation, as the composition root hands it to the service. */
const rules: RuleEngine = {
  packId: careloopPreventive.id,
  dataTypes: [...new Set([...ruleDataTypes().values()].flat())],
  actionCodes: (rule) => Object.values(PACK_RULES.find((r) => r.id === rule)?.actions ?? {}).map((a) => a.code),
  evaluate: (resources, asOf) => evaluatePack(careloopPreventive, resources, { mode: 'point-of-care', asOf }),
};
const IDS = 'https://careloop.example/fhir/identifier/care-gap-action';
const ACTOR = { sub: 'careloop-workflow', fhirUser: null, clientId: 'careloop-workflow', issuer: FHIR };
let ehr: Ehr;
let store: AuditStore;
let dir: string;
let token: string;

beforeAll(async () => {
  ehr = await testEhr();
  dir = mkdtempSync(join(tmpdir(), 'careloop-reeval-'));
  store = await openAuditStore({ kind: 'sqlite', path: join(dir, 'audit.sqlite') });
  token = await adminToken(ehr, 'user/*.cruds');
});
afterAll(async () => {
  await store.close();
  await ehr.app.close();
  rmSync(dir, { recursive: true, force: true });
});

/** FHIR access through inject; `beforePut` runs once before the first PUT (another writer). */
function access(beforePut?: () => Promise<void>): FhirAccess & { puts: number } {
  let hook = beforePut;
  const a = {
    puts: 0,
    async request(method: 'GET' | 'PUT' | 'POST' | 'DELETE', path: string, body?: unknown, headers: Record<string, string> = {}) {
      if (method === 'PUT') {
        a.puts++;
        const h = hook;
        hook = undefined;
        await h?.();
      }
      const res = await ehr.app.inject({ method, url: `/fhir/${path}`, headers: { ...bearer(token), ...headers, ...(body ? { 'content-type': 'application/fhir+json' } : {}) }, ...(body ? { payload: JSON.stringify(body) } : {}) });
      return { status: res.statusCode, body: res.body ? (res.json() as unknown) : undefined };
    },
  };
  return a;
}

function options(fhir: FhirAccess, over: Partial<ReevaluateOptions> = {}): ReevaluateOptions {
  return { fhir, rules, identifierSystem: IDS, asOf: () => REFERENCE_DATE, now: () => Date.UTC(2026, 10, 23, 15), audit: { store, actor: ACTOR }, appVersion: '0.1.0', ...over };
}

async function create<T>(resource: Record<string, unknown>): Promise<T> {
  const res = await ehr.app.inject({ method: 'POST', url: `/fhir/${String(resource['resourceType'])}`, headers: { ...bearer(token), 'content-type': 'application/fhir+json' }, payload: JSON.stringify(resource) });
  expect(res.statusCode).toBe(201);
  return res.json() as T;
}
async function read<T>(path: string): Promise<T> {
  return (await ehr.app.inject({ method: 'GET', url: `/fhir/${path}`, headers: bearer(token) })).json() as T;
}
function outreachTask(patient: string, rule: string) {
  return { resourceType: 'Task', identifier: [{ system: IDS, value: `${rule}:${patient}:2026-01-01` }], status: 'requested', intent: 'plan', description: 'Outreach', for: { reference: `Patient/${patient}` } };
}
function negativeFit(patient: string) {
  return {
    resourceType: 'Observation',
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }],
    code: { coding: [{ system: 'http://loinc.org', code: '29771-3', display: 'Hemoglobin.gastrointestinal [Presence] in Stool by Immunoassay' }] },
    subject: { reference: `Patient/${patient}` },
    effectiveDateTime: '2026-11-22T10:00:00Z',
    valueString: 'Negative',
  };
}

describe('re-evaluate a changed patient and close Careloop outreach Tasks whose gap closed', () => {
  it('leaves the Task open while the gap is open, then closes it exactly once when the FIT arrives three times', async () => {
    const task = await create<Task>(outreachTask('ada', 'colorectal-cancer-screening'));
    const fhir = access();
    expect(await reevaluatePatient(options(fhir), 'ada', 'Subscription/s#1')).toEqual([{ task: `Task/${task.id}`, kind: 'still-open', status: 'overdue' }]);

    await create(negativeFit('ada'));
    const first = await reevaluatePatient(options(fhir), 'ada', 'Subscription/s#2');
    expect(first).toEqual([{ task: `Task/${task.id}`, kind: 'closed', version: expect.any(String) }]);
    expect(await reevaluatePatient(options(fhir), 'ada', 'Subscription/s#2')).toEqual([{ task: `Task/${task.id}`, kind: 'already-closed' }]);
    expect(await reevaluatePatient(options(fhir), 'ada', 'Subscription/s#2')).toEqual([{ task: `Task/${task.id}`, kind: 'already-closed' }]);
    expect(fhir.puts).toBe(1);

    const closed = await read<Task>(`Task/${task.id}`);
    expect(closed.status).toBe('completed');
    expect(closed.businessStatus?.text).toMatch(/^Gap closed: /);
    const provenances = (await read<Bundle>(`Provenance?patient=ada&_count=100`)).entry?.map((e) => e.resource as Provenance).filter((p) => p.target.some((t) => t.reference?.startsWith(`Task/${task.id}`))) ?? [];
    expect(provenances).toHaveLength(1);
    expect(provenances[0]?.agent[0]?.who).toMatchObject({ identifier: { value: 'careloop-workflow' }, type: 'Device' });
    expect(provenances[0]?.policy?.[0]).toMatch(/colorectal-cancer-screening\|/);
    expect(provenances[0]?.entity?.some((e) => e.what.reference?.startsWith('Observation/'))).toBe(true);

    const records = await store.timeline({ patient: 'ada', limit: 50 });
    const written = records.filter((r) => r.action === 'written');
    expect(written).toHaveLength(1);
    expect(written[0]).toMatchObject({ ruleId: 'colorectal-cancer-screening', reason: 'auto-closed:gap-closed', actor: ACTOR, outcome: { reference: `Task/${task.id}` } });
  });

  it('never overwrites a Task someone else changed meanwhile: 412, re-read, judged again', async () => {
    await create(negativeFit('grace'));
    const task = await create<Task>(outreachTask('grace', 'colorectal-cancer-screening'));
    const fhir = access(async () => {
      // A nurse cancels the Task between the service's read and its write.
      await ehr.app.inject({ method: 'PUT', url: `/fhir/Task/${task.id}`, headers: { ...bearer(token), 'content-type': 'application/fhir+json' }, payload: JSON.stringify({ ...task, status: 'cancelled' }) });
    });
    expect(await reevaluatePatient(options(fhir), 'grace', 'poll')).toEqual([]);
    expect((await read<Task>(`Task/${task.id}`)).status).toBe('cancelled');
  });

  it('does nothing when the automatic action is off', async () => {
    const task = await create<Task>(outreachTask('grace', 'breast-cancer-screening'));
    expect(await reevaluatePatient(options(access(), { actions: { closeOwnOutreachTasks: false } }), 'grace', 'poll')).toEqual([]);
    expect((await read<Task>(`Task/${task.id}`)).status).toBe('requested');
  });

  it("closes the EHR's outreach Task for the gap (Donald's) only when that action is on, and once", async () => {
    const colonoscopy = {
      resourceType: 'Procedure',
      status: 'completed',
      code: { coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: '45378', display: 'Colonoscopy, flexible; diagnostic' }, { system: 'http://snomed.info/sct', code: '73761001', display: 'Colonoscopy' }] },
      subject: { reference: 'Patient/donald' },
      performedDateTime: '2026-11-22T09:00:00Z',
    };
    await create(colonoscopy);
    const fhir = access();
    expect(await reevaluatePatient(options(fhir), 'donald', 'poll')).toEqual([]); // default: Careloop's own Tasks only
    expect((await read<Task>('Task/donald-outreach')).status).toBe('requested');
    const on = options(fhir, { actions: { closeOwnOutreachTasks: true, closeOutreachTasksForGap: true } });
    for (let i = 0; i < 3; i++) await reevaluatePatient(on, 'donald', 'Subscription/s#9');
    expect(fhir.puts).toBe(1);
    expect((await read<Task>('Task/donald-outreach')).status).toBe('completed');
    const written = (await store.timeline({ patient: 'donald', limit: 50 })).filter((r) => r.action === 'written');
    expect(written).toHaveLength(1);
  });
});
