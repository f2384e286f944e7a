import type { Provenance, ServiceRequest } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { careloopPreventive } from '../../src/rules/index.ts';
import { startE2e, type E2eEnv } from './support/sandbox.ts';

const IDENTIFIER_SYSTEM = 'https://careloop.example/fhir/identifier/care-gap-action';
let env: E2eEnv;

beforeAll(async () => {
  env = await startE2e();
});
afterAll(async () => {
  await env?.close();
});

async function careloopOrders(patientId: string): Promise<ServiceRequest[]> {
  const all = await env.resources<ServiceRequest>('ServiceRequest', patientId);
  return all.filter((r) => r.identifier?.some((i) => i.system === IDENTIFIER_SYSTEM));
}

async function provenanceFor(order: ServiceRequest, patientId: string): Promise<Provenance[]> {
  // The sandbox files a Provenance in the compartment of its target.
  const all = await env.resources<Provenance>('Provenance', patientId);
  return all.filter((p) => p.target?.some((t) => t.reference?.startsWith(`ServiceRequest/${order.id ?? ''}`)));
}

describe('the care-gap loop in the sandbox chart', () => {
  it('card → why → confirm leaves exactly one order and one Provenance, and a relaunch shows it in progress', async () => {
    const { page, app } = await env.openChart('ada');
    const card = app.getByRole('region', { name: /^Colorectal cancer screening/ });
    await card.waitFor({ timeout: 60_000 });
    await card.getByRole('button', { name: 'Why?' }).click();
    await card.getByRole('region', { name: 'Why this is recommended' }).getByText(/Rule colorectal-cancer-screening v/).waitFor();
    expect(env.sandbox.ctx.writes).toEqual([]);

    await card.getByRole('button', { name: 'Propose colorectal cancer screening' }).click();
    const dialog = app.getByRole('dialog');
    await dialog.getByText('Ada Lovelace').waitFor();
    await dialog.getByRole('button', { name: 'Confirm' }).dblclick();
    await app.getByText(/^Saved to the EHR: a proposal for/).waitFor({ timeout: 15_000 });

    const orders = await careloopOrders('ada');
    expect(orders).toHaveLength(1);
    const [order] = orders;
    expect(order).toMatchObject({
      status: 'active',
      intent: 'proposal',
      subject: { reference: 'Patient/ada' },
      requester: { reference: 'Practitioner/blackwell' },
      code: { coding: [{ system: 'http://snomed.info/sct', code: '275978004' }] },
      identifier: [{ system: IDENTIFIER_SYSTEM, value: expect.stringMatching(/^colorectal-cancer-screening:ada:\d{4}-\d{2}-\d{2}$/) }],
    });
    const provenance = env.sandbox.ctx.writes.filter((w) => w.resourceType === 'Provenance');
    expect(provenance).toHaveLength(1);
    expect(env.sandbox.ctx.writes.filter((w) => w.resourceType === 'ServiceRequest')).toHaveLength(1);
    const targets = await provenanceFor(order as ServiceRequest, 'ada');
    expect(targets).toHaveLength(1);
    expect(targets[0]).toMatchObject({
      target: [{ reference: `ServiceRequest/${order?.id ?? ''}/_history/${order?.meta?.versionId ?? ''}` }],
      agent: [{ who: { reference: 'Practitioner/blackwell' } }, { who: { type: 'Device' } }],
      policy: [expect.stringMatching(/colorectal-cancer-screening\|\d+\.\d+\.\d+$/)],
    });

    // The audit trail holds the decision, the actor taken from the verified token.
    const audit = env.sandbox.audit;
    if (!audit) throw new Error('the sandbox runs without its audit backend');
    let trail: Awaited<ReturnType<typeof audit.store.timeline>> = [];
    for (let i = 0; i < 50 && !trail.some((r) => r.action === 'written'); i += 1) {
      await new Promise((r) => setTimeout(r, 200));
      trail = await audit.store.timeline({ patient: 'ada', limit: 100 });
    }
    const decision = trail.filter((r) => r.ruleId === 'colorectal-cancer-screening');
    expect(decision.map((r) => r.action)).toEqual(expect.arrayContaining(['card-shown', 'why-opened', 'confirmed', 'written']));
    expect(new Set(decision.map((r) => r.correlationId)).size).toBe(1);
    // The production build carries the pack digest it computed at build time: it must be the
    // digest of the pack as the rules define it.
    expect(new Set(decision.map((r) => r.packDigest))).toEqual(new Set([careloopPreventive.digest]));
    // Every step names the logic that decided: Careloop's colorectal library, its version and ELM digest.
    const logic = { library: 'CareloopColorectalCancerScreening', version: '1.0.0', elmDigest: careloopPreventive.elmDigests['CareloopColorectalCancerScreening'], source: 'careloop' };
    expect(decision.find((r) => r.action === 'confirmed')?.logic).toEqual(logic);
    expect(decision.every((r) => r.logic?.elmDigest === logic.elmDigest)).toBe(true);
    const written = decision.find((r) => r.action === 'written');
    expect(written).toMatchObject({ outcome: { reference: `ServiceRequest/${order?.id ?? ''}`, version: order?.meta?.versionId ?? null, status: 201 } });
    expect(written?.actor.fhirUser).toMatch(/Practitioner\/blackwell$/);
    expect(written?.evidence?.length).toBeGreaterThan(0);
    expect(await audit.store.verify()).toMatchObject({ ok: true });

    await page.reload();
    await app.getByRole('list', { name: 'Care gaps in progress' }).getByText(/Colorectal cancer screening/).waitFor({ timeout: 60_000 });
    expect(await careloopOrders('ada')).toHaveLength(1);
    await page.close();
  });

  it('a snooze is kept in the audit trail and respected at the next launch', async () => {
    const { page, app } = await env.openChart('barbara');
    const card = app.getByRole('region', { name: /blood pressure/i });
    await card.getByRole('button', { name: 'Not now' }).click({ timeout: 60_000 });
    const dialog = app.getByRole('dialog');
    await dialog.getByRole('radio', { name: 'Address at the next visit' }).check();
    await dialog.getByRole('button', { name: 'Snooze' }).click();
    const audit = env.sandbox.audit;
    if (!audit) throw new Error('no audit backend');
    let snoozed: Awaited<ReturnType<typeof audit.store.timeline>> = [];
    for (let i = 0; i < 50 && snoozed.length === 0; i += 1) {
      await new Promise((r) => setTimeout(r, 200));
      snoozed = await audit.store.timeline({ patient: 'barbara', actions: ['snoozed'], limit: 10 });
    }
    expect(snoozed).toHaveLength(1);
    expect(snoozed[0]).toMatchObject({ reason: 'next-visit', snoozeUntil: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) });

    await page.reload();
    await app.getByRole('list', { name: 'Care gaps snoozed or dismissed' }).getByText(/blood pressure/i).waitFor({ timeout: 60_000 });
    await page.close();
  });

  it('leaves one order when the EHR applies the write twice', async () => {
    env.sandbox.ctx.faults.add({ method: 'POST', path: '/fhir/ServiceRequest', duplicateWrite: true, times: 1 });
    const { page, app } = await env.openChart('donald');
    const card = app.getByRole('region', { name: /^Colorectal cancer screening/ });
    await card.getByRole('button', { name: 'Propose colorectal cancer screening' }).click({ timeout: 60_000 });
    await app.getByRole('dialog').getByRole('button', { name: 'Confirm' }).click();
    await app.getByText(/^(Saved to the EHR|Already in the EHR): a proposal for/).waitFor({ timeout: 15_000 });
    expect(await careloopOrders('donald')).toHaveLength(1);
    env.sandbox.ctx.faults.clear();
    await page.close();
  });

  it('leaves one order when the connection drops on the first attempt', async () => {
    env.sandbox.ctx.faults.add({ method: 'POST', path: '/fhir/ServiceRequest', drop: true, times: 1 });
    const { page, app } = await env.openChart('claude');
    const card = app.getByRole('region', { name: /Glycemic|HbA1c|Diabetes/i });
    await card.getByRole('button').first().click({ timeout: 60_000 });
    await app.getByRole('dialog').getByRole('button', { name: 'Confirm' }).click();
    await app.getByText(/^(Saved to the EHR|Already in the EHR): (a proposal|a task)/).waitFor({ timeout: 20_000 });
    const orders = await careloopOrders('claude');
    const tasks = (await env.resources('Task', 'claude')).filter((t) => 'identifier' in t && (t.identifier ?? []).some((i) => i.system === IDENTIFIER_SYSTEM));
    expect(orders.length + tasks.length).toBe(1);
    env.sandbox.ctx.faults.clear();
    await page.close();
  });
});
