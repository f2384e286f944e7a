/**
 * Schema migrations, applied at start in order, each once. The append-only guarantee lives in the
 * database itself: triggers refuse UPDATE and DELETE (and, on PostgreSQL, TRUNCATE) of records.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { AuditDatabase } from './audit-columns.ts';

type Dialect = 'sqlite' | 'postgres';

/** Each migration is a list of statements per dialect. */
const MIGRATIONS: ReadonlyArray<{ version: number; statements: (d: Dialect) => RawBuilder<unknown>[] }> = [
  {
    version: 1,
    statements: (d) => [
      sql.raw(`CREATE TABLE audit_event (
        seq ${d === 'sqlite' ? 'INTEGER' : 'BIGINT'} PRIMARY KEY,
        event_id TEXT NOT NULL UNIQUE,
        server_time TEXT NOT NULL,
        client_time TEXT NOT NULL,
        patient TEXT NOT NULL,
        encounter TEXT,
        action TEXT NOT NULL,
        rule_id TEXT,
        rule_version TEXT,
        pack_digest TEXT,
        evidence TEXT,
        evidence_digest TEXT,
        outcome TEXT,
        correlation_id TEXT,
        app_version TEXT NOT NULL,
        snooze_until TEXT,
        reason TEXT,
        actor_sub TEXT,
        actor_fhir_user TEXT,
        actor_client_id TEXT,
        actor_issuer TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
      )`),
      sql.raw('CREATE INDEX audit_event_patient_seq ON audit_event (patient, seq)'),
      ...(d === 'sqlite'
        ? [
            sql.raw("CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END"),
            sql.raw("CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END"),
          ]
        : [
            sql.raw(`CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
              BEGIN RAISE EXCEPTION 'audit_event is append-only'; END $$`),
            sql.raw('CREATE TRIGGER audit_event_no_update_delete BEFORE UPDATE OR DELETE ON audit_event FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()'),
            sql.raw('CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()'),
          ]),
    ],
  },
  {
    // The logic that decided a rule's result (library, version, ELM digest, source). Existing rows
    // keep null, which is also how their hash was computed (see chain.ts).
    version: 2,
    statements: () => [
      sql.raw('ALTER TABLE audit_event ADD COLUMN logic_library TEXT'),
      sql.raw('ALTER TABLE audit_event ADD COLUMN logic_version TEXT'),
      sql.raw('ALTER TABLE audit_event ADD COLUMN logic_elm_digest TEXT'),
      sql.raw('ALTER TABLE audit_event ADD COLUMN logic_source TEXT'),
    ],
  },
];

/** Applies the migrations not yet applied. Safe against two servers starting at once on PostgreSQL. */
export async function migrate(db: Kysely<AuditDatabase>, dialect: Dialect): Promise<void> {
  await db.transaction().execute(async (trx) => {
    if (dialect === 'postgres') await sql`SELECT pg_advisory_xact_lock(${0x0ca7e100e})`.execute(trx);
    await sql.raw('CREATE TABLE IF NOT EXISTS audit_schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)').execute(trx);
    const applied = new Set((await trx.selectFrom('audit_schema_version').select('version').execute()).map((r) => Number(r.version)));
    for (const m of MIGRATIONS) {
      if (applied.has(m.version)) continue;
      for (const statement of m.statements(dialect)) await statement.execute(trx);
      await trx.insertInto('audit_schema_version').values({ version: m.version, applied_at: new Date().toISOString() }).execute();
    }
  });
}
