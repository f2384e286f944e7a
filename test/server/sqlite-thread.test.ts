/**
 * The SQLite store as the audit server runs it: in a writer thread (with a checkpointer beside
 * it), behind an `AuditStore` in the server's thread. What it must keep from the in-thread store
 * (store.test.ts runs the same suite against it): an acknowledged append is committed, appends that
 * arrive together share a commit, and errors and a dead thread reject rather than hang.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildAuditApp } from '../../src/server/app.ts';
import { openAuditStore } from '../../src/server/store/kysely-store.ts';
import { openSqliteStoreThread, type SqliteStoreThread } from '../../src/server/store/sqlite-thread.ts';
import { normalizeAuditEvent, type AuditActor, type NormalizedAuditEvent } from '../../src/shared/audit-event.ts';
import { anEvent } from './support/events.ts';

const actor: AuditActor = { sub: 'user-blackwell', fhirUser: 'Practitioner/blackwell', clientId: 'careloop', issuer: 'http://127.0.0.1:4000/fhir' };
const batch = (n: number): NormalizedAuditEvent[] => Array.from({ length: n }, () => normalizeAuditEvent(anEvent()));

/** Rows in the file, read through a connection of its own. */
function rowsOnDisk(path: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM audit_event').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

let dir: string;
let path: string;
let store: SqliteStoreThread | null;
let commits: number[];
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'careloop-thread-'));
  path = join(dir, 'audit.sqlite');
  commits = [];
  store = await openSqliteStoreThread(path, { onCommit: (_seconds, events) => commits.push(events) });
});
afterEach(async () => {
  await store?.close();
  store = null;
  rmSync(dir, { recursive: true, force: true });
});

function open(): SqliteStoreThread {
  if (!store) throw new Error('no store');
  return store;
}

describe('the SQLite store in its writer thread', () => {
  it('acknowledges an append only once another connection can read what it stored', async () => {
    for (let i = 1; i <= 5; i++) {
      await open().append(batch(20), actor);
      expect(rowsOnDisk(path)).toBe(20 * i);
    }
  });

  it('groups appends that arrive together into fewer commits, counting every event once', async () => {
    const results = await Promise.all(Array.from({ length: 16 }, () => open().append(batch(50), actor)));
    expect(results.every((r) => r.kind === 'ok')).toBe(true);
    expect(commits.length).toBeLessThan(16);
    expect(commits.reduce((a, b) => a + b, 0)).toBe(800);
    expect(await open().verify()).toMatchObject({ ok: true, records: 800 });
  });

  it('answers with receipts (id, seq, hash) when asked, for new and replayed events alike', async () => {
    const [a, b, c] = batch(3);
    if (!a || !b || !c) throw new Error('no events');
    await open().append([a], actor);
    const result = await open().append([b, a, c], actor, { returning: 'receipts' });
    if (result.kind !== 'ok') throw new Error('append failed');
    const stored = await open().timeline({ patient: 'ada', limit: 10 });
    const receipt = (id: string) => {
      const record = stored.find((r) => r.id === id);
      return { id, seq: record?.seq, hash: record?.hash };
    };
    expect(result.results).toEqual([
      { status: 'created', record: receipt(b.id) },
      { status: 'duplicate', record: receipt(a.id) },
      { status: 'created', record: receipt(c.id) },
    ]);
    expect(await open().append([c, { ...a, action: 'dismissed' }], actor, { returning: 'receipts' })).toEqual({ kind: 'conflict', conflictingIds: [a.id] });
  });

  it('rejects with the database’s error when a write fails, stores nothing of it, and keeps serving', async () => {
    const bad = { ...normalizeAuditEvent(anEvent()), appVersion: null } as unknown as NormalizedAuditEvent;
    await expect(open().append([bad], actor)).rejects.toThrow(/NOT NULL constraint failed: audit_event\.app_version/);
    expect((await open().append(batch(2), actor)).kind).toBe('ok');
    expect(await open().count()).toBe(2);
  });

  it('lets accepted appends finish when it is closed, then refuses new ones', async () => {
    const s = open();
    const pending = Array.from({ length: 8 }, () => s.append(batch(25), actor));
    const closed = s.close();
    await expect(s.append(batch(1), actor)).rejects.toThrow('audit store is closed');
    expect((await Promise.all(pending)).every((r) => r.kind === 'ok')).toBe(true);
    await closed;
    store = null;
    // The last connection to close checkpointed and removed the WAL (before a reader opens one).
    expect(existsSync(`${path}-wal`)).toBe(false);
    expect(rowsOnDisk(path)).toBe(200);
  });

  it('copies committed pages into the database file in the background, while it keeps writing', async () => {
    const before = statSync(path).size;
    for (let i = 0; i < 20; i++) await open().append(batch(100), actor);
    const deadline = Date.now() + 10_000;
    while (statSync(path).size <= before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(statSync(path).size).toBeGreaterThan(before);
    expect(await open().count()).toBe(2_000);
  });

  it('rejects pending and later calls with a clear error when its thread dies, and the health check says so', async () => {
    const s = open();
    const app = buildAuditApp({ store: s, trustedIssuers: [], closeStore: false });
    try {
      expect((await app.inject({ method: 'GET', url: '/api/health' })).statusCode).toBe(200);
      const pending = s.append(batch(10), actor);
      await s.worker.terminate();
      await expect(pending).rejects.toThrow(/writer thread stopped/);
      await expect(s.append(batch(1), actor)).rejects.toThrow(/writer thread stopped/);
      await expect(s.count()).rejects.toThrow(/writer thread stopped/);
      const health = await app.inject({ method: 'GET', url: '/api/health' });
      expect(health.statusCode).toBe(503);
      expect(health.json()).toEqual({ status: 'unavailable', store: 'sqlite' });
      await s.close();
    } finally {
      await app.close();
    }
  });
});

describe('opening the SQLite store in a writer thread', () => {
  it('fails with the path and the reason when the database cannot be opened', async () => {
    const missing = join(dir, 'no-such-folder', 'audit.sqlite');
    await expect(openSqliteStoreThread(missing)).rejects.toThrow(`could not open the SQLite audit store at ${missing}: Cannot open database because the directory does not exist`);
  });

  it('serves an in-memory database, which only the writer thread sees (the sandbox uses one)', async () => {
    const memory = await openSqliteStoreThread(':memory:');
    try {
      await memory.append(batch(3), actor);
      expect(await memory.verify()).toMatchObject({ ok: true, records: 3 });
    } finally {
      await memory.close();
    }
  });

  it('opens a file an in-thread store wrote, and continues its chain', async () => {
    await open().append(batch(3), actor);
    await open().close();
    store = null;
    const direct = await openAuditStore({ kind: 'sqlite', path });
    await direct.append(batch(2), actor);
    await direct.close();
    store = await openSqliteStoreThread(path);
    await open().append(batch(1), actor);
    expect(await open().verify()).toMatchObject({ ok: true, records: 6 });
  });
});
