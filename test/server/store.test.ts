import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openAuditStore } from '../../src/server/store/kysely-store.ts';
import { openSqliteStoreThread } from '../../src/server/store/sqlite-thread.ts';
import type { AuditStore } from '../../src/server/store/types.ts';
import { GENESIS_HASH, normalizeAuditEvent, type AuditActor } from '../../src/shared/audit-event.ts';
import { canonicalJson } from '../../src/shared/canonical-json.ts';
import { sha256Hex } from '../../src/shared/digest.ts';
import { anEvent, aLogic } from './support/events.ts';

const actor: AuditActor = { sub: 'user-blackwell', fhirUser: 'Practitioner/blackwell', clientId: 'careloop', issuer: 'http://127.0.0.1:4000/fhir' };
const event = (overrides: Parameters<typeof anEvent>[0] = {}) => normalizeAuditEvent(anEvent(overrides));
const databaseUrl = process.env['DATABASE_URL'];

/** How each backend is set up, and how a person with a SQL console would tamper with it. */
interface Backend {
  name: 'sqlite' | 'postgres';
  /** Opens a store on it: in this thread, or (as the audit server runs SQLite) in a writer thread. */
  open(): Promise<AuditStore>;
  /** Runs SQL directly, outside the store. */
  exec(sql: string): Promise<void>;
  cleanup(): Promise<void>;
}

