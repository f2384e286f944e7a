/**
 * The audit entry's fields, declared once: each field of an {@link AuditEntry} and the column(s)
 * of `audit_event` that hold it. The Kysely table type, the record → row mapping (PostgreSQL's
 * multi-row inserts, SQLite's prepared insert) and the row → record mapping (reads, the chain
 * walks, the admin export) are all derived from {@link AUDIT_ENTRY_COLUMNS} (compiled from it once,
 * at load; see `compile`).
 *
 * Adding a field: declare it in src/shared/audit-event.ts, add its column(s) here (the type check
 * says where one is missing), and add them in a new migration (migrations.ts). The migrations stay
 * as they were written: they are the history of existing databases, not derived from this list.
 */
import type { ColumnType } from 'kysely';
import { AUDIT_ACTIONS, LOGIC_SOURCES, type AuditEvidence, type AuditOutcome, type AuditEntry, type NormalizedAuditEvent } from '../../shared/audit-event.ts';

/** A value a column holds: what both drivers bind and return (PostgreSQL's BIGINT comes back as a string). */
export type ColumnValue = string | number | null;

/**
 * One column holding one field of type `V`. `Select` is what the drivers return, `Insert` what the
 * store writes.
 */
export interface Column<Name extends string, V, Select extends ColumnValue, Insert extends ColumnValue = Select> {
  readonly kind: 'column';
  readonly name: Name;
  /**
   * Text stored as it is (`write` the identity; `read` too, null read as '' for `text`): the hot
   * paths then skip the calls. False for any other column.
   */
  readonly plain: 'text' | 'nullable-text' | false;
  // Function-typed properties, not methods: checked both ways (a method's parameter would be bivariant).
  readonly write: (value: V) => Insert;
  /** `null` also where a row predates the column (or, inside a group, where the group is absent). */
  readonly read: (stored: Select | null) => V;
}

/**
 * An object-valued field spread over columns of its own (`actor_sub`, `actor_issuer` …). A
 * nullable group reads as null when every one of its columns is null.
 */
export interface Group<Fields, Nullable extends boolean> {
  readonly kind: 'group';
  readonly nullable: Nullable;
  readonly fields: Fields;
}

/** How a field of type `V` is stored: one column, or (an object) a group of columns. */
export type FieldStorage<V> =
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a column of any name and stored type: the field's own type `V` is what is checked
  | Column<string, V, any, any>
  | Group<{ readonly [K in keyof NonNullable<V>]-?: ColumnOf<NonNullable<V>[K]> }, null extends V ? true : false>;

/** A column holding a value of type `V` (a group's member: groups do not nest). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- as in FieldStorage
export type ColumnOf<V> = Column<string, V, any, any>;

/** A declaration for every field of `T`: a missing field, or one of another type, is a type error. */
export type FieldColumns<T> = { readonly [K in keyof T]-?: FieldStorage<T[K]> };

/** A text column (`NOT NULL` in the schema). */
function text<Name extends string>(name: Name): Column<Name, string, string> {
  // '' only inside a nullable group whose other columns are set: a tampered row, which then fails its hash.
  return { kind: 'column', name, plain: 'text', write: (value) => value, read: (stored) => stored ?? '' };
}

/** A text column holding one of `values` (read back unchecked: a tampered value fails the hash). */
function textOf<const Values extends readonly string[], Name extends string>(name: Name, _values: Values): Column<Name, Values[number], string> {
  return { kind: 'column', name, plain: 'text', write: (value) => value, read: (stored) => (stored ?? '') as Values[number] };
}

/** A nullable text column. */
function nullableText<Name extends string>(name: Name): Column<Name, string | null, string | null> {
  return { kind: 'column', name, plain: 'nullable-text', write: (value) => value, read: (stored) => stored };
}

/** An integer column (a BIGINT on PostgreSQL, read back as a string). */
function integer<Name extends string>(name: Name): Column<Name, number, number | string, number> {
  return { kind: 'column', name, plain: false, write: (value) => value, read: (stored) => Number(stored) };
}

/** A nullable column holding JSON text (`JSON.stringify` on write, `JSON.parse` on read). */
function nullableJson<Name extends string>(name: Name): { of<V>(): Column<Name, V | null, string | null> } {
  return {
    of: <V>(): Column<Name, V | null, string | null> => ({
      kind: 'column',
      name,
      plain: false,
      write: (value) => (value === null ? null : JSON.stringify(value)),
      read: (stored) => (stored === null ? null : (JSON.parse(stored) as V)),
    }),
  };
}

function group<const Fields extends object>(fields: Fields): Group<Fields, false> {
  return { kind: 'group', nullable: false, fields };
}

function nullableGroup<const Fields extends object>(fields: Fields): Group<Fields, true> {
  return { kind: 'group', nullable: true, fields };
}

