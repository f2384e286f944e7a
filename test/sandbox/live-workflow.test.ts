/**
 * `npm start`'s workflow wiring: the sandbox runs the workflow service inside its audit backend.
 * A sidebar opening the live channel for a patient subscribes the service to that patient; the
 * chart's "Simulate: result arrives" then reaches the channel as a change within 5 s, through the
 * EHR's rest-hook notification to `POST /api/workflow/notifications`; `close()` ends open channels.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.ts';
import { REFERENCE_DATE } from './support.ts';

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ ehrPort: 0, appPort: 5998, app: 'none', referenceDate: REFERENCE_DATE, skipLargeRecord: true });
});
afterAll(async () => {
  await sandbox?.close();
});

async function launchToken(patient: string): Promise<string> {
  const res = await fetch(`${sandbox.ehrUrl}_admin/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ scope: 'openid fhirUser launch patient/Observation.rs', patient, clientId: 'careloop' }),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

/** Opens the live channel as the app does (fetch, token in `Authorization`), collecting what it sends. */
async function openChannel(patient: string, token: string) {
  const controller = new AbortController();
  const res = await fetch(`${sandbox.auditUrl ?? ''}/api/workflow/changes?patient=${patient}`, {
    headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
    signal: controller.signal,
  });
  let text = '';
  const done = (async () => {
    if (!res.body) return;
    const decoder = new TextDecoder();
    const reader = res.body.getReader();
    try {
      for (let r = await reader.read(); !r.done; r = await reader.read()) text += decoder.decode(r.value, { stream: true });
    } catch {
      // aborted
    }
  })();
  return { status: res.status, text: () => text, done, close: () => controller.abort() };
}

async function until(check: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('the sandbox runs the workflow service', () => {
  it('serves the workflow routes in the audit backend', async () => {
    expect(sandbox.workflow).not.toBeNull();
    const res = await fetch(`${sandbox.auditUrl ?? ''}/api/workflow/metrics`);
    expect(res.status).toBe(200);
  });

  it('subscribes to a patient when a sidebar opens its live channel, and a simulated result reaches it within 5 s', async () => {
    const subs = async () => ((await (await fetch(`${sandbox.ehrUrl}_admin/subscriptions`)).json()) as { subscriptions: Array<{ status: string; _criteria?: { extension?: Array<{ valueString?: string }> } }> }).subscriptions;
    expect(await subs()).toEqual([]);
    const channel = await openChannel('ada', await launchToken('ada'));
    expect(channel.status).toBe(200);
    const other = await openChannel('grace', await launchToken('grace'));
    await until(() => channel.text().includes(': connected') && other.text().includes(': connected'), 5_000);
    const active = async () => (await subs()).filter((s) => s.status === 'active').map((s) => s._criteria?.extension?.[0]?.valueString).sort();
    const deadline = Date.now() + 5_000;
    while ((await active()).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await active()).toEqual(['patient=Patient/ada', 'patient=Patient/grace']);

    // A second channel for the same patient does not subscribe again.
    const again = await openChannel('ada', await launchToken('ada'));
    await until(() => again.text().includes(': connected'), 5_000);
    expect(await subs()).toHaveLength(2);

    const started = Date.now();
    const filed = await fetch(`${sandbox.ehrUrl}chart/ada/simulate-result`, { method: 'POST', headers: { accept: 'application/json' } });
    expect(filed.status).toBe(201);
    const { reference } = (await filed.json()) as { reference: string };
    await until(() => channel.text().includes('event: change'), 5_000);
    expect(Date.now() - started).toBeLessThan(5_000);
    const data = /event: change\nid: \d+\ndata: (.*)\n/.exec(channel.text())?.[1] ?? '{}';
    expect(JSON.parse(data)).toMatchObject({ patient: 'ada', resource: reference });
    // Grace's channel hears nothing of Ada's chart.
    expect(other.text()).not.toContain('event: change');
    channel.close();
    again.close();
    other.close();
  });

  it('refuses a channel for a patient the token is not for', async () => {
    const res = await openChannel('ada', await launchToken('grace'));
    expect(res.status).toBe(403);
    res.close();
  });

  it('close() ends open live channels and stops everything; the inbox is a file beside an audit file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'careloop-sandbox-'));
    const own = await startSandbox({ ehrPort: 0, appPort: 5997, app: 'none', referenceDate: REFERENCE_DATE, skipLargeRecord: true, audit: { port: 0, sqlitePath: join(dir, 'new', 'audit.sqlite') } });
    expect(existsSync(join(dir, 'new', 'audit.workflow.sqlite'))).toBe(true);
    const res = await fetch(`${own.ehrUrl}_admin/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ scope: 'openid fhirUser launch patient/Observation.rs', patient: 'ada', clientId: 'careloop' }) });
    const token = ((await res.json()) as { access_token: string }).access_token;
    const live = await fetch(`${own.auditUrl ?? ''}/api/workflow/changes?patient=ada`, { headers: { authorization: `Bearer ${token}` } });
    expect(live.status).toBe(200);
    const ended = (async () => {
      const reader = live.body?.getReader();
      if (reader) for (let r = await reader.read(); !r.done; r = await reader.read()) void r;
    })();
    const started = Date.now();
    await own.close();
    await ended;
    expect(Date.now() - started).toBeLessThan(3_000);
    rmSync(dir, { recursive: true, force: true });
  });
});