function sqliteBackend(thread: boolean): Backend {
  const dir = mkdtempSync(join(tmpdir(), 'careloop-store-'));
  const path = join(dir, 'audit.sqlite');
  return {
    name: 'sqlite',
    open: () => (thread ? openSqliteStoreThread(path) : openAuditStore({ kind: 'sqlite', path })),
    async exec(sql) {
      const db = new Database(path);
      try {
        db.exec(sql);
      } finally {
        db.close();
      }
    },
    async cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function postgresBackend(url: string): Backend {
  const schema = `audit_test_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
  const run = async (sql: string) => {
    const client = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  return {
    name: 'postgres',
    open: () => openAuditStore({ kind: 'postgres', connectionString: url, schema }),
    exec: run,
    cleanup: () => run(`DROP SCHEMA IF EXISTS ${schema} CASCADE`),
  };
}

const backends: Array<{ name: string; make: () => Backend }> = [
  { name: 'sqlite', make: () => sqliteBackend(false) },
  { name: 'sqlite in a writer thread', make: () => sqliteBackend(true) },
];
if (databaseUrl) backends.push({ name: 'postgres', make: () => postgresBackend(databaseUrl) });

describe.each(backends)('the audit store on $name', ({ make }) => {
  let backend: Backend;
  let store: AuditStore;
  beforeEach(async () => {
    backend = make();
    store = await backend.open();
  });
  afterEach(async () => {
    await store.close();
    await backend.cleanup();
  });

  it('numbers records 1, 2, 3 and links each hash to the previous one', async () => {
    const result = await store.append([event(), event(), event()], actor);
    expect(result.kind).toBe('ok');
    if (result.kind !== 'ok') return;
    const records = result.results.map((r) => r.record);
    expect(records.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(records[0]?.prevHash).toBe(GENESIS_HASH);
    expect(records[1]?.prevHash).toBe(records[0]?.hash);
    expect(await store.verify()).toEqual({ ok: true, records: 3, headHash: records[2]?.hash });
  });

  it('keeps the chain linear when many batches are appended at once', async () => {
    await Promise.all(Array.from({ length: 20 }, () => store.append([event(), event()], actor)));
    expect(await store.count()).toBe(40);
    expect(await store.verify()).toMatchObject({ ok: true, records: 40 });
  });

  it('stores one record when 50 callers append the same event at once', async () => {
    const e = event();
    const results = await Promise.all(Array.from({ length: 50 }, () => store.append([e], actor)));
    const statuses = results.flatMap((r) => (r.kind === 'ok' ? r.results.map((x) => x.status) : ['conflict']));
    expect(statuses.filter((s) => s === 'created')).toHaveLength(1);
    expect(statuses.filter((s) => s === 'duplicate')).toHaveLength(49);
    expect(await store.count()).toBe(1);
  });

  // Two servers on one SQLite file are separate processes (BEGIN IMMEDIATE + busy_timeout); in one
  // process a second synchronous connection would only block the first, so this runs on PostgreSQL.
  it.runIf(make().name === 'postgres')('stores one record when two store instances (two servers) append the same event at once', async () => {
    const other = await backend.open();
    try {
      const e = event();
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? store : other).append([e, event()], actor)));
      expect(results.every((r) => r.kind === 'ok')).toBe(true);
      expect(await store.count()).toBe(11);
      expect(await store.verify()).toMatchObject({ ok: true, records: 11 });
    } finally {
      await other.close();
    }
  });

  it('reports a conflict and stores nothing of the batch when an id comes back with another body', async () => {
    const e = event();
    await store.append([e], actor);
    const result = await store.append([event(), { ...e, action: 'dismissed' }], actor);
    expect(result).toEqual({ kind: 'conflict', conflictingIds: [e.id] });
    expect(await store.count()).toBe(1);
  });

  it('reports a conflict when another user replays an id', async () => {
    const e = event();
    await store.append([e], actor);
    expect((await store.append([e], { ...actor, sub: 'user-mallory' })).kind).toBe('conflict');
  });

  it('refuses UPDATE and DELETE in the database itself', async () => {
    await store.append([event()], actor);
    await expect(backend.exec("UPDATE audit_event SET action = 'dismissed'")).rejects.toThrow(/append-only/);
    await expect(backend.exec('DELETE FROM audit_event')).rejects.toThrow(/append-only/);
    expect(await store.count()).toBe(1);
  });

  it('names the tampered row when a record is changed with the trigger dropped', async () => {
    const result = await store.append([event(), event(), event({ action: 'dismissed' })], actor);
    if (result.kind !== 'ok') throw new Error('append failed');
    const target = result.results[1]?.record;
    await store.close();
    const dropTrigger = backend.name === 'sqlite' ? 'DROP TRIGGER audit_event_no_update' : 'DROP TRIGGER audit_event_no_update_delete ON audit_event';
    await backend.exec(`${dropTrigger}; UPDATE audit_event SET action = 'written' WHERE seq = 2`);
    store = await backend.open();
    expect(await store.verify()).toEqual({ ok: false, records: 1, firstBroken: { seq: 2, id: target?.id, reason: 'hash-mismatch' } });
  });

  it('names the row after a deleted one when a record is removed with the trigger dropped', async () => {
    const result = await store.append([event(), event(), event()], actor);
    if (result.kind !== 'ok') throw new Error('append failed');
    await store.close();
    const dropTrigger = backend.name === 'sqlite' ? 'DROP TRIGGER audit_event_no_delete' : 'DROP TRIGGER audit_event_no_update_delete ON audit_event';
    await backend.exec(`${dropTrigger}; DELETE FROM audit_event WHERE seq = 2`);
    store = await backend.open();
    expect(await store.verify()).toMatchObject({ ok: false, firstBroken: { seq: 3, id: result.results[2]?.record.id, reason: 'sequence-gap' } });
  });

  it('stores and returns the deciding logic, and verifies a chain of records with and without it', async () => {
    const result = await store.append([event({ action: 'confirmed', logic: aLogic() }), event({ action: 'launch' })], actor);
    if (result.kind !== 'ok') throw new Error('append failed');
    const [withLogic, without] = await store.timeline({ patient: 'ada', limit: 10 }).then((r) => [r[1], r[0]]);
    expect(withLogic?.logic).toEqual(aLogic());
    expect(without?.logic).toBeNull();
    expect(await store.verify()).toMatchObject({ ok: true, records: 2 });
  });

  it('keeps verifying records stored before migration 2 (no logic columns), and chains new records with logic after them', async () => {
    // A store as it was before the logic columns: migration 2 undone, one record hashed in the old form.
    await store.close();
    const oldRecord = {
      ...normalizeAuditEvent(anEvent({ action: 'dismissed', reason: 'patient-declined' })),
      seq: 1,
      serverTime: '2026-11-01T10:00:00.000Z',
      actor,
      prevHash: GENESIS_HASH,
    };
    const { logic: _logic, ...oldForm } = oldRecord;
    const oldHash = sha256Hex(canonicalJson(oldForm));
    const q = (v: string | null) => (v === null ? 'NULL' : `'${v.replace(/'/g, "''")}'`);
    await backend.exec(
      [
        'DELETE FROM audit_schema_version WHERE version = 2',
        ...['logic_library', 'logic_version', 'logic_elm_digest', 'logic_source'].map((c) => `ALTER TABLE audit_event DROP COLUMN ${c}`),
        `INSERT INTO audit_event (seq, event_id, server_time, client_time, patient, encounter, action, rule_id, rule_version, pack_digest, evidence, evidence_digest, outcome, correlation_id, app_version, snooze_until, reason, actor_sub, actor_fhir_user, actor_client_id, actor_issuer, prev_hash, hash) VALUES (1, ${q(oldRecord.id)}, ${q(oldRecord.serverTime)}, ${q(oldRecord.clientTime)}, 'ada', ${q(oldRecord.encounter)}, 'dismissed', ${q(oldRecord.ruleId)}, ${q(oldRecord.ruleVersion)}, ${q(oldRecord.packDigest)}, ${q(JSON.stringify(oldRecord.evidence))}, ${q(oldRecord.evidenceDigest)}, NULL, ${q(oldRecord.correlationId)}, ${q(oldRecord.appVersion)}, NULL, 'patient-declined', ${q(actor.sub)}, ${q(actor.fhirUser)}, ${q(actor.clientId)}, ${q(actor.issuer)}, ${q(GENESIS_HASH)}, ${q(oldHash)})`,
      ].join('; '),
    );
    store = await backend.open();
    expect(await store.verify()).toEqual({ ok: true, records: 1, headHash: oldHash });
    const appended = await store.append([event({ action: 'confirmed', logic: aLogic({ source: 'measure-package', version: null }) })], actor);
    if (appended.kind !== 'ok') throw new Error('append failed');
    expect(appended.results[0]?.record.prevHash).toBe(oldHash);
    expect(await store.verify()).toMatchObject({ ok: true, records: 2 });
    const [newer, older] = await store.timeline({ patient: 'ada', limit: 10 });
    expect(older?.logic).toBeNull();
    expect(newer?.logic).toEqual(aLogic({ source: 'measure-package', version: null }));

    // The logic is part of what is hashed: changing it on a new record, or adding it to an old one, breaks the chain.
    await store.close();
    const dropTrigger = backend.name === 'sqlite' ? 'DROP TRIGGER audit_event_no_update' : 'DROP TRIGGER audit_event_no_update_delete ON audit_event';
    await backend.exec(`${dropTrigger}; UPDATE audit_event SET logic_version = '9.9.9' WHERE seq = 2`);
    store = await backend.open();
    expect(await store.verify()).toMatchObject({ ok: false, firstBroken: { seq: 2, reason: 'hash-mismatch' } });
    await store.close();
    await backend.exec(`UPDATE audit_event SET logic_version = NULL WHERE seq = 2; UPDATE audit_event SET logic_library = 'CareloopStatinTherapy' WHERE seq = 1`);
    store = await backend.open();
    expect(await store.verify()).toMatchObject({ ok: false, firstBroken: { seq: 1, reason: 'hash-mismatch' } });
  }, 30_000); // three store restarts, a writer thread each: slow on a busy two-core machine

  it('pages a patient’s timeline newest first, filtered by action', async () => {
    await store.append([event(), event({ action: 'snoozed' }), event({ patient: 'grace' }), event({ action: 'snoozed' })], actor);
    const page1 = await store.timeline({ patient: 'ada', limit: 2 });
    expect(page1.map((r) => r.seq)).toEqual([4, 2]);
    const page2 = await store.timeline({ patient: 'ada', limit: 2, beforeSeq: 2 });
    expect(page2.map((r) => r.seq)).toEqual([1]);
    expect((await store.timeline({ patient: 'ada', limit: 10, actions: ['snoozed'] })).map((r) => r.seq)).toEqual([4, 2]);
  });
});

describe('PostgreSQL', () => {
  it.runIf(process.env['CI'] && !databaseUrl)('is configured in CI (DATABASE_URL is set by .ci/run)', () => {
    expect(databaseUrl).toBeDefined();
  });
  it.skipIf(!databaseUrl)('is reachable through DATABASE_URL', async () => {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    await client.end();
  });
});