/**
 * Every field of a stored audit entry and its column(s), in the order of a record's keys (the
 * order the API answers with). The column names are those of migrations 1 and 2.
 */
export const AUDIT_ENTRY_COLUMNS = {
  id: text('event_id'),
  clientTime: text('client_time'),
  patient: text('patient'),
  encounter: nullableText('encounter'),
  action: textOf('action', AUDIT_ACTIONS),
  ruleId: nullableText('rule_id'),
  ruleVersion: nullableText('rule_version'),
  packDigest: nullableText('pack_digest'),
  /** Migration 2; null on records stored before it (and on events not about a rule's decision). */
  logic: nullableGroup({
    library: text('logic_library'),
    version: nullableText('logic_version'),
    elmDigest: text('logic_elm_digest'),
    source: textOf('logic_source', LOGIC_SOURCES),
  }),
  evidence: nullableJson('evidence').of<AuditEvidence[]>(),
  evidenceDigest: nullableText('evidence_digest'),
  outcome: nullableJson('outcome').of<AuditOutcome>(),
  correlationId: nullableText('correlation_id'),
  appVersion: text('app_version'),
  snoozeUntil: nullableText('snooze_until'),
  reason: nullableText('reason'),
  seq: integer('seq'),
  serverTime: text('server_time'),
  actor: group({
    sub: nullableText('actor_sub'),
    fhirUser: nullableText('actor_fhir_user'),
    clientId: nullableText('actor_client_id'),
    issuer: text('actor_issuer'),
  }),
  prevHash: text('prev_hash'),
  hash: text('hash'),
} as const satisfies FieldColumns<AuditEntry>;

// ---- The table type, derived ------------------------------------------------------------------

/**
 * `[name, select, insert]` of each column under a field's storage; the columns of a nullable group
 * hold null when the group is absent.
 */
type ColumnsOf<S, Absent = never> =
  S extends Column<infer Name, infer _V, infer Select, infer Insert>
    ? [Name, Select | Absent, Insert | Absent]
    : S extends { readonly kind: 'group'; readonly nullable: infer Nullable; readonly fields: infer F }
      ? { [K in keyof F]: ColumnsOf<F[K], Absent | (Nullable extends true ? null : never)> }[keyof F]
      : never;

type Declared = typeof AUDIT_ENTRY_COLUMNS;
type AllColumns = Extract<{ [K in keyof Declared]: ColumnsOf<Declared[K]> }[keyof Declared], [string, ColumnValue, ColumnValue]>;

/** A row of `audit_event`, as Kysely sees it (a column written as another type than it reads, e.g. `seq`, as a `ColumnType`). */
export type AuditEventTable = {
  [C in AllColumns as C[0]]: [C[1]] extends [C[2]] ? ([C[2]] extends [C[1]] ? C[1] : ColumnType<C[1], C[2], never>) : ColumnType<C[1], C[2], never>;
};

/** The database as Kysely sees it. */
export interface AuditDatabase {
  audit_event: AuditEventTable;
  audit_schema_version: { version: number; applied_at: string };
}

/** A row as read back. */
export type Row = { [K in keyof AuditEventTable]: AuditEventTable[K] extends ColumnType<infer S, unknown, unknown> ? S : AuditEventTable[K] };

/** A row as written. */
export type NewRow = { [K in keyof AuditEventTable]: AuditEventTable[K] extends ColumnType<unknown, infer I, unknown> ? I : AuditEventTable[K] };

// ---- The mappings, derived --------------------------------------------------------------------

type AnyColumn = Column<string, unknown, ColumnValue, ColumnValue>;
type AnyStorage = AnyColumn | Group<Readonly<Record<string, AnyColumn>>, boolean>;
type Codec = (value: unknown) => unknown;

/**
 * The mappings are compiled once, at load, from the declaration into plain functions (a record
 * literal, an array of property reads), as fast as the hand-written mappings they replace: a
 * generic loop over the declaration costs three to four times as much per record, on the write
 * path and on every chain walk. The generated code holds only the declaration's keys and column
 * names (checked to be identifiers here) and calls its codecs by index: no input ever reaches it.
 */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

function identifier(name: string): string {
  if (!IDENTIFIER.test(name)) throw new Error(`audit-columns: ${JSON.stringify(name)} is not an identifier`);
  return name;
}

function compile<F>(codecs: readonly Codec[], parameters: readonly string[], body: string): F {
  // Generated from the static declaration above, never from input (see IDENTIFIER).
  return new Function('codecs', ...parameters, body).bind(null, codecs) as F;
}

const DECLARED = Object.entries(AUDIT_ENTRY_COLUMNS as unknown as Readonly<Record<string, AnyStorage>>).map(
  ([field, storage]): [string, AnyStorage] => [identifier(field), storage],
);

