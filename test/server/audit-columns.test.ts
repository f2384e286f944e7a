import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { hashedForm } from '../../src/server/store/chain.ts';
import { AUDIT_COLUMN_NAMES, AUDIT_ENTRY_COLUMNS, entryOf, rowOf, type Row } from '../../src/server/store/audit-columns.ts';
import { openAuditStore } from '../../src/server/store/kysely-store.ts';
import { openSqliteStoreThread } from '../../src/server/store/sqlite-thread.ts';
import type { AuditStore } from '../../src/server/store/types.ts';
import { normalizeAuditEvent, type AuditActor, type AuditEntry } from '../../src/shared/audit-event.ts';
import { canonicalJson } from '../../src/shared/canonical-json.ts';
import { sha256Hex } from '../../src/shared/digest.ts';
import { aLogic, anEvent } from './support/events.ts';

const actor: AuditActor = { sub: 'user-blackwell', fhirUser: 'Practitioner/blackwell', clientId: 'careloop', issuer: 'http://127.0.0.1:4000/fhir' };

/**
 * An event with every optional field set, so that every column of its row holds a value. A field
 * added to the declaration (audit-columns.ts) must be set here too: until it is, its column is null
 * and the tests below fail, which is the point.
 */
const fullEvent = () =>
  normalizeAuditEvent(
    anEvent({
      action: 'snoozed',
      logic: aLogic(),
      outcome: { reference: 'ServiceRequest/ada-colonoscopy-proposal', version: '2', status: 201, error: 'none' },
      snoozeUntil: '2027-01-15',
      reason: 'patient-declined',
    }),
  );

/** Every leaf of the declaration: `id`, `logic.library`, `actor.sub` … */
function declaredPaths(fields: object, prefix = ''): string[] {
  return Object.entries(fields).flatMap(([key, storage]: [string, { kind: string; fields?: object }]) =>
    storage.kind === 'group' && storage.fields ? declaredPaths(storage.fields, `${prefix}${key}.`) : [`${prefix}${key}`],
  );
}

function valueAt(record: AuditEntry, path: string): unknown {
  return path.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown> | null)?.[key], record);
}

interface Backend {
  open(): Promise<AuditStore>;
  /** The table's columns and its rows, read directly. */
  table(): Promise<{ columns: string[]; rows: Row[] }>;
  cleanup(): Promise<void>;
}

