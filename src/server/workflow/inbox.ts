/**
 * The workflow service's durable inbox: the contract ({@link WorkflowInbox}) and its embedded
 * implementation (SQLite, a file beside the audit database; `pg-inbox.ts` is the PostgreSQL one for
 * several instances). Every event source (rest-hook notifications, `$events` catch-up, polling,
 * reconciliation) writes here, and the rest-hook is acknowledged only after `intake` has resolved:
 * the events are then on disk (WAL, `synchronous = FULL`), committed together with the other
 * notifications that arrived at the same time (group commit).
 *
 * Receive twice, act once:
 * - an event whose (subscription, event number) was seen before is dropped;
 * - an event for a resource version already held, by (type, id, versionId), is dropped;
 * - an event older (`meta.lastUpdated`) than the newest one held for that resource is kept as
 *   `stale` and never processed; a newer one marks older pending ones `superseded`;
 * - a failed event is retried with exponential backoff; after `maxAttempts`, or at once for a
 *   permanent failure, it is parked in `inbox_dead_letter` with the reason, until `replay`.
 * Processing leases an event; an event whose lease ran out (the process died) is claimed again.
 *
 * @example
 * const inbox = openInbox({ path: '.data/audit.workflow.sqlite' });
 * inbox.receive([{ subscription: 'Subscription/1', eventNumber: 7, resourceType: 'Observation', resourceId: 'fit-1', versionId: '2', lastUpdated, patient: 'ada' }]);
 * await drainInbox(inbox, async (event) => reevaluate(event.patient));
 */
import Database from 'better-sqlite3';
import { z } from 'zod';
import { GroupCommit } from './group-commit.ts';

/** An event as a source hands it to the inbox. */
export interface InboxEventInput {
  /** Where it came from: `rest-hook`, `catch-up`, `poll`, `reconcile`. */
  readonly source: string;
  /** The Subscription's reference (absolute URL or `Subscription/id`), for subscription events. */
  readonly subscription?: string | null;
  /** The event number within that subscription. */
  readonly eventNumber?: number | null;
  readonly resourceType: string;
  readonly resourceId: string;
  readonly versionId?: string | null;
  /** The resource's `meta.lastUpdated`, which orders versions. */
  readonly lastUpdated?: string | null;
  readonly patient?: string | null;
  /** The resource itself (full-resource payloads), or absent (id-only). */
  readonly resource?: unknown;
  readonly correlationId?: string | null;
}

export type IntakeOutcome = 'accepted' | 'duplicate-event' | 'duplicate-version' | 'stale';

/** One notification's worth of intake: its events, and the contact it means for its subscription. */
export interface IntakeRequest {
  readonly events: readonly InboxEventInput[];
  /** The subscription the notification came from and its `events-since-subscription-start`. */
  readonly contact?: { readonly subscription: string; readonly eventsSinceStart: number | null } | undefined;
  /** Also report whether that subscription now has a gap in its event numbers. */
  readonly gapCheck?: boolean;
}

export interface IntakeResult {
  readonly outcomes: IntakeOutcome[];
  /** Whether the subscription misses event numbers (only with `gapCheck`). */
  readonly gap: boolean;
}

/** A value, or a promise of it: the SQLite inbox answers synchronously, the PostgreSQL one does not. */
export type Awaitable<T> = T | Promise<T>;

/**
 * What the workflow service needs of an inbox, on SQLite ({@link Inbox}) or PostgreSQL
 * (`PgInbox`, pg-boss): the same contract on both; callers always `await`.
 */
