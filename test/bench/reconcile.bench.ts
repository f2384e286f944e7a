/**
 * Reconciliation of 1,000 watched patients with no changes (issue 15's target: under 10 s, reading
 * only what changed), against the sandbox EHR over HTTP: each patient has an open Careloop outreach
 * Task and a chart of everyday resources; a first run sets the server-issued watermark, then the
 * measured runs find nothing changed. One change afterwards shows that only it is read and checked.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Resource } from '@medplum/fhirtypes';
import { buildEhr } from '../../src/sandbox/ehr.ts';
import { openInbox } from '../../src/server/workflow/inbox.ts';
import type { PollPage } from '../../src/server/workflow/poller.ts';
import { Reconciler } from '../../src/server/workflow/reconciler.ts';
import { median, type Benchmark } from './benchmark.ts';

const PATIENTS = 1000;
const IDS = 'https://careloop.example/fhir/identifier/care-gap-action';
const TYPES = ['Observation', 'Condition', 'Procedure', 'Encounter', 'Immunization', 'Task'];
const TARGET_MS = 10_000;

function chart(i: number): Resource[] {
  const id = `recon-${i}`;
  const subject = { reference: `Patient/${id}` };
  const out: Resource[] = [
    { resourceType: 'Patient', id, birthDate: '1960-01-01', gender: i % 2 ? 'female' : 'male' },
    { resourceType: 'Task', id: `${id}-task`, identifier: [{ system: IDS, value: `colorectal-cancer-screening:${id}:2026-01-01` }], status: 'requested', intent: 'plan', for: subject },
    { resourceType: 'Condition', id: `${id}-htn`, subject, code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'I10' }] } },
    { resourceType: 'Encounter', id: `${id}-enc`, status: 'finished', class: { code: 'AMB' }, subject, period: { start: '2025-03-01' } },
    { resourceType: 'Immunization', id: `${id}-flu`, status: 'completed', vaccineCode: { coding: [{ system: 'http://hl7.org/fhir/sid/cvx', code: '140' }] }, patient: subject, occurrenceDateTime: '2025-10-01' },
  ];
  for (let k = 0; k < 5; k++) {
    out.push({ resourceType: 'Observation', id: `${id}-bp-${k}`, status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }] }, subject, effectiveDateTime: `202${k}-05-01` });
  }
  return out;
}

export const reconcileBenchmark: Benchmark = {
  name: 'reconcile: 1,000 watched patients with no changes',
  async run() {
    const ehr = await buildEhr({ skipLargeRecord: true, heartbeatTimers: false });
    const dir = await mkdtemp(join(tmpdir(), 'careloop-reconcile-bench-'));
    const inbox = openInbox({ path: join(dir, 'audit.workflow.sqlite') });
    try {
      const seeded = performance.now();
      const resources: Resource[] = [];
      for (let i = 0; i < PATIENTS; i++) resources.push(...chart(i));
      // Seeded an hour and a half ago: older than the first run's look-back, so nothing "changed".
      await ehr.ctx.store.seed(resources, new Date(Date.now() - 90 * 60_000).toISOString());
      console.info(`seeded ${resources.length} resources for ${PATIENTS} patients in ${((performance.now() - seeded) / 1000).toFixed(1)} s`);
      await ehr.app.listen({ port: 0, host: '127.0.0.1' });
      const address = ehr.app.server.address();
      ehr.ctx.baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      const base = ehr.ctx.fhirBase;
      const tokenRes = await ehr.app.inject({ method: 'POST', url: '/_admin/tokens', payload: { scope: 'system/*.rs' } });
      const token = (tokenRes.json() as { access_token: string }).access_token;
      let bytes = 0;
      const get = async (pathOrUrl: string): Promise<PollPage> => {
        const res = await fetch(pathOrUrl.startsWith('http') ? pathOrUrl : `${base}/${pathOrUrl}`, { headers: { authorization: `Bearer ${token}`, accept: 'application/fhir+json' } });
        const text = await res.text();
        bytes += text.length;
        return { status: res.status, body: JSON.parse(text) as unknown, retryAfter: null, date: res.headers.get('date') };
      };
      const reconciler = new Reconciler({ inbox, get, types: TYPES, identifierSystem: IDS });
      const first = await reconciler.run();
      console.info(`first run (sets the watermark): ${first.patients} patients watched, ${first.checked} checked, ${first.requests} requests`);
      const times: number[] = [];
      let last = first;
      for (let r = 0; r < 5; r++) {
        bytes = 0;
        const t0 = performance.now();
        last = await reconciler.run();
        times.push(performance.now() - t0);
      }
      const mid = median(times);
      console.info(`no changes, median of 5: ${mid.toFixed(0)} ms; ${last.patients} patients watched, ${last.checked} resources checked, ${last.missed} missed, ${last.requests} requests, ${(bytes / 1024).toFixed(0)} KB read`);
      const changed = await ehr.app.inject({
        method: 'POST',
        url: '/fhir/Observation',
        headers: { authorization: `Bearer ${(await ehr.app.inject({ method: 'POST', url: '/_admin/tokens', payload: { scope: 'user/*.cruds' } })).json<{ access_token: string }>().access_token}`, 'content-type': 'application/fhir+json' },
        payload: JSON.stringify({ resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '29771-3' }] }, subject: { reference: 'Patient/recon-7' }, effectiveDateTime: '2026-11-30' }),
      });
      if (changed.statusCode !== 201) throw new Error(`could not file the change: ${changed.statusCode}`);
      const after = await reconciler.run();
      console.info(`one change since: ${after.checked} checked, ${after.missed} missed (a change the events never delivered), ${after.requests} requests`);
      const readsOnlyChanged = last.checked === 0 && after.checked === 1;
      console.info(`target: reconciliation of ${PATIENTS} patients with no changes < ${TARGET_MS / 1000} s, reading only what changed — ${(mid / 1000).toFixed(2)} s, ${readsOnlyChanged ? 'changed resources read: none, then only the one change' : 'read more than the changes'} (plus the open-Task list that names the watched patients, every run) — ${mid < TARGET_MS && readsOnlyChanged ? 'met' : 'NOT MET'}`);
    } finally {
      inbox.close();
      await ehr.app.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
};