/** Every column, in declaration order, with where its value sits in a record (`r`). */
interface FlatColumn {
  name: keyof AuditEventTable;
  column: AnyColumn;
  field: string;
  /** The key in the group's object, for a column of a group. */
  member: string | null;
}
const FLAT: readonly FlatColumn[] = DECLARED.flatMap(([field, storage]): FlatColumn[] =>
  storage.kind === 'column'
    ? [{ name: identifier(storage.name) as keyof AuditEventTable, column: storage, field, member: null }]
    : Object.entries(storage.fields).map(([member, column]) => ({ name: identifier(column.name) as keyof AuditEventTable, column, field, member: identifier(member) })),
);

/** The names of every column of `audit_event`, in {@link rowValues}' order. */
export const AUDIT_COLUMN_NAMES: ReadonlyArray<keyof AuditEventTable> = FLAT.map((c) => c.name);

const writeCodecs: Codec[] = [];
/** The expression of each column's value, over the record `r`. */
const writeExpressions = FLAT.map(({ column, field, member }) => {
  let value = member === null ? `r.${field}` : `r.${field}.${member}`;
  if (!column.plain) {
    writeCodecs.push(column.write);
    value = `codecs[${writeCodecs.length - 1}](${value})`;
  }
  // An absent (null) group writes null in each of its columns.
  return member === null ? value : `(r.${field} == null ? null : ${value})`;
});

const readCodecs: Codec[] = [];
/** The expression of a column's field value, over the row `row`. */
function readExpression(column: AnyColumn): string {
  const stored = `(row.${column.name} ?? null)`;
  switch (column.plain) {
    case 'nullable-text':
      return stored;
    case 'text':
      return `(row.${column.name} ?? '')`;
    case false:
      readCodecs.push(column.read as Codec);
      return `codecs[${readCodecs.length - 1}](${stored})`;
  }
}
const readExpressions = DECLARED.map(([field, storage]) => {
  if (storage.kind === 'column') return `${field}: ${readExpression(storage)}`;
  const members = Object.entries(storage.fields);
  const object = `{ ${members.map(([member, column]) => `${identifier(member)}: ${readExpression(column)}`).join(', ')} }`;
  // A group with some columns set is returned as it is (nulls and all), so a tampered row fails
  // its hash instead of being tidied up.
  return storage.nullable ? `${field}: (${members.map(([, column]) => `row.${column.name} == null`).join(' && ')} ? null : ${object})` : `${field}: ${object}`;
});

/** The values of a record's row, in {@link AUDIT_COLUMN_NAMES}' order: the SQLite insert's parameters. */
export const rowValues: (record: AuditEntry) => ColumnValue[] = compile(writeCodecs, ['r'], `return [${writeExpressions.join(', ')}];`);

/** The row of a record. */
export const rowOf: (record: AuditEntry) => NewRow = compile(writeCodecs, ['r'], `return { ${FLAT.map((c, i) => `${c.name}: ${writeExpressions[i] ?? 'undefined'}`).join(', ')} };`);

/** Rebuilds a record from its row (JSON columns parsed back; a tampered column shows in the hash). */
export const entryOf: (row: Row) => AuditEntry = compile(readCodecs, ['row'], `return { ${readExpressions.join(', ')} };`);

// ---- The client's event and the server's part of a record -------------------------------------

/** The fields of a record the server adds to the client's event; every other field is the event's. */
export const SERVER_FIELDS = ['seq', 'serverTime', 'actor', 'prevHash', 'hash'] as const;

/** The server's part of a record. */
export type ServerPart = Pick<AuditEntry, (typeof SERVER_FIELDS)[number]>;

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Holds<T extends true> = T;
/** Checked by the compiler: the record's fields are exactly the event's and the server's. */
export type EntryIsEventAndServerPart = Holds<Same<Exclude<keyof AuditEntry, (typeof SERVER_FIELDS)[number]>, keyof NormalizedAuditEvent>>;

const isServerField = (field: string): boolean => (SERVER_FIELDS as readonly string[]).includes(field);

/** The client's part of a record, as it was sent (normalised). */
export const eventOf: (record: AuditEntry) => NormalizedAuditEvent = compile(
  [],
  ['r'],
  `return { ${DECLARED.filter(([field]) => !isServerField(field)).map(([field]) => `${field}: r.${field}`).join(', ')} };`,
);

/**
 * A new record from the client's event and the server's part, with exactly a record's fields, in
 * their order (the write path's serialiser, chain.ts, relies on the shape).
 */
export const entryOfEvent: (event: NormalizedAuditEvent, server: ServerPart) => AuditEntry = compile(
  [],
  ['e', 's'],
  `return { ${DECLARED.map(([field]) => `${field}: ${isServerField(field) ? 's' : 'e'}.${field}`).join(', ')} };`,
);