export interface WorkflowInbox {
  readonly kind: 'sqlite' | 'postgres';
  /** The group commit of {@link intake}: batches committed and notifications in them (metrics). */
  readonly group: { readonly counters: { readonly batches: number; readonly items: number } };
  /** Stores events in one transaction; durable when it resolves. Throws (storing nothing) on a malformed event. */
  receive(events: readonly InboxEventInput[]): Awaitable<IntakeOutcome[]>;
  /**
   * The rest-hook path: validates, then commits together with the other notifications arriving at
   * the same time (group commit); resolves once its batch is durable.
   */
  intake(request: IntakeRequest): Promise<IntakeResult>;
  claim(limit?: number): Awaitable<InboxEvent[]>;
  complete(id: number): Awaitable<void>;
  fail(id: number, reason: string, options?: { permanent?: boolean }): Awaitable<'retry' | 'dead'>;
  deadLetters(): Awaitable<DeadLetter[]>;
  replay(which: { deadLetterId: number } | 'all'): Awaitable<number>;
  event(id: number): Awaitable<InboxEvent | undefined>;
  events(status?: InboxStatus): Awaitable<InboxEvent[]>;
  stats(): Awaitable<InboxStats>;
  noteContact(subscription: string, eventsSinceStart: number | null, heartbeatSeconds?: number | null): Awaitable<void>;
  forgetSubscription(subscription: string): Awaitable<void>;
  subscriptionStates(): Awaitable<SubscriptionState[]>;
  missingEventNumbers(subscription: string, limit?: number): Awaitable<number[]>;
  knows(resourceType: string, resourceId: string, versionId: string | null, lastUpdated: string | null): Awaitable<boolean>;
  recentPatients(sinceMs: number): Awaitable<string[]>;
  lastReconciliation(): Awaitable<{ serverTime: string; missed: number } | null>;
  recordReconciliation(run: { since: string; serverTime: string; patients: number; checked: number; missed: number }): Awaitable<void>;
  watermark(resourceType: string): Awaitable<string | null>;
  setWatermark(resourceType: string, since: string): Awaitable<void>;
  /** Notes the inbox's depth in the minute of `at` (each minute keeps its highest sample; a day is kept). */
  recordDepth(at: number, depth: number): Awaitable<void>;
  /** The status page's history since `sinceMs`, from every instance: depth per minute, and processed events' latency bucketed by `boundsMs`. */
  history(sinceMs: number, boundsMs: readonly number[]): Awaitable<InboxHistory>;
  /**
   * Takes or renews the lease on the loops one instance runs for all (polling, reconciliation,
   * heartbeat checks): true when `holder` holds it until now + `ttlMs` — it held it already, or
   * nobody did, or the last holder's lease ran out. One statement, so two instances never both win.
   */
  lead(holder: string, ttlMs: number): Awaitable<boolean>;
  /** Gives the lease up at once (a clean stop), if `holder` holds it. */
  resign(holder: string): Awaitable<void>;
  /** Who holds the lease now, and until when (ms); null when nobody does. */
  leader(): Awaitable<{ readonly holder: string; readonly until: number } | null>;
  /**
   * The rest-hook credential every instance puts in its Subscriptions and checks on notifications,
   * when none is configured: `candidate` is kept if none was yet, and the one kept is returned —
   * the same for every instance on this inbox and across restarts.
   */
  sharedSecret(candidate: string): Awaitable<string>;
  close(): Awaitable<void>;
}

/** The lease's one row: the loops that run on one instance at a time. */
export const LOOPS_LEASE = 'loops';

/** Per-minute history of a shared inbox (status page). */
export interface InboxHistory {
  readonly depth: ReadonlyArray<{ readonly minute: number; readonly depth: number }>;
  /** Events done per minute and latency bucket (index into the bounds; the last is everything above). */
  readonly latency: ReadonlyArray<{ readonly minute: number; readonly bucket: number; readonly count: number; readonly maxMs: number; readonly sumMs: number }>;
}

/** `CASE` mapping the expression `d` (ms) to its bucket index under `boundsMs` (finite bounds only; above all: the last). */
export function latencyBucketSql(boundsMs: readonly number[]): string {
  const finite = boundsMs.filter((b) => Number.isFinite(b));
  return `CASE ${finite.map((b, i) => `WHEN d <= ${Math.round(b)} THEN ${i}`).join(' ')} ELSE ${finite.length} END`;
}

export interface SubscriptionState {
  readonly subscription: string;
  readonly lastContactAt: number;
  readonly heartbeatSeconds: number | null;
  readonly eventsSinceStart: number;
  readonly contiguousThrough: number;
}

export type InboxStatus = 'pending' | 'processing' | 'done' | 'stale' | 'superseded' | 'dead';

/** A stored event, as a handler receives it. */
export interface InboxEvent {
  readonly id: number;
  readonly source: string;
  readonly subscription: string | null;
  readonly eventNumber: number | null;
  readonly resourceType: string;
  readonly resourceId: string;
  readonly versionId: string | null;
  readonly lastUpdated: string | null;
  readonly patient: string | null;
  readonly resource: unknown;
  readonly correlationId: string | null;
  readonly status: InboxStatus;
  readonly attempts: number;
  readonly receivedAt: number;
  readonly lastError: string | null;
}

export interface DeadLetter {
  readonly id: number;
  readonly eventId: number;
  readonly reason: string;
  readonly attempts: number;
  readonly parkedAt: number;
  readonly replayedAt: number | null;
}

export interface InboxStats {
  readonly pending: number;
  readonly processing: number;
  readonly done: number;
  readonly stale: number;
  readonly superseded: number;
  readonly dead: number;
  readonly duplicatesDropped: number;
}

