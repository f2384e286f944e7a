/**
 * Durability against the real process: the server runs as a child process on a real database,
 * is killed with SIGKILL in the middle of a load, and restarted. Every event it acknowledged must
 * be there, and the chain must verify.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditTimelinePage } from '../../src/shared/audit-event.ts';
import { anEvent } from './support/events.ts';
import { startTestIssuer, type TestIssuer } from './support/issuer.ts';
import { startAuditProcess, type AuditProcess } from './support/process.ts';

const databaseUrl = process.env['DATABASE_URL'];

type Child = AuditProcess;

function startServer(env: Record<string, string>): Promise<Child> {
  return startAuditProcess({ AUDIT_RATE_LIMIT_PER_SECOND: '0', AUDIT_CLIENT_RATE_LIMIT_PER_SECOND: '0', AUDIT_ADMIN_TOKEN: ADMIN_TOKEN, ...env });
}

function killHard(child: Child): Promise<void> {
  return new Promise((done) => {
    child.process.once('exit', () => done());
    child.process.kill('SIGKILL');
  });
}

async function stopGently(child: Child): Promise<void> {
  await new Promise<void>((done) => {
    child.process.once('exit', () => done());
    child.process.kill('SIGTERM');
  });
}

/** Sends batches from `workers` loops until stopped; returns the ids the server acknowledged. */
function load(url: string, token: string, workers: number) {
  const acknowledged = new Set<string>();
  let running = true;
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      const events = Array.from({ length: 10 }, () => anEvent());
      try {
        const res = await fetch(`${url}/api/audit/events`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ events }),
        });
        if (res.status === 201 || res.status === 200) for (const e of events) acknowledged.add(e.id);
        else await res.arrayBuffer();
      } catch {
        // The server was killed: the request may or may not have been stored, but was not acknowledged.
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  });
  return {
    acknowledged,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

async function allStoredIds(url: string, token: string): Promise<Set<string>> {
  const ids = new Set<string>();
  let cursor: string | null = null;
  do {
    const res: Response = await fetch(`${url}/api/audit/events?patient=ada&limit=200${cursor ? `&cursor=${cursor}` : ''}`, { headers: { authorization: `Bearer ${token}` } });
    const page = (await res.json()) as AuditTimelinePage;
    for (const r of page.records) ids.add(r.id);
    cursor = page.nextCursor;
  } while (cursor);
  return ids;
}

const backends: Array<{ name: string; env: () => Record<string, string>; cleanup: () => Promise<void> }> = [];
{
  const dir = mkdtempSync(join(tmpdir(), 'careloop-durability-'));
  // DATABASE_URL (set by .ci/run) would win over the SQLite path: clear it for this child.
  backends.push({ name: 'SQLite', env: () => ({ AUDIT_SQLITE_PATH: join(dir, 'audit.sqlite'), DATABASE_URL: '', AUDIT_PG_SCHEMA: '' }), cleanup: async () => rmSync(dir, { recursive: true, force: true }) });
}
if (databaseUrl) {
  const schema = `audit_durability_${process.pid}`;
  backends.push({
    name: 'PostgreSQL',
    env: () => ({ DATABASE_URL: databaseUrl, AUDIT_PG_SCHEMA: schema }),
    async cleanup() {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    },
  });
}

const ADMIN_TOKEN = 'durability-admin-credential-0123456789abcdef';
let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await startTestIssuer();
});
afterAll(async () => {
  await issuer.close();
  for (const b of backends) await b.cleanup();
});

describe.each(backends)('the audit server on $name', ({ env }) => {
  it('keeps every acknowledged event, with a verifying chain, after kill -9 in the middle of a load', { timeout: 90_000 }, async () => {
    const environment = { ...env(), AUDIT_TRUSTED_ISSUERS: JSON.stringify([{ fhirBase: issuer.fhirBase, mode: 'jwks' }]) };
    const token = await issuer.token();
    const first = await startServer(environment);
    const traffic = load(first.url, token, 8);
    // Kill once a few hundred events are acknowledged (or after 20 s on a slow machine), while
    // eight more requests are in flight.
    const deadline = Date.now() + 20_000;
    while (traffic.acknowledged.size < 400 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await killHard(first);
    await traffic.stop();
    expect(traffic.acknowledged.size).toBeGreaterThanOrEqual(20);

    const second = await startServer(environment);
    try {
      const stored = await allStoredIds(second.url, token);
      const lost = [...traffic.acknowledged].filter((id) => !stored.has(id));
      expect(lost).toEqual([]);
      const verify = (await (await fetch(`${second.url}/api/audit/verify`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as { ok: boolean; records: number };
      expect(verify.ok).toBe(true);
      expect(verify.records).toBe(stored.size);
    } finally {
      await stopGently(second);
    }
  });
});
