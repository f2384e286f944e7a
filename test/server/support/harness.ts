/**
 * Builds the audit app against a fresh SQLite file and a local test issuer, for `inject`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildAuditApp, type AuditAppOptions } from '../../../src/server/app.ts';
import type { TrustedIssuer } from '../../../src/server/auth/token-verifier.ts';
import { AuditMetrics } from '../../../src/server/metrics.ts';
import { openAuditStore } from '../../../src/server/store/kysely-store.ts';
import type { AuditStore } from '../../../src/server/store/types.ts';
import type { AuditEventInput } from '../../../src/shared/audit-event.ts';
import { startTestIssuer, type TestIssuer } from './issuer.ts';

/** The admin credential of every harness. */
export const ADMIN_TOKEN = 'test-admin-credential-0123456789abcdef';

/** What a test gets. */
export interface Harness {
  app: FastifyInstance;
  store: AuditStore;
  issuer: TestIssuer;
  metrics: AuditMetrics;
  sqlitePath: string;
  /** A valid token for Ada (JWKS-verified). */
  token: string;
  post(events: AuditEventInput[] | unknown, token?: string | null): Promise<LightMyRequestResponse>;
  get(url: string, token?: string | null): Promise<LightMyRequestResponse>;
  /** The admin credential the app was built with (for `GET /api/audit/verify`). */
  adminToken: string;
  /** `GET /api/audit/verify` with the admin credential. */
  verify(): Promise<LightMyRequestResponse>;
  /** The value of one `careloop_audit_rejected_total{reason=…}` sample (0 when absent). */
  rejected(reason: string): Promise<number>;
  close(): Promise<void>;
}

/** Starts an issuer, opens a store in a temporary folder and builds the app. */
export async function harness(overrides: Partial<Omit<AuditAppOptions, 'store'>> & { issuers?: (issuer: TestIssuer) => TrustedIssuer[] } = {}): Promise<Harness> {
  const issuer = await startTestIssuer();
  const dir = mkdtempSync(join(tmpdir(), 'careloop-audit-'));
  const sqlitePath = join(dir, 'audit.sqlite');
  const metrics = new AuditMetrics();
  const store = await openAuditStore({ kind: 'sqlite', path: sqlitePath }, { onCommit: (s) => metrics.observeStoreWrite(s) });
  const { issuers, ...rest } = overrides;
  const app = buildAuditApp({
    store,
    metrics,
    trustedIssuers: issuers
      ? issuers(issuer)
      : [
          { fhirBase: issuer.fhirBase, mode: 'jwks' },
          { fhirBase: issuer.introspectedFhirBase, mode: 'introspection' },
        ],
    rateLimit: { perSecond: 0, burst: 1 },
    adminToken: ADMIN_TOKEN,
    ...rest,
  });
  await app.ready();
  const token = await issuer.token();
  const auth = (t: string | null | undefined) => (t === null ? {} : { authorization: `Bearer ${t ?? token}` });
  return {
    app,
    store,
    issuer,
    metrics,
    sqlitePath,
    token,
    post: (events, t) =>
      app.inject({ method: 'POST', url: '/api/audit/events', headers: auth(t), payload: Array.isArray(events) ? { events } : (events as object) }),
    get: (url, t) => app.inject({ method: 'GET', url, headers: auth(t) }),
    adminToken: ADMIN_TOKEN,
    verify: () => app.inject({ method: 'GET', url: '/api/audit/verify', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }),
    async rejected(reason) {
      const text = (await app.inject({ method: 'GET', url: '/api/metrics' })).body;
      const line = text.split('\n').find((l) => l.startsWith(`careloop_audit_rejected_total{reason="${reason}"}`));
      return line ? Number(line.split(' ').pop()) : 0;
    },
    async close() {
      await app.close();
      await issuer.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