export interface InboxOptions {
  /** The SQLite file, or `:memory:`. */
  readonly path: string;
  /** Attempts before an event is parked. Default 5. */
  readonly maxAttempts?: number;
  /** First retry delay; doubles each attempt. Default 1 s. */
  readonly baseDelayMs?: number;
  /** Longest retry delay. Default 5 min. */
  readonly maxDelayMs?: number;
  /** How long a claimed event is reserved for its processor. Default 60 s. */
  readonly leaseMs?: number;
  /** ms since epoch. Default Date.now. */
  readonly now?: () => number;
}

/** A failure that retrying will not fix (bad payload, a resource that cannot be read): parked at once. */
export class PermanentFailure extends Error {
  override readonly name = 'PermanentFailure';
}

/** The workflow database file beside an audit SQLite file: `x/audit.sqlite` → `x/audit.workflow.sqlite`. */
export function workflowDbPathFor(auditSqlitePath: string): string {
  if (auditSqlitePath === ':memory:') return ':memory:';
  return auditSqlitePath.replace(/(\.sqlite3?|\.db)?$/, (ext) => `.workflow${ext || '.sqlite'}`);
}

/** Schema migrations of the workflow database, each applied once, in order. */
const MIGRATIONS: ReadonlyArray<{ version: number; sql: string }> = [
  {
    version: 1,
    sql: `
      CREATE TABLE inbox_event (
        id INTEGER PRIMARY KEY,
        received_at INTEGER NOT NULL,
        source TEXT NOT NULL,
        subscription TEXT,
        event_number INTEGER,
        resource_type TEXT NOT NULL,
        resource_id TEXT NOT NULL,
        version_id TEXT,
        last_updated TEXT,
        patient TEXT,
        resource TEXT,
        correlation_id TEXT,
        status TEXT NOT NULL CHECK (status IN ('pending','processing','done','stale','superseded','dead')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        lease_until INTEGER,
        last_error TEXT,
        done_at INTEGER
      );
      CREATE UNIQUE INDEX inbox_event_version ON inbox_event (resource_type, resource_id, version_id) WHERE version_id IS NOT NULL;
      CREATE INDEX inbox_event_due ON inbox_event (status, next_attempt_at);
      CREATE INDEX inbox_event_resource ON inbox_event (resource_type, resource_id, status);
      CREATE TABLE inbox_seen_event (
        subscription TEXT NOT NULL,
        event_number INTEGER NOT NULL,
        PRIMARY KEY (subscription, event_number)
      ) WITHOUT ROWID;
      CREATE TABLE inbox_resource_watermark (
        resource_type TEXT NOT NULL,
        resource_id TEXT NOT NULL,
        last_updated TEXT NOT NULL,
        PRIMARY KEY (resource_type, resource_id)
      ) WITHOUT ROWID;
      CREATE TABLE inbox_dead_letter (
        id INTEGER PRIMARY KEY,
        event_id INTEGER NOT NULL REFERENCES inbox_event (id),
        reason TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        parked_at INTEGER NOT NULL,
        replayed_at INTEGER
      );
      CREATE TABLE inbox_counter (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE subscription_state (
        subscription TEXT PRIMARY KEY,
        last_contact_at INTEGER NOT NULL,
        heartbeat_seconds INTEGER,
        events_since_start INTEGER NOT NULL DEFAULT 0,
        contiguous_through INTEGER NOT NULL DEFAULT 0
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    sql: `
      CREATE TABLE poll_watermark (
        resource_type TEXT PRIMARY KEY,
        since TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 3,
    sql: `
      CREATE TABLE reconcile_run (
        id INTEGER PRIMARY KEY,
        started_at INTEGER NOT NULL,
        since TEXT NOT NULL,
        server_time TEXT NOT NULL,
        patients INTEGER NOT NULL,
        checked INTEGER NOT NULL,
        missed INTEGER NOT NULL
      );
    `,
  },
  {
    version: 4,
    sql: `
      CREATE INDEX inbox_event_done ON inbox_event (done_at) WHERE done_at IS NOT NULL;
      CREATE TABLE inbox_depth_minute (minute INTEGER PRIMARY KEY, depth_max INTEGER NOT NULL);
    `,
  },
  {
    version: 5,
    sql: `CREATE TABLE workflow_lease (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID;`,
  },
  {
    version: 6,
    sql: `CREATE TABLE workflow_setting (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;`,
  },
];

/**
 * An inbox event as a row of either store (SQLite gives numbers; PostgreSQL's BIGINT and
 * timestamps in ms arrive as strings).
 */
export interface EventRow {
  id: number | string;
  received_at: number | string;
  source: string;
  subscription: string | null;
  event_number: number | string | null;
  resource_type: string;
  resource_id: string;
  version_id: string | null;
  last_updated: string | null;
  patient: string | null;
  resource: string | null;
  correlation_id: string | null;
  status: InboxStatus;
  attempts: number;
  last_error: string | null;
}

/** The event a row of either store holds. */
export function eventFromRow(r: EventRow): InboxEvent {
  return {
    id: Number(r.id),
    source: r.source,
    subscription: r.subscription,
    eventNumber: r.event_number === null ? null : Number(r.event_number),
    resourceType: r.resource_type,
    resourceId: r.resource_id,
    versionId: r.version_id,
    lastUpdated: r.last_updated,
    patient: r.patient,
    resource: r.resource === null ? null : (JSON.parse(r.resource) as unknown),
    correlationId: r.correlation_id,
    status: r.status,
    attempts: r.attempts,
    receivedAt: Number(r.received_at),
    lastError: r.last_error,
  };
}

const inputSchema = z.object({
  source: z.string().min(1).max(64),
  subscription: z.string().min(1).max(2048).nullish(),
  eventNumber: z.number().int().nonnegative().nullish(),
  resourceType: z.string().regex(/^[A-Z][A-Za-z]{1,63}$/),
  resourceId: z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/),
  versionId: z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/).nullish(),
  lastUpdated: z.iso.datetime({ offset: true }).nullish(),
  patient: z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/).nullish(),
  resource: z.unknown().optional(),
  correlationId: z.string().max(128).nullish(),
});

