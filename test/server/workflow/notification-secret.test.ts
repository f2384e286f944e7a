/**
 * The rest-hook credential without WORKFLOW_NOTIFICATION_SECRET: made once and kept in the inbox,
 * so a Subscription made by one instance is accepted by another on the same inbox and after a
 * restart; a configured secret still wins.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { NOTIFICATION_PATH, WorkflowService } from '../../../src/server/workflow/service.ts';
import { harness, type Harness } from '../support/harness.ts';

const FHIR = 'http://127.0.0.1:4000/fhir';
const TOKEN = 'http://127.0.0.1:4000/auth/token';
const opened: Array<{ h: Harness; service: WorkflowService }> = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const { h, service } of opened.splice(0)) {
    await service.close();
    await h.close();
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The EHR as the service sees it: a token, and a Subscription create whose header is kept. */
function fakeEhr(headers: string[]): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input instanceof Request ? input.url : input);
    if (url === TOKEN) return Response.json({ access_token: 'token', token_type: 'Bearer', expires_in: 300, scope: 'system/*.rs system/Subscription.crud' });
    if (url === `${FHIR}/Subscription` && init?.method === 'POST') {
      headers.push(...((JSON.parse(String(init.body)) as { channel: { header: string[] } }).channel.header));
      return Response.json({ resourceType: 'Subscription', id: `s${headers.length}`, status: 'active' }, { status: 201 });
    }
    return Response.json({ resourceType: 'Bundle', type: 'searchset', entry: [] });
  }) as typeof fetch;
}

async function instance(inbox: string, headers: string[], notificationSecret?: string) {
  const { privateKey } = await generateKeyPair('ES384');
  const service = new WorkflowService({
    fhirBase: FHIR,
    backend: { tokenEndpoint: TOKEN, clientId: 'careloop-workflow', privateKey, kid: 'k1', alg: 'ES384', scope: 'system/*.rs system/Subscription.crud' },
    inbox,
    publicUrl: 'http://127.0.0.1:8080',
    fetch: fakeEhr(headers),
    ...(notificationSecret ? { notificationSecret } : {}),
  });
  const h = await harness({ workflow: service });
  opened.push({ h, service });
  return { h, service };
}

/** A notification's answer: 401 when the credential is refused; 400 here (an empty body) once it is accepted. */
const notify = (h: Harness, authorization: string) =>
  h.app.inject({ method: 'POST', url: NOTIFICATION_PATH, headers: { authorization, 'content-type': 'application/fhir+json' }, payload: '{}' }).then((r) => r.statusCode);

describe('the rest-hook credential', () => {
  it('is made once and kept in the inbox: another instance, and a restart, accept what the first one subscribed with', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'careloop-secret-'));
    dirs.push(dir);
    const inbox = join(dir, 'audit.workflow.sqlite');
    const headers: string[] = [];
    const a = await instance(inbox, headers);
    await a.service.subscribe(`${FHIR}/SubscriptionTopic/chart`, 'ada');
    const [header] = headers;
    expect(header).toMatch(/^Authorization: Bearer [A-Za-z0-9_-]{43}$/);
    const credential = header?.slice('Authorization: '.length) ?? '';
    const b = await instance(inbox, headers);
    expect(await notify(b.h, credential)).toBe(400);
    expect(await notify(b.h, 'Bearer not-the-secret')).toBe(401);
    await b.service.subscribe(`${FHIR}/SubscriptionTopic/chart`, 'grace');
    expect(headers[1]).toBe(header);
    // A restart: a new process on the same inbox.
    await a.service.close();
    await a.h.close();
    opened.splice(0, 1);
    const again = await instance(inbox, headers);
    expect(await notify(again.h, credential)).toBe(400);
  });

  it('is the configured one when WORKFLOW_NOTIFICATION_SECRET is set', async () => {
    const headers: string[] = [];
    const configured = 'configured-notification-secret-0123456789';
    const { h, service } = await instance(':memory:', headers, configured);
    await service.subscribe(`${FHIR}/SubscriptionTopic/chart`, 'ada');
    expect(headers).toEqual([`Authorization: Bearer ${configured}`]);
    expect(await notify(h, `Bearer ${configured}`)).toBe(400);
  });
});
