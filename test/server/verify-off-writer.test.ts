/**
 * Chain verification off the writer: `GET /api/audit/verify` walked the whole chain on the SQLite
 * writer thread, so on a 100,000-record chain every append (and the health check) waited for it.
 * Now it walks a snapshot in a thread of its own, needs the admin credential, and concurrent calls
 * share one walk.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashBuiltEntry } from '../../src/server/store/chain.ts';
import { openAuditStore } from '../../src/server/store/kysely-store.ts';
import { openSqliteStoreThread, type SqliteStoreThread } from '../../src/server/store/sqlite-thread.ts';
import type { ChainVerification } from '../../src/server/store/types.ts';
import { GENESIS_HASH, normalizeAuditEvent, type AuditActor, type AuditEntry } from '../../src/shared/audit-event.ts';
import { anEvent } from './support/events.ts';
import { harness } from './support/harness.ts';

const actor: AuditActor = { sub: 'user-blackwell', fhirUser: 'Practitioner/blackwell', clientId: 'careloop', issuer: 'http://127.0.0.1:4000/fhir' };
const CHAIN = 100_000;

/** Writes a valid chain of `n` records straight into the file (much faster than through the store). */
function writeChain(path: string, n: number): void {
  const db = new Database(path);
  try {
    const insert = db.prepare(
      `INSERT INTO audit_event (seq, event_id, server_time, client_time, patient, encounter, action, rule_id, rule_version, pack_digest, evidence, logic_library, logic_version, logic_elm_digest, logic_source, evidence_digest, outcome, correlation_id, app_version, snooze_until, reason, actor_sub, actor_fhir_user, actor_client_id, actor_issuer, prev_hash, hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const template = normalizeAuditEvent(anEvent());
    let prevHash = GENESIS_HASH;
    db.transaction(() => {
      for (let seq = 1; seq <= n; seq++) {
        const r: AuditEntry = { ...template, id: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`, seq, serverTime: '2026-11-01T10:00:00.000Z', actor, prevHash, hash: '' };
        r.hash = hashBuiltEntry(r);
        insert.run(r.seq, r.id, r.serverTime, r.clientTime, r.patient, r.encounter, r.action, r.ruleId, r.ruleVersion, r.packDigest, JSON.stringify(r.evidence), null, null, null, null, r.evidenceDigest, null, r.correlationId, r.appVersion, null, null, actor.sub, actor.fhirUser, actor.clientId, actor.issuer, r.prevHash, r.hash);
        prevHash = r.hash;
      }
    })();
  } finally {
    db.close();
  }
}

describe('GET /api/audit/verify', () => {
  it('needs the admin credential: a SMART token, none or a wrong one is 401; without AUDIT_ADMIN_TOKEN the route is closed', async () => {
    const h = await harness();
    try {
      await h.post([anEvent()]);
      const smart = await h.get('/api/audit/verify');
      expect(smart.statusCode).toBe(401);
      expect(smart.json()).toMatchObject({ error: 'not-admin' });
      expect((await h.get('/api/audit/verify', null)).statusCode).toBe(401);
      expect((await h.get('/api/audit/verify', `${h.adminToken}x`)).statusCode).toBe(401);
      expect(await h.rejected('not-admin')).toBe(3);
      expect((await h.verify()).json()).toMatchObject({ ok: true, records: 1 });
    } finally {
      await h.close();
    }
    const closed = await harness({ adminToken: null });
    try {
      const res = await closed.get('/api/audit/verify', closed.adminToken);
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ error: 'admin-not-configured' });
    } finally {
      await closed.close();
    }
  });
});

describe(`verifying a ${CHAIN.toLocaleString('en')}-record chain in the SQLite store as the server runs it`, () => {
  let dir: string;
  let path: string;
  let store: SqliteStoreThread;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'careloop-verify-'));
    path = join(dir, 'audit.sqlite');
    await (await openAuditStore({ kind: 'sqlite', path })).close();
    writeChain(path, CHAIN);
    store = await openSqliteStoreThread(path);
  }, 120_000);
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lets appends and the health check through promptly while five verifications run', { timeout: 120_000 }, async () => {
    const appendMs = async (): Promise<number> => {
      const started = performance.now();
      const result = await store.append([normalizeAuditEvent(anEvent())], actor);
      expect(result.kind).toBe('ok');
      return performance.now() - started;
    };
    const idle: number[] = [];
    for (let i = 0; i < 10; i++) idle.push(await appendMs());

    const started = performance.now();
    let running = true;
    const verifies = Promise.all(Array.from({ length: 5 }, () => store.verify())).finally(() => {
      running = false;
    });
    const during: number[] = [];
    const pings: number[] = [];
    while (running) {
      during.push(await appendMs());
      const t = performance.now();
      await store.ping();
      pings.push(performance.now() - t);
    }
    const results: ChainVerification[] = await verifies;
    const verifyMs = performance.now() - started;

    for (const r of results) expect(r).toMatchObject({ ok: true });
    // The five calls share one walk of one snapshot: the same verdict, at least the whole chain.
    expect(new Set(results.map((r) => r.records)).size).toBe(1);
    expect(results[0]?.records).toBeGreaterThanOrEqual(CHAIN + 10);
    // Appends kept going during the walk; none waited for it (on the writer thread, each waited for all of it).
    expect(during.length).toBeGreaterThanOrEqual(5);
    expect(Math.max(...during)).toBeLessThan(Math.max(250, verifyMs / 3));
    expect(Math.max(...pings)).toBeLessThan(Math.max(250, verifyMs / 3));
    // And the chain with the appends made during the walk verifies.
    expect(await store.verify()).toMatchObject({ ok: true, records: CHAIN + 10 + during.length });
    console.info(`verify ${Math.round(verifyMs)} ms; append idle max ${Math.max(...idle).toFixed(1)} ms, during verify max ${Math.max(...during).toFixed(1)} ms (${during.length} appends)`);
  });
});
