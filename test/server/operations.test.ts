/**
 * The runbook's operations against the real process (`src/server/main.ts` on a SQLite file): an
 * online backup while the server appends, a SIGTERM that lets a write in flight finish and exits
 * 0, verifying and exporting the file, and restoring the backup.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditTimelinePage } from '../../src/shared/audit-event.ts';
import { anEvent } from './support/events.ts';
import { startTestIssuer, type TestIssuer } from './support/issuer.ts';
import { startAuditProcess, type AuditProcess } from './support/process.ts';

const root = resolve(import.meta.dirname, '../..');

type Child = AuditProcess;

function startServer(env: Record<string, string>): Promise<Child> {
  return startAuditProcess({ DATABASE_URL: '', AUDIT_PG_SCHEMA: '', ...env });
}

/** `node --import tsx src/server/main.ts <args>`: an admin command, as the runbook runs it. */
function admin(args: string[], env: Record<string, string> = {}): { status: number | null; out: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/server/main.ts', ...args], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8' });
  return { status: result.status, out: `${result.stdout}${result.stderr}` };
}

async function post(url: string, token: string, count: number): Promise<number> {
  const res = await fetch(`${url}/api/audit/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ events: Array.from({ length: count }, () => anEvent()) }),
  });
  await res.arrayBuffer();
  return res.status;
}

let issuer: TestIssuer;
let dir: string;
beforeAll(async () => {
  issuer = await startTestIssuer();
  dir = mkdtempSync(join(tmpdir(), 'careloop-ops-'));
});
afterAll(async () => {
  await issuer.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('operating the audit server (the runbook)', () => {
  it('backs up online while appending, finishes a write in flight at SIGTERM, exits 0, and restores from the backup', { timeout: 90_000 }, async () => {
    const sqlitePath = join(dir, 'audit.sqlite');
    const env = { AUDIT_SQLITE_PATH: sqlitePath, AUDIT_TRUSTED_ISSUERS: JSON.stringify([{ fhirBase: issuer.fhirBase, mode: 'jwks' }]), AUDIT_RATE_LIMIT_PER_SECOND: '0', AUDIT_CLIENT_RATE_LIMIT_PER_SECOND: '0' };
    const token = await issuer.token();
    const server = await startServer(env);
    expect(await post(server.url, token, 5)).toBe(201);

    // Online backup while writes go on.
    const writes = Promise.all(Array.from({ length: 10 }, () => post(server.url, token, 10)));
    const backup = admin(['backup', join(dir, 'backup.sqlite')], { AUDIT_SQLITE_PATH: sqlitePath });
    expect(await writes).toEqual(Array.from({ length: 10 }, () => 201));
    expect(backup.out).toMatch(/chain verified, \d+ records/);
    expect(backup.status).toBe(0);
    expect(admin(['backup', join(dir, 'backup.sqlite')], { AUDIT_SQLITE_PATH: sqlitePath }).status).toBe(1);

    // A write in flight when SIGTERM arrives: half its body is sent, the signal, then the rest.
    const events = Array.from({ length: 3 }, () => anEvent());
    const body = Buffer.from(JSON.stringify({ events }));
    const inFlight = new Promise<number>((done, fail) => {
      const req = request(`${server.url}/api/audit/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': body.length, connection: 'close' },
      });
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => done(res.statusCode ?? 0));
      });
      req.on('error', fail);
      req.write(body.subarray(0, 20));
      setTimeout(() => {
        server.process.kill('SIGTERM');
        setTimeout(() => req.end(body.subarray(20)), 300);
      }, 200);
    });
    expect(await inFlight).toBe(201);
    expect(await server.exited).toBe(0);
    expect(server.output()).toMatch(/SIGTERM: finishing the requests in flight[\s\S]*Audit: closed/);

    // Everything acknowledged is in the file, and its chain verifies.
    expect(admin(['verify', sqlitePath])).toMatchObject({ status: 0, out: expect.stringMatching(/chain verified, 108 records/) });
    const exported = join(dir, 'export.ndjson');
    expect(admin(['export', exported, '--before', '2999-01-01'], { AUDIT_SQLITE_PATH: sqlitePath }).status).toBe(0);
    const lines = readFileSync(exported, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { seq: number; prevHash: string; hash: string; id: string });
    expect(lines).toHaveLength(108);
    expect(lines.map((l) => l.seq)).toEqual(Array.from({ length: 108 }, (_, i) => i + 1));
    expect(lines.slice(1).every((l, i) => l.prevHash === lines[i]?.hash)).toBe(true);
    expect(lines.map((l) => l.id)).toEqual(expect.arrayContaining(events.map((e) => e.id)));
    expect(admin(['export', join(dir, 'none.ndjson'), '--before', '2000-01-01'], { AUDIT_SQLITE_PATH: sqlitePath }).out).toMatch(/Exported 0 records/);

    // Restore: the backup's file in place of the database, then start.
    const restoredPath = join(dir, 'restored.sqlite');
    copyFileSync(join(dir, 'backup.sqlite'), restoredPath);
    const restored = await startServer({ ...env, AUDIT_SQLITE_PATH: restoredPath });
    try {
      const page = (await (await fetch(`${restored.url}/api/audit/events?patient=ada&limit=200`, { headers: { authorization: `Bearer ${token}` } })).json()) as AuditTimelinePage;
      expect(page.records.length).toBeGreaterThanOrEqual(5);
      expect(await post(restored.url, token, 1)).toBe(201);
    } finally {
      restored.process.kill('SIGTERM');
      expect(await restored.exited).toBe(0);
    }
  });

  it('refuses an admin command it does not know, with the usage', () => {
    const result = admin(['restore-everything']);
    expect(result.status).toBe(64);
    expect(result.out).toMatch(/Usage: .*backup <new file>/s);
  });
});
