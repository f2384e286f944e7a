/**
 * The contract with the sandbox EHR: its real access tokens (RS256 JWTs, `iss` and `aud` = the
 * FHIR base, `fhirUser` absolute) are accepted through its smart-configuration, by JWKS and by
 * introspection, and the actor comes from them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EHR_USER, startSandbox, type Sandbox } from '../../src/sandbox/index.ts';
import { signAccessToken } from '../../src/sandbox/auth/tokens.ts';
import { buildAuditApp } from '../../src/server/app.ts';
import { openAuditStore } from '../../src/server/store/kysely-store.ts';
import type { AuditBatchResponse } from '../../src/shared/audit-event.ts';
import { anEvent } from './support/events.ts';

let sandbox: Sandbox;
let dir: string;
beforeAll(async () => {
  sandbox = await startSandbox({ ehrPort: 0, app: 'none', skipLargeRecord: true });
  dir = mkdtempSync(join(tmpdir(), 'careloop-audit-sandbox-'));
}, 60_000);
afterAll(async () => {
  await sandbox?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe.each(['jwks', 'introspection'] as const)('a sandbox token verified by %s', (mode) => {
  it('is accepted for its patient and names the sandbox user as the actor', async () => {
    const store = await openAuditStore({ kind: 'sqlite', path: join(dir, `${mode}.sqlite`) });
    const app = buildAuditApp({ store, trustedIssuers: [{ fhirBase: sandbox.fhirBase, mode }] });
    try {
      const { token } = await signAccessToken(sandbox.ctx, { clientId: 'careloop', scope: ['launch', 'openid', 'fhirUser', 'patient/Task.cu'], user: EHR_USER, patient: 'ada' });
      const post = (events: unknown[]) =>
        app.inject({ method: 'POST', url: '/api/audit/events', headers: { authorization: `Bearer ${token}` }, payload: { events } });
      const res = await post([anEvent()]);
      expect(res.statusCode).toBe(201);
      expect(res.json<AuditBatchResponse>().results[0]?.record.actor).toEqual({
        sub: EHR_USER,
        fhirUser: `${sandbox.fhirBase}/${EHR_USER}`,
        clientId: 'careloop',
        issuer: sandbox.fhirBase,
      });
      expect((await post([anEvent({ patient: 'grace' })])).statusCode).toBe(403);
    } finally {
      await app.close();
    }
  });
});