function sqlite(thread: boolean): Backend {
  const dir = mkdtempSync(join(tmpdir(), 'careloop-columns-'));
  const path = join(dir, 'audit.sqlite');
  return {
    open: () => (thread ? openSqliteStoreThread(path) : openAuditStore({ kind: 'sqlite', path })),
    async table() {
      const db = new Database(path, { readonly: true });
      try {
        const columns = db.prepare<[], { name: string }>('SELECT name FROM pragma_table_info(\'audit_event\')').all().map((c) => c.name);
        return { columns, rows: db.prepare<[], Row>('SELECT * FROM audit_event ORDER BY seq').all() };
      } finally {
        db.close();
      }
    },
    async cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function postgres(url: string): Backend {
  const schema = `audit_columns_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
  const query = async <T extends pg.QueryResultRow>(text: string): Promise<T[]> => {
    const client = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
    await client.connect();
    try {
      return (await client.query<T>(text)).rows;
    } finally {
      await client.end();
    }
  };
  return {
    open: () => openAuditStore({ kind: 'postgres', connectionString: url, schema }),
    async table() {
      const columns = await query<{ column_name: string }>(`SELECT column_name FROM information_schema.columns WHERE table_schema = '${schema}' AND table_name = 'audit_event'`);
      return { columns: columns.map((c) => c.column_name), rows: await query<Row>('SELECT * FROM audit_event ORDER BY seq') };
    },
    async cleanup() {
      await query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    },
  };
}

const backends: Array<{ name: string; make: () => Backend }> = [
  { name: 'SQLite', make: () => sqlite(false) },
  { name: 'SQLite in its writer thread', make: () => sqlite(true) },
];
const databaseUrl = process.env['DATABASE_URL'];
if (databaseUrl) backends.push({ name: 'PostgreSQL', make: () => postgres(databaseUrl) });

describe('the audit entry declared once (audit-columns.ts)', () => {
  it('maps every declared field to a column of its own and back', () => {
    const record: AuditEntry = { ...fullEvent(), seq: 7, serverTime: '2026-12-01T09:00:00.000Z', actor, prevHash: '1'.repeat(64), hash: '2'.repeat(64) };
    const row = rowOf(record);
    expect(Object.keys(row)).toEqual(AUDIT_COLUMN_NAMES);
    expect(new Set(AUDIT_COLUMN_NAMES).size).toBe(AUDIT_COLUMN_NAMES.length);
    for (const [column, value] of Object.entries(row)) expect(value, column).not.toBeNull();
    expect(entryOf(row)).toEqual(record);
    expect(Object.keys(entryOf(row))).toEqual(Object.keys(record));
    // Declared leaves are exactly the record's: every field of the record, nothing else.
    expect(declaredPaths(AUDIT_ENTRY_COLUMNS).sort()).toEqual(
      Object.entries(record)
        .flatMap(([key, value]) => (key === 'actor' || key === 'logic' ? Object.keys(value as object).map((k) => `${key}.${k}`) : [key]))
        .sort(),
    );
  });

  it('reads a record without the deciding logic (all its columns null) as logic null', () => {
    const record: AuditEntry = { ...fullEvent(), logic: null, seq: 1, serverTime: '2026-12-01T09:00:00.000Z', actor, prevHash: '0'.repeat(64), hash: '3'.repeat(64) };
    const row = rowOf(record);
    expect([row.logic_library, row.logic_version, row.logic_elm_digest, row.logic_source]).toEqual([null, null, null, null]);
    expect(entryOf(row).logic).toBeNull();
    // Some logic columns set is a tampered row: returned as it is, so that it fails its hash.
    expect(entryOf({ ...row, logic_version: '1.0.0' }).logic).toEqual({ library: '', version: '1.0.0', elmDigest: '', source: '' });
  });
});

describe.each(backends)('every declared field round-trips through the store on $name', ({ make }) => {
  let backend: Backend | null = null;
  let store: AuditStore | null = null;
  afterEach(async () => {
    await store?.close();
    await backend?.cleanup();
    store = null;
    backend = null;
  });

  it('writes a value in every declared column, reads back the record it stored, and verifies it', async () => {
    backend = make();
    store = await backend.open();
    const appended = await store.append([fullEvent()], actor);
    if (appended.kind !== 'ok') throw new Error('append failed');
    const stored = appended.results[0]?.record;
    if (!stored) throw new Error('no record');

    const { columns, rows } = await backend.table();
    expect([...columns].sort()).toEqual([...AUDIT_COLUMN_NAMES].sort());
    const row = rows[0];
    if (!row) throw new Error('no row');
    for (const column of AUDIT_COLUMN_NAMES) expect(row[column], column).not.toBeNull();

    const [read] = await store.timeline({ patient: 'ada', limit: 1 });
    expect(read).toEqual(stored);
    for (const path of declaredPaths(AUDIT_ENTRY_COLUMNS)) {
      expect(valueAt(stored, path), path).not.toBeNull();
      expect(valueAt(stored, path), path).not.toBeUndefined();
    }
    expect(entryOf(row)).toEqual(stored);
    // The write path's serialiser (chain.ts) hashes every declared field, as the shared canonical JSON does.
    const { hash, ...unhashed } = stored;
    expect(hash).toBe(sha256Hex(canonicalJson(hashedForm(unhashed))));
    expect(await store.verify()).toMatchObject({ ok: true, records: 1, headHash: stored.hash });
  }, 30_000);
});