type ParsedInput = z.infer<typeof inputSchema>;

/** An intake request whose events passed validation. */
export type ParsedRequest = Omit<IntakeRequest, 'events'> & { readonly events: readonly ParsedInput[] };

/** Validates events as the intake does: throws naming the first bad one. */
export function parseInboxEvents(events: readonly InboxEventInput[]): ParsedInput[] {
  return events.map((e, i) => {
    const r = inputSchema.safeParse(e);
    if (!r.success) throw new Error(`event ${i} is not valid: ${r.error.issues.map((x) => `${x.path.join('.')} ${x.message}`).join('; ')}`);
    return r.data;
  });
}

/** Orders two FHIR instants (different offsets allowed). */
function instantMs(s: string): number {
  return Date.parse(s);
}

export class Inbox implements WorkflowInbox {
  readonly kind = 'sqlite' as const;
  readonly db: Database.Database;
  /** Notifications waiting for their group commit (see {@link intake}). */
  readonly group = new GroupCommit<ParsedRequest, IntakeResult>((requests) => this.intakeBatch(requests));
  private readonly now: () => number;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly leaseMs: number;

  constructor(options: InboxOptions) {
    this.db = new Database(options.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('foreign_keys = ON');
    this.now = options.now ?? Date.now;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.baseDelayMs = options.baseDelayMs ?? 1000;
    this.maxDelayMs = options.maxDelayMs ?? 5 * 60_000;
    this.leaseMs = options.leaseMs ?? 60_000;
    this.migrate();
  }

  /**
   * Runs `fn` in a write transaction taken at once (BEGIN IMMEDIATE): two processes on one file
   * never both read the same due events before either writes.
   */
  private tx<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  private migrate(): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS workflow_schema (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
    const applied = new Set((this.db.prepare('SELECT version FROM workflow_schema').all() as Array<{ version: number }>).map((r) => r.version));
    for (const m of MIGRATIONS) {
      if (applied.has(m.version)) continue;
      this.tx(() => {
        this.db.exec(m.sql);
        this.db.prepare('INSERT INTO workflow_schema (version, applied_at) VALUES (?, ?)').run(m.version, this.now());
      });
    }
  }

  /** The delay before retry number `attempt` (1-based): base × 2^(attempt−1), capped. */
  backoffMs(attempt: number): number {
    return Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  }

  private intakeStatements: ReturnType<Inbox['prepareIntake']> | null = null;

  /** The intake's statements, prepared once (preparing costs more than running them). */
  private statements(): ReturnType<Inbox['prepareIntake']> {
    this.intakeStatements ??= this.prepareIntake();
    return this.intakeStatements;
  }

  private prepareIntake() {
    const db = this.db;
    const seenEvent = db.prepare('INSERT OR IGNORE INTO inbox_seen_event (subscription, event_number) VALUES (?, ?)');
    const versionHeld = db.prepare('SELECT 1 FROM inbox_event WHERE resource_type = ? AND resource_id = ? AND version_id = ?');
    const watermark = db.prepare('SELECT last_updated FROM inbox_resource_watermark WHERE resource_type = ? AND resource_id = ?');
    const setWatermark = db.prepare(
      'INSERT INTO inbox_resource_watermark (resource_type, resource_id, last_updated) VALUES (?, ?, ?) ON CONFLICT (resource_type, resource_id) DO UPDATE SET last_updated = excluded.last_updated',
    );
    const supersede = db.prepare(
      "UPDATE inbox_event SET status = 'superseded' WHERE resource_type = ? AND resource_id = ? AND status = 'pending' AND last_updated IS NOT NULL AND last_updated <> ?",
    );
    const insert = db.prepare(`INSERT INTO inbox_event
      (received_at, source, subscription, event_number, resource_type, resource_id, version_id, last_updated, patient, resource, correlation_id, status, next_attempt_at)
      VALUES (@receivedAt, @source, @subscription, @eventNumber, @resourceType, @resourceId, @versionId, @lastUpdated, @patient, @resource, @correlationId, @status, @receivedAt)`);
    const count = db.prepare('INSERT INTO inbox_counter (name, value) VALUES (?, 1) ON CONFLICT (name) DO UPDATE SET value = value + 1');

    return { seenEvent, versionHeld, watermark, setWatermark, supersede, insert, count };
  }

  /**
   * Stores events in one transaction; when it returns they are durable and may be acknowledged.
   * Throws (and stores nothing) when an event is malformed.
   */
  receive(events: readonly InboxEventInput[]): IntakeOutcome[] {
    const parsed = parseInboxEvents(events);
    return this.tx((): IntakeOutcome[] => this.store(parsed, this.now()));
  }

  /**
   * Group commit: the notifications that arrive while the process is busy are written in one
   * transaction (one fsync) at the next turn of the event loop, and each is answered once that
   * transaction has committed. Validation happens first, so a bad notification fails alone.
   */
  intake(request: IntakeRequest): Promise<IntakeResult> {
    try {
      const events = parseInboxEvents(request.events);
      return this.group.submit({ ...request, events });
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  /** One transaction for many notifications (already validated). */
  private intakeBatch(requests: readonly ParsedRequest[]): IntakeResult[] {
    return this.tx((): IntakeResult[] => {
      const now = this.now();
      const results = requests.map((r) => {
        const outcomes = this.store(r.events, now);
        if (r.contact) this.noteContact(r.contact.subscription, r.contact.eventsSinceStart);
        return outcomes;
      });
      return results.map((outcomes, i) => {
        const r = requests[i];
        return { outcomes, gap: r?.gapCheck === true && r.contact !== undefined && this.missingEventNumbers(r.contact.subscription, 1).length > 0 };
      });
    });
  }

  /** The intake's rules for validated events, inside the caller's transaction. */
  private store(parsed: readonly ParsedInput[], now: number): IntakeOutcome[] {
    const { seenEvent, versionHeld, watermark, setWatermark, supersede, insert, count } = this.statements();
    const outcomes: IntakeOutcome[] = [];
      for (const e of parsed) {
        const subscription = e.subscription ?? null;
        const eventNumber = e.eventNumber ?? null;
        if (subscription !== null && eventNumber !== null && seenEvent.run(subscription, eventNumber).changes === 0) {
          count.run('duplicate-event');
          outcomes.push('duplicate-event');
          continue;
        }
        if (e.versionId && versionHeld.get(e.resourceType, e.resourceId, e.versionId)) {
          count.run('duplicate-version');
          outcomes.push('duplicate-version');
          continue;
        }
        let status: InboxStatus = 'pending';
        if (e.lastUpdated) {
          const held = watermark.get(e.resourceType, e.resourceId) as { last_updated: string } | undefined;
          if (held && instantMs(held.last_updated) > instantMs(e.lastUpdated)) {
            status = 'stale';
          } else {
            setWatermark.run(e.resourceType, e.resourceId, e.lastUpdated);
            // Versions of this resource still waiting are older: processing the newest covers them.
            supersede.run(e.resourceType, e.resourceId, e.lastUpdated);
          }
        }
        insert.run({
          receivedAt: now,
          source: e.source,
          subscription,
          eventNumber,
          resourceType: e.resourceType,
          resourceId: e.resourceId,
          versionId: e.versionId ?? null,
          lastUpdated: e.lastUpdated ?? null,
          patient: e.patient ?? null,
          resource: e.resource === undefined || e.resource === null ? null : JSON.stringify(e.resource),
          correlationId: e.correlationId ?? null,
          status,
        });
        if (status === 'stale') count.run('stale');
        outcomes.push(status === 'stale' ? 'stale' : 'accepted');
      }
      return outcomes;
  }

  /** Reserves up to `limit` due events (oldest first), including ones whose lease ran out. */
  claim(limit = 50): InboxEvent[] {
    return this.tx((): InboxEvent[] => {
      const now = this.now();
      const rows = this.db
        .prepare(
          `SELECT * FROM inbox_event
           WHERE (status = 'pending' AND next_attempt_at <= ?) OR (status = 'processing' AND lease_until < ?)
           ORDER BY id LIMIT ?`,
        )
        .all(now, now, limit) as EventRow[];
      const lease = this.db.prepare("UPDATE inbox_event SET status = 'processing', lease_until = ? WHERE id = ?");
      for (const r of rows) lease.run(now + this.leaseMs, r.id);
      return rows.map((r) => eventFromRow({ ...r, status: 'processing' }));
    });
  }

  /** Marks a claimed event processed. */
  complete(id: number): void {
    this.db.prepare("UPDATE inbox_event SET status = 'done', done_at = ?, lease_until = NULL, last_error = NULL WHERE id = ? AND status = 'processing'").run(this.now(), id);
  }

  /**
   * Records a failed attempt: retried after the backoff, or parked in the dead-letter table when
   * attempts run out or the failure is permanent.
   */
  fail(id: number, reason: string, options: { permanent?: boolean } = {}): 'retry' | 'dead' {
    return this.tx((): 'retry' | 'dead' => {
      const now = this.now();
      const row = this.db.prepare('SELECT attempts FROM inbox_event WHERE id = ?').get(id) as { attempts: number } | undefined;
      if (!row) throw new Error(`no inbox event ${id}`);
      const attempts = row.attempts + 1;
      const why = reason.slice(0, 2000);
      if (options.permanent || attempts >= this.maxAttempts) {
        this.db.prepare("UPDATE inbox_event SET status = 'dead', attempts = ?, last_error = ?, lease_until = NULL WHERE id = ?").run(attempts, why, id);
        this.db.prepare('INSERT INTO inbox_dead_letter (event_id, reason, attempts, parked_at) VALUES (?, ?, ?, ?)').run(id, why, attempts, now);
        return 'dead';
      }
      this.db
        .prepare("UPDATE inbox_event SET status = 'pending', attempts = ?, last_error = ?, lease_until = NULL, next_attempt_at = ? WHERE id = ?")
        .run(attempts, why, now + this.backoffMs(attempts), id);
      return 'retry';
    });
  }

  /** Parked events not replayed yet, oldest first. */
  deadLetters(): DeadLetter[] {
    const rows = this.db.prepare('SELECT * FROM inbox_dead_letter WHERE replayed_at IS NULL ORDER BY id').all() as Array<{
      id: number;
      event_id: number;
      reason: string;
      attempts: number;
      parked_at: number;
      replayed_at: number | null;
    }>;
    return rows.map((r) => ({ id: r.id, eventId: r.event_id, reason: r.reason, attempts: r.attempts, parkedAt: r.parked_at, replayedAt: r.replayed_at }));
  }

  /** Puts parked events back in the queue with fresh attempts: one dead letter by id, or all. Returns how many. */
  replay(which: { deadLetterId: number } | 'all'): number {
    return this.tx((): number => {
      const now = this.now();
      const letters = which === 'all' ? this.deadLetters() : this.deadLetters().filter((d) => d.id === which.deadLetterId);
      for (const d of letters) {
        this.db.prepare("UPDATE inbox_event SET status = 'pending', attempts = 0, next_attempt_at = ?, lease_until = NULL WHERE id = ? AND status = 'dead'").run(now, d.eventId);
        this.db.prepare('UPDATE inbox_dead_letter SET replayed_at = ? WHERE id = ?').run(now, d.id);
      }
      return letters.length;
    });
  }

  event(id: number): InboxEvent | undefined {
    const r = this.db.prepare('SELECT * FROM inbox_event WHERE id = ?').get(id) as EventRow | undefined;
    return r ? eventFromRow(r) : undefined;
  }

  /** Events in arrival order (tests, admin views). */
  events(status?: InboxStatus): InboxEvent[] {
    const rows = (status ? this.db.prepare('SELECT * FROM inbox_event WHERE status = ? ORDER BY id').all(status) : this.db.prepare('SELECT * FROM inbox_event ORDER BY id').all()) as EventRow[];
    return rows.map(eventFromRow);
  }

  stats(): InboxStats {
    const by = new Map((this.db.prepare('SELECT status, COUNT(*) AS n FROM inbox_event GROUP BY status').all() as Array<{ status: InboxStatus; n: number }>).map((r) => [r.status, r.n]));
    const counters = new Map((this.db.prepare('SELECT name, value FROM inbox_counter').all() as Array<{ name: string; value: number }>).map((r) => [r.name, r.value]));
    return {
      pending: by.get('pending') ?? 0,
      processing: by.get('processing') ?? 0,
      done: by.get('done') ?? 0,
      stale: by.get('stale') ?? 0,
      superseded: by.get('superseded') ?? 0,
      dead: by.get('dead') ?? 0,
      duplicatesDropped: (counters.get('duplicate-event') ?? 0) + (counters.get('duplicate-version') ?? 0),
    };
  }

  /** Event numbers of a subscription the inbox has seen, in [from, to]. */
  seenEventNumbers(subscription: string, from: number, to: number): Set<number> {
    const rows = this.db
      .prepare('SELECT event_number FROM inbox_seen_event WHERE subscription = ? AND event_number BETWEEN ? AND ?')
      .all(subscription, from, to) as Array<{ event_number: number }>;
    return new Set(rows.map((r) => r.event_number));
  }

  /** Records that a subscription's server was heard from (handshake, heartbeat, notification). */
  noteContact(subscription: string, eventsSinceStart: number | null, heartbeatSeconds?: number | null): void {
    this.db
      .prepare(
        `INSERT INTO subscription_state (subscription, last_contact_at, heartbeat_seconds, events_since_start) VALUES (@subscription, @now, @hb, @n)
         ON CONFLICT (subscription) DO UPDATE SET last_contact_at = @now, events_since_start = MAX(events_since_start, @n),
           heartbeat_seconds = COALESCE(@hb, heartbeat_seconds)`,
      )
      .run({ subscription, now: this.now(), hb: heartbeatSeconds ?? null, n: eventsSinceStart ?? 0 });
  }

  /** Stops following a subscription (deleted, or gone on the server). */
  forgetSubscription(subscription: string): void {
    this.db.prepare('DELETE FROM subscription_state WHERE subscription = ?').run(subscription);
  }

  subscriptionStates(): SubscriptionState[] {
    const rows = this.db.prepare('SELECT * FROM subscription_state ORDER BY subscription').all() as Array<{
      subscription: string;
      last_contact_at: number;
      heartbeat_seconds: number | null;
      events_since_start: number;
      contiguous_through: number;
    }>;
    return rows.map((r) => ({ subscription: r.subscription, lastContactAt: r.last_contact_at, heartbeatSeconds: r.heartbeat_seconds, eventsSinceStart: r.events_since_start, contiguousThrough: r.contiguous_through }));
  }

  /**
   * Event numbers of a subscription not received yet, up to its latest `events-since-subscription-start`
   * (at most `limit`, lowest first). Advances the subscription's contiguous mark as a side effect.
   */
  missingEventNumbers(subscription: string, limit = 1000): number[] {
    return this.tx((): number[] => {
      const state = this.db.prepare('SELECT events_since_start, contiguous_through FROM subscription_state WHERE subscription = ?').get(subscription) as
        | { events_since_start: number; contiguous_through: number }
        | undefined;
      if (!state) return [];
      const seen = this.seenEventNumbers(subscription, state.contiguous_through + 1, state.events_since_start);
      let through = state.contiguous_through;
      while (seen.has(through + 1)) through++;
      if (through !== state.contiguous_through) this.db.prepare('UPDATE subscription_state SET contiguous_through = ? WHERE subscription = ?').run(through, subscription);
      const missing: number[] = [];
      for (let n = through + 1; n <= state.events_since_start && missing.length < limit; n++) if (!seen.has(n)) missing.push(n);
      return missing;
    });
  }

  /** Whether the inbox already knows this resource at this version or a later one. */
  knows(resourceType: string, resourceId: string, versionId: string | null, lastUpdated: string | null): boolean {
    if (versionId && this.db.prepare('SELECT 1 FROM inbox_event WHERE resource_type = ? AND resource_id = ? AND version_id = ?').get(resourceType, resourceId, versionId)) return true;
    if (!lastUpdated) return false;
    const held = this.db.prepare('SELECT last_updated FROM inbox_resource_watermark WHERE resource_type = ? AND resource_id = ?').get(resourceType, resourceId) as { last_updated: string } | undefined;
    return held !== undefined && Date.parse(held.last_updated) >= Date.parse(lastUpdated);
  }

  /** Patients of events received since `sinceMs` (recent changes). */
  recentPatients(sinceMs: number): string[] {
    const rows = this.db.prepare('SELECT DISTINCT patient FROM inbox_event WHERE received_at >= ? AND patient IS NOT NULL').all(sinceMs) as Array<{ patient: string }>;
    return rows.map((r) => r.patient);
  }

  /** The last reconciliation run, or null. */
  lastReconciliation(): { serverTime: string; missed: number } | null {
    const row = this.db.prepare('SELECT server_time, missed FROM reconcile_run ORDER BY id DESC LIMIT 1').get() as { server_time: string; missed: number } | undefined;
    return row ? { serverTime: row.server_time, missed: row.missed } : null;
  }

  recordReconciliation(run: { since: string; serverTime: string; patients: number; checked: number; missed: number }): void {
    this.db
      .prepare('INSERT INTO reconcile_run (started_at, since, server_time, patients, checked, missed) VALUES (?, ?, ?, ?, ?, ?)')
      .run(this.now(), run.since, run.serverTime, run.patients, run.checked, run.missed);
  }

  /** The polling watermark of a resource type (a server-issued instant), or null before the first poll. */
  watermark(resourceType: string): string | null {
    const row = this.db.prepare('SELECT since FROM poll_watermark WHERE resource_type = ?').get(resourceType) as { since: string } | undefined;
    return row?.since ?? null;
  }

  setWatermark(resourceType: string, since: string): void {
    this.db
      .prepare('INSERT INTO poll_watermark (resource_type, since, updated_at) VALUES (?, ?, ?) ON CONFLICT (resource_type) DO UPDATE SET since = excluded.since, updated_at = excluded.updated_at')
      .run(resourceType, since, this.now());
  }

  recordDepth(at: number, depth: number): void {
    const minute = Math.floor(at / 60_000) * 60_000;
    this.db
      .prepare('INSERT INTO inbox_depth_minute (minute, depth_max) VALUES (?, ?) ON CONFLICT (minute) DO UPDATE SET depth_max = MAX(depth_max, excluded.depth_max)')
      .run(minute, depth);
    this.db.prepare('DELETE FROM inbox_depth_minute WHERE minute < ?').run(minute - 86_400_000);
  }

  history(sinceMs: number, boundsMs: readonly number[]): InboxHistory {
    const depth = this.db.prepare('SELECT minute, depth_max AS depth FROM inbox_depth_minute WHERE minute >= ? ORDER BY minute').all(Math.floor(sinceMs / 60_000) * 60_000) as Array<{
      minute: number;
      depth: number;
    }>;
    const latency = this.db
      .prepare(
        `SELECT minute, ${latencyBucketSql(boundsMs)} AS bucket, COUNT(*) AS count, MAX(d) AS maxMs, SUM(d) AS sumMs
         FROM (SELECT (done_at / 60000) * 60000 AS minute, done_at - received_at AS d FROM inbox_event WHERE done_at >= ?)
         GROUP BY minute, bucket ORDER BY minute, bucket`,
      )
      .all(sinceMs) as Array<{ minute: number; bucket: number; count: number; maxMs: number; sumMs: number }>;
    return { depth, latency };
  }

  lead(holder: string, ttlMs: number): boolean {
    const now = this.now();
    const row = this.db
      .prepare(
        `INSERT INTO workflow_lease (name, holder, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
         WHERE workflow_lease.holder = excluded.holder OR workflow_lease.expires_at <= ?
         RETURNING holder`,
      )
      .get(LOOPS_LEASE, holder, now + ttlMs, now);
    return row !== undefined;
  }

  resign(holder: string): void {
    this.db.prepare('DELETE FROM workflow_lease WHERE name = ? AND holder = ?').run(LOOPS_LEASE, holder);
  }

  sharedSecret(candidate: string): string {
    this.db.prepare("INSERT INTO workflow_setting (name, value) VALUES ('notification-secret', ?) ON CONFLICT (name) DO NOTHING").run(candidate);
    return (this.db.prepare("SELECT value FROM workflow_setting WHERE name = 'notification-secret'").get() as { value: string }).value;
  }

  leader(): { holder: string; until: number } | null {
    const row = this.db.prepare('SELECT holder, expires_at AS until FROM workflow_lease WHERE name = ? AND expires_at > ?').get(LOOPS_LEASE, this.now()) as { holder: string; until: number } | undefined;
    return row ?? null;
  }

  close(): void {
    this.db.close();
  }
}

export function openInbox(options: InboxOptions): Inbox {
  return new Inbox(options);
}

/** Handles one event; throw to retry, throw {@link PermanentFailure} to park it at once. */
export type InboxHandler = (event: InboxEvent) => Promise<void>;

/**
 * Processes every due event once (claim, handle, complete or fail) and returns what happened.
 * Events of one patient are handled in arrival order.
 */
export async function drainInbox(inbox: WorkflowInbox, handler: InboxHandler, limit = 50): Promise<{ done: number; retried: number; dead: number }> {
  const result = { done: 0, retried: 0, dead: 0 };
  for (;;) {
    const batch = await inbox.claim(limit);
    if (batch.length === 0) return result;
    for (const event of batch) {
      try {
        await handler(event);
        await inbox.complete(event.id);
        result.done++;
      } catch (e) {
        const outcome = await inbox.fail(event.id, e instanceof Error ? `${e.name}: ${e.message}` : String(e), { permanent: e instanceof PermanentFailure });
        if (outcome === 'dead') result.dead++;
        else result.retried++;
      }
    }
    if (batch.length < limit) return result;
  }
}
