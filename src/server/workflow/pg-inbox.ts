/**
 * The workflow inbox on a shared PostgreSQL, for several server instances: the same contract as
 * the SQLite {@link Inbox} (see inbox.ts), with the queue itself kept by pg-boss 10.
 *
 * - Intake is one transaction per batch (group commit), its rules one PL/pgSQL call per batch
 *   (`intake_batch`, the same rules as the SQLite inbox's): the dedupe keys live in tables with unique
 *   constraints — `inbox_seen_event (subscription, event_number)` and `inbox_event (resource_type,
 *   resource_id, version_id)` — and each resource's intake is serialised by a transaction-scoped
 *   advisory lock (taken in one sorted pass, so two instances never deadlock), so the same
 *   notification delivered to two instances is stored once. The pg-boss job of each accepted event
 *   is inserted in that same transaction: an acknowledged event always has its job.
 * - Work is shared through pg-boss (`fetch` skips rows another instance holds); an instance claims
 *   an event by moving its row to `processing` with a lease, conditionally, so a job that comes back
 *   (its worker died, pg-boss expired it) is processed again only once its lease has run out, and a
 *   job for an event that was superseded or went stale meanwhile is just completed.
 * - A failure is retried by a new job with `startAfter` = the backoff, or parked in
 *   `inbox_dead_letter` with the reason; `replay` queues parked events again with fresh attempts.
 *
 * @example
 * const inbox = await openPgInbox({ connectionString: process.env.DATABASE_URL });
 * await inbox.intake({ events: [event] }); // durable on PostgreSQL, job queued: acknowledge
 * await drainInbox(inbox, handler);        // this instance's share of the work
 */
import PgBoss from 'pg-boss';
import pg from 'pg';
import { GroupCommit } from './group-commit.ts';
import {
  parseInboxEvents,
  type DeadLetter,
  eventFromRow,
  latencyBucketSql,
  LOOPS_LEASE,
  type InboxEvent,
  type InboxEventInput,
  type EventRow,
  type InboxHistory,
  type InboxStats,
  type InboxStatus,
  type IntakeOutcome,
  type IntakeRequest,
  type IntakeResult,
  type ParsedRequest,
  type SubscriptionState,
  type WorkflowInbox,
} from './inbox.ts';

/** The pg-boss queue of inbox events. */
export const INBOX_QUEUE = 'careloop-workflow-inbox';

export interface PgInboxOptions {
  readonly connectionString: string;
  /** Schema of the inbox tables. Default `careloop_workflow`; pg-boss keeps its own in `<schema>_boss`. */
  readonly schema?: string;
  /** Pool size. Default 10. */
  readonly maxConnections?: number;
  readonly maxAttempts?: number;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** How long a claimed event is reserved; also the pg-boss job expiry. Default 60 s. */
  readonly leaseMs?: number;
  readonly now?: () => number;
  /** How often pg-boss expires the jobs of instances that died (seconds). Default pg-boss's (2 min). */
  readonly maintenanceIntervalSeconds?: number;
  /** pg-boss's own errors (maintenance, connection); default: ignored after a log line on stderr. */
  readonly onError?: (error: Error) => void;
}

interface JobData {
  readonly event: number;
}

const MIGRATIONS: ReadonlyArray<{ version: number; sql: (s: string) => string }> = [
  {
    version: 1,
    sql: (s) => `
      CREATE TABLE ${s}.inbox_event (
        id BIGSERIAL PRIMARY KEY,
        received_at BIGINT NOT NULL,
        source TEXT NOT NULL,
        subscription TEXT,
        event_number BIGINT,
        resource_type TEXT NOT NULL,
        resource_id TEXT NOT NULL,
        version_id TEXT,
        last_updated TEXT,
        patient TEXT,
        resource TEXT,
        correlation_id TEXT,
        status TEXT NOT NULL CHECK (status IN ('pending','processing','done','stale','superseded','dead')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at BIGINT NOT NULL,
        lease_until BIGINT,
        last_error TEXT,
        done_at BIGINT
      );
      CREATE UNIQUE INDEX inbox_event_version ON ${s}.inbox_event (resource_type, resource_id, version_id) WHERE version_id IS NOT NULL;
      CREATE INDEX inbox_event_status ON ${s}.inbox_event (status);
      CREATE INDEX inbox_event_resource ON ${s}.inbox_event (resource_type, resource_id, status);
      CREATE INDEX inbox_event_received ON ${s}.inbox_event (received_at);
      CREATE TABLE ${s}.inbox_seen_event (subscription TEXT NOT NULL, event_number BIGINT NOT NULL, PRIMARY KEY (subscription, event_number));
      CREATE TABLE ${s}.inbox_resource_watermark (resource_type TEXT NOT NULL, resource_id TEXT NOT NULL, last_updated TIMESTAMPTZ NOT NULL, PRIMARY KEY (resource_type, resource_id));
      CREATE TABLE ${s}.inbox_dead_letter (
        id BIGSERIAL PRIMARY KEY,
        event_id BIGINT NOT NULL REFERENCES ${s}.inbox_event (id),
        reason TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        parked_at BIGINT NOT NULL,
        replayed_at BIGINT
      );
      CREATE TABLE ${s}.inbox_counter (name TEXT PRIMARY KEY, value BIGINT NOT NULL);
      CREATE TABLE ${s}.subscription_state (
        subscription TEXT PRIMARY KEY,
        last_contact_at BIGINT NOT NULL,
        heartbeat_seconds INTEGER,
        events_since_start BIGINT NOT NULL DEFAULT 0,
        contiguous_through BIGINT NOT NULL DEFAULT 0
      );
      CREATE TABLE ${s}.poll_watermark (resource_type TEXT PRIMARY KEY, since TEXT NOT NULL, updated_at BIGINT NOT NULL);
      CREATE TABLE ${s}.reconcile_run (
        id BIGSERIAL PRIMARY KEY,
        started_at BIGINT NOT NULL,
        since TEXT NOT NULL,
        server_time TEXT NOT NULL,
        patients INTEGER NOT NULL,
        checked INTEGER NOT NULL,
        missed INTEGER NOT NULL
      );
    `,
  },
  {
    // The intake's rules for a batch of events in one round trip (the same rules as SQLite's
    // Inbox.store): per event, in order, dedupe by (subscription, event number), then by version,
    // then stale or newest (superseding older pending versions); then the subscriptions' contact.
    version: 2,
    sql: (s) => `
      CREATE FUNCTION ${s}.intake_batch(events jsonb, contacts jsonb, at bigint)
      RETURNS TABLE (ord integer, result text, accepted_id bigint)
      LANGUAGE plpgsql AS $fn$
      DECLARE
        e jsonb;
        c jsonb;
        i integer := 0;
        held timestamptz;
        st text;
        new_id bigint;
        dup_event integer := 0;
        dup_version integer := 0;
        stale_n integer := 0;
      BEGIN
        FOR e IN SELECT value FROM jsonb_array_elements(events) LOOP
          ord := i;
          i := i + 1;
          accepted_id := NULL;
          IF e->>'subscription' IS NOT NULL AND e->>'eventNumber' IS NOT NULL THEN
            INSERT INTO ${s}.inbox_seen_event (subscription, event_number) VALUES (e->>'subscription', (e->>'eventNumber')::bigint) ON CONFLICT DO NOTHING;
            IF NOT FOUND THEN
              dup_event := dup_event + 1;
              result := 'duplicate-event';
              RETURN NEXT;
              CONTINUE;
            END IF;
          END IF;
          IF e->>'versionId' IS NOT NULL AND EXISTS (
            SELECT 1 FROM ${s}.inbox_event x WHERE x.resource_type = e->>'resourceType' AND x.resource_id = e->>'resourceId' AND x.version_id = e->>'versionId'
          ) THEN
            dup_version := dup_version + 1;
            result := 'duplicate-version';
            RETURN NEXT;
            CONTINUE;
          END IF;
          st := 'pending';
          IF e->>'lastUpdated' IS NOT NULL THEN
            SELECT w.last_updated INTO held FROM ${s}.inbox_resource_watermark w WHERE w.resource_type = e->>'resourceType' AND w.resource_id = e->>'resourceId';
            IF FOUND AND held > (e->>'lastUpdated')::timestamptz THEN
              st := 'stale';
            ELSE
              INSERT INTO ${s}.inbox_resource_watermark AS w (resource_type, resource_id, last_updated) VALUES (e->>'resourceType', e->>'resourceId', (e->>'lastUpdated')::timestamptz)
                ON CONFLICT (resource_type, resource_id) DO UPDATE SET last_updated = excluded.last_updated;
              UPDATE ${s}.inbox_event x SET status = 'superseded'
                WHERE x.resource_type = e->>'resourceType' AND x.resource_id = e->>'resourceId' AND x.status = 'pending' AND x.last_updated IS NOT NULL AND x.last_updated <> e->>'lastUpdated';
            END IF;
          END IF;
          INSERT INTO ${s}.inbox_event (received_at, source, subscription, event_number, resource_type, resource_id, version_id, last_updated, patient, resource, correlation_id, status, next_attempt_at)
            VALUES (at, e->>'source', e->>'subscription', (e->>'eventNumber')::bigint, e->>'resourceType', e->>'resourceId', e->>'versionId', e->>'lastUpdated', e->>'patient', e->>'resource', e->>'correlationId', st, at)
            RETURNING id INTO new_id;
          IF st = 'stale' THEN
            stale_n := stale_n + 1;
            result := 'stale';
          ELSE
            result := 'accepted';
            accepted_id := new_id;
          END IF;
          RETURN NEXT;
        END LOOP;
        FOR c IN SELECT value FROM jsonb_array_elements(contacts) LOOP
          INSERT INTO ${s}.subscription_state AS t (subscription, last_contact_at, heartbeat_seconds, events_since_start)
            VALUES (c->>'subscription', at, NULL, COALESCE((c->>'eventsSinceStart')::bigint, 0))
            ON CONFLICT (subscription) DO UPDATE SET last_contact_at = excluded.last_contact_at, events_since_start = GREATEST(t.events_since_start, excluded.events_since_start);
        END LOOP;
        INSERT INTO ${s}.inbox_counter AS k (name, value)
          SELECT name, v FROM (VALUES ('duplicate-event', dup_event), ('duplicate-version', dup_version), ('stale', stale_n)) AS z (name, v) WHERE v > 0
          ON CONFLICT (name) DO UPDATE SET value = k.value + excluded.value;
      END;
      $fn$;
    `,
  },
  {
    version: 3,
    sql: (s) => `
      CREATE INDEX inbox_event_done ON ${s}.inbox_event (done_at) WHERE done_at IS NOT NULL;
      CREATE TABLE ${s}.inbox_depth_minute (minute BIGINT PRIMARY KEY, depth_max INTEGER NOT NULL);
    `,
  },
  {
    version: 4,
    sql: (s) => `CREATE TABLE ${s}.workflow_lease (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at BIGINT NOT NULL);`,
  },
  {
    version: 5,
    sql: (s) => `CREATE TABLE ${s}.workflow_setting (name TEXT PRIMARY KEY, value TEXT NOT NULL);`,
  },
];

/** A pg-boss `Db` running inside one transaction's client. */
function inTx(client: pg.PoolClient): PgBoss.Db {
  return { executeSql: async (text, values) => ({ rows: (await client.query(text, values)).rows as unknown[] }) };
}

export class PgInbox implements WorkflowInbox {
  readonly kind = 'postgres' as const;
  readonly pool: pg.Pool;
  readonly boss: PgBoss;
  readonly schema: string;
  private readonly s: string;
  private readonly now: () => number;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly leaseMs: number;
  /** The pg-boss job of each event this instance has claimed. */
  private readonly jobs = new Map<number, string>();
  /** Group commit of the intake; batches overlap on PostgreSQL (each its own transaction and connection). */
  readonly group = new GroupCommit<ParsedRequest, IntakeResult>((requests) => this.intakeBatch(requests), { inFlight: 3 });

  private constructor(options: PgInboxOptions) {
    const schema = options.schema ?? 'careloop_workflow';
    if (!/^[a-z_][a-z0-9_]{0,40}$/.test(schema)) throw new Error('the workflow schema name must match [a-z_][a-z0-9_]{0,40}');
    this.schema = schema;
    this.s = `"${schema}"`;
    this.pool = new pg.Pool({ connectionString: options.connectionString, max: options.maxConnections ?? 10 });
    this.now = options.now ?? Date.now;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.baseDelayMs = options.baseDelayMs ?? 1000;
    this.maxDelayMs = options.maxDelayMs ?? 5 * 60_000;
    this.leaseMs = options.leaseMs ?? 60_000;
    this.boss = new PgBoss({
      connectionString: options.connectionString,
      schema: `${schema}_boss`,
      max: 4,
      schedule: false,
      application_name: 'careloop-workflow',
      ...(options.maintenanceIntervalSeconds ? { maintenanceIntervalSeconds: options.maintenanceIntervalSeconds } : {}),
    });
    const onError = options.onError ?? ((e: Error) => process.stderr.write(`workflow queue: ${e.message}\n`));
    this.boss.on('error', onError);
    this.pool.on('error', onError);
  }

  /** Connects, creates or migrates the tables and pg-boss's schema, and the queue. */
  static async open(options: PgInboxOptions): Promise<PgInbox> {
    const inbox = new PgInbox(options);
    try {
      await inbox.migrate();
      await inbox.boss.start();
      const queue = { name: INBOX_QUEUE, policy: 'standard' as const, retryLimit: 1000, retryDelay: 1, expireInSeconds: Math.max(1, Math.ceil(inbox.leaseMs / 1000)) };
      if (!(await inbox.boss.getQueue(INBOX_QUEUE))) {
        // Two instances starting together both try: the loser finds it made.
        await inbox.boss.createQueue(INBOX_QUEUE, queue).catch(async (e: unknown) => {
          if (!(await inbox.boss.getQueue(INBOX_QUEUE))) throw e;
        });
      }
    } catch (e) {
      await inbox.close();
      throw e;
    }
    return inbox;
  }

  private async migrate(): Promise<void> {
    await this.tx(async (c) => {
      // One instance migrates at a time; the others wait and find it done.
      await c.query("SELECT pg_advisory_xact_lock(hashtext('careloop_workflow_migrate'))");
      const exists = await c.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [this.schema]);
      if (exists.rowCount === 0) await c.query(`CREATE SCHEMA ${this.s}`);
      await c.query(`CREATE TABLE IF NOT EXISTS ${this.s}.workflow_schema (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`);
      const applied = new Set((await c.query<{ version: number }>(`SELECT version FROM ${this.s}.workflow_schema`)).rows.map((r) => r.version));
      for (const m of MIGRATIONS) {
        if (applied.has(m.version)) continue;
        await c.query(m.sql(this.s));
        await c.query(`INSERT INTO ${this.s}.workflow_schema (version, applied_at) VALUES ($1, $2)`, [m.version, this.now()]);
      }
    });
  }

  private async tx<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const out = await fn(client);
      await client.query('COMMIT');
      return out;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  }

  backoffMs(attempt: number): number {
    return Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  }

  async receive(events: readonly InboxEventInput[]): Promise<IntakeOutcome[]> {
    const parsed = parseInboxEvents(events);
    const [result] = await this.intakeBatch([{ events: parsed }]);
    return result?.outcomes ?? [];
  }

  intake(request: IntakeRequest): Promise<IntakeResult> {
    try {
      return this.group.submit({ ...request, events: parseInboxEvents(request.events) });
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  private async intakeBatch(requests: readonly ParsedRequest[]): Promise<IntakeResult[]> {
    const events = requests.flatMap((r) =>
      r.events.map((e) => ({
        source: e.source,
        subscription: e.subscription ?? null,
        eventNumber: e.eventNumber ?? null,
        resourceType: e.resourceType,
        resourceId: e.resourceId,
        versionId: e.versionId ?? null,
        lastUpdated: e.lastUpdated ?? null,
        patient: e.patient ?? null,
        resource: e.resource === undefined || e.resource === null ? null : JSON.stringify(e.resource),
        correlationId: e.correlationId ?? null,
      })),
    );
    const contacts = requests.flatMap((r) => (r.contact ? [r.contact] : []));
    return this.tx(async (c) => {
      // Per-resource locks, all taken up front in one sorted pass: two instances receiving the same
      // notifications serialise on them instead of deadlocking.
      const keys = [...new Set(events.map((e) => `${e.resourceType}/${e.resourceId}`))].sort();
      if (keys.length > 0) await c.query('SELECT pg_advisory_xact_lock(k) FROM (SELECT hashtextextended(x, 7) AS k FROM unnest($1::text[]) AS x ORDER BY 1) AS l', [keys]);
      const rows = (
        await c.query<{ ord: number; result: IntakeOutcome; accepted_id: string | null }>(`SELECT ord, result, accepted_id FROM ${this.s}.intake_batch($1::jsonb, $2::jsonb, $3)`, [
          JSON.stringify(events),
          JSON.stringify(contacts),
          this.now(),
        ])
      ).rows.sort((a, b) => a.ord - b.ord);
      const accepted = rows.flatMap((r) => (r.accepted_id === null ? [] : [Number(r.accepted_id)]));
      if (accepted.length > 0) await this.queueJobs(c, accepted, null);
      const gaps = new Map<string, boolean>();
      for (const r of requests) {
        if (r.gapCheck !== true || !r.contact || gaps.has(r.contact.subscription)) continue;
        gaps.set(r.contact.subscription, (await this.missingWith(c, r.contact.subscription, 1)).length > 0);
      }
      let at = 0;
      return requests.map((r) => {
        const outcomes = rows.slice(at, at + r.events.length).map((x) => x.result);
        at += r.events.length;
        return { outcomes, gap: r.gapCheck === true && r.contact !== undefined && gaps.get(r.contact.subscription) === true };
      });
    });
  }

  /** One pg-boss job per event, in the caller's transaction (`startAfter`: the retry's backoff). */
  private async queueJobs(c: pg.PoolClient, events: readonly number[], startAfter: Date | null): Promise<void> {
    await this.boss.insert(
      events.map((event) => ({ name: INBOX_QUEUE, data: { event } satisfies JobData, ...(startAfter ? { startAfter: startAfter.toISOString() } : {}) })),
      { db: inTx(c) },
    );
  }

  async claim(limit = 50): Promise<InboxEvent[]> {
    const jobs = await this.boss.fetch<JobData>(INBOX_QUEUE, { batchSize: limit });
    const claimed: InboxEvent[] = [];
    const nothingToDo: string[] = [];
    const later: string[] = [];
    for (const job of jobs) {
      const now = this.now();
      const row = await this.pool.query<EventRow>(
        `UPDATE ${this.s}.inbox_event SET status = 'processing', lease_until = $2
         WHERE id = $1 AND (status = 'pending' OR (status = 'processing' AND lease_until < $3)) RETURNING *`,
        [job.data.event, now + this.leaseMs, now],
      );
      const r = row.rows[0];
      if (r) {
        this.jobs.set(Number(r.id), job.id);
        claimed.push(eventFromRow(r));
        continue;
      }
      const held = await this.pool.query<{ status: InboxStatus }>(`SELECT status FROM ${this.s}.inbox_event WHERE id = $1`, [job.data.event]);
      // Still leased by another instance (its pg-boss job expired first): keep the job, retried
      // later, in case that instance dies before finishing. Done, superseded, stale or parked: nothing to do.
      if (held.rows[0]?.status === 'processing') later.push(job.id);
      else nothingToDo.push(job.id);
    }
    if (nothingToDo.length > 0) await this.boss.complete(INBOX_QUEUE, nothingToDo);
    if (later.length > 0) await this.boss.fail(INBOX_QUEUE, later);
    return claimed;
  }

  async complete(id: number): Promise<void> {
    const job = this.jobs.get(id);
    await this.tx(async (c) => {
      await c.query(`UPDATE ${this.s}.inbox_event SET status = 'done', done_at = $2, lease_until = NULL, last_error = NULL WHERE id = $1 AND status = 'processing'`, [id, this.now()]);
      if (job) await this.boss.complete(INBOX_QUEUE, job, { db: inTx(c) });
    });
    this.jobs.delete(id);
  }

  async fail(id: number, reason: string, options: { permanent?: boolean } = {}): Promise<'retry' | 'dead'> {
    const job = this.jobs.get(id);
    const outcome = await this.tx(async (c): Promise<'retry' | 'dead'> => {
      const now = this.now();
      const row = await c.query<{ attempts: number }>(`SELECT attempts FROM ${this.s}.inbox_event WHERE id = $1 FOR UPDATE`, [id]);
      const held = row.rows[0];
      if (!held) throw new Error(`no inbox event ${id}`);
      const attempts = held.attempts + 1;
      const why = reason.slice(0, 2000);
      if (job) await this.boss.complete(INBOX_QUEUE, job, { db: inTx(c) });
      if (options.permanent || attempts >= this.maxAttempts) {
        await c.query(`UPDATE ${this.s}.inbox_event SET status = 'dead', attempts = $2, last_error = $3, lease_until = NULL WHERE id = $1`, [id, attempts, why]);
        await c.query(`INSERT INTO ${this.s}.inbox_dead_letter (event_id, reason, attempts, parked_at) VALUES ($1, $2, $3, $4)`, [id, why, attempts, now]);
        return 'dead';
      }
      const delay = this.backoffMs(attempts);
      await c.query(`UPDATE ${this.s}.inbox_event SET status = 'pending', attempts = $2, last_error = $3, lease_until = NULL, next_attempt_at = $4 WHERE id = $1`, [id, attempts, why, now + delay]);
      await this.queueJobs(c, [id], new Date(Date.now() + delay));
      return 'retry';
    });
    this.jobs.delete(id);
    return outcome;
  }

  async deadLetters(): Promise<DeadLetter[]> {
    const rows = await this.pool.query<{ id: string; event_id: string; reason: string; attempts: number; parked_at: string; replayed_at: string | null }>(
      `SELECT * FROM ${this.s}.inbox_dead_letter WHERE replayed_at IS NULL ORDER BY id`,
    );
    return rows.rows.map((r) => ({ id: Number(r.id), eventId: Number(r.event_id), reason: r.reason, attempts: r.attempts, parkedAt: Number(r.parked_at), replayedAt: r.replayed_at === null ? null : Number(r.replayed_at) }));
  }

  async replay(which: { deadLetterId: number } | 'all'): Promise<number> {
    return this.tx(async (c) => {
      const now = this.now();
      const letters = await c.query<{ id: string; event_id: string }>(
        `SELECT id, event_id FROM ${this.s}.inbox_dead_letter WHERE replayed_at IS NULL ${which === 'all' ? '' : 'AND id = $1'} ORDER BY id FOR UPDATE`,
        which === 'all' ? [] : [which.deadLetterId],
      );
      const events: number[] = [];
      for (const d of letters.rows) {
        const back = await c.query(`UPDATE ${this.s}.inbox_event SET status = 'pending', attempts = 0, next_attempt_at = $2, lease_until = NULL WHERE id = $1 AND status = 'dead'`, [d.event_id, now]);
        if ((back.rowCount ?? 0) > 0) events.push(Number(d.event_id));
        await c.query(`UPDATE ${this.s}.inbox_dead_letter SET replayed_at = $2 WHERE id = $1`, [d.id, now]);
      }
      if (events.length > 0) await this.queueJobs(c, events, null);
      return letters.rows.length;
    });
  }

  async event(id: number): Promise<InboxEvent | undefined> {
    const r = (await this.pool.query<EventRow>(`SELECT * FROM ${this.s}.inbox_event WHERE id = $1`, [id])).rows[0];
    return r ? eventFromRow(r) : undefined;
  }

  async events(status?: InboxStatus): Promise<InboxEvent[]> {
    const rows = status
      ? await this.pool.query<EventRow>(`SELECT * FROM ${this.s}.inbox_event WHERE status = $1 ORDER BY id`, [status])
      : await this.pool.query<EventRow>(`SELECT * FROM ${this.s}.inbox_event ORDER BY id`);
    return rows.rows.map(eventFromRow);
  }

  async stats(): Promise<InboxStats> {
    const by = new Map((await this.pool.query<{ status: InboxStatus; n: string }>(`SELECT status, COUNT(*) AS n FROM ${this.s}.inbox_event GROUP BY status`)).rows.map((r) => [r.status, Number(r.n)]));
    const counters = new Map((await this.pool.query<{ name: string; value: string }>(`SELECT name, value FROM ${this.s}.inbox_counter`)).rows.map((r) => [r.name, Number(r.value)]));
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

  private async noteContactWith(c: pg.PoolClient | pg.Pool, subscription: string, eventsSinceStart: number | null, heartbeatSeconds: number | null): Promise<void> {
    await c.query(
      `INSERT INTO ${this.s}.subscription_state AS s (subscription, last_contact_at, heartbeat_seconds, events_since_start) VALUES ($1, $2, $3, $4)
       ON CONFLICT (subscription) DO UPDATE SET last_contact_at = excluded.last_contact_at, events_since_start = GREATEST(s.events_since_start, excluded.events_since_start),
         heartbeat_seconds = COALESCE(excluded.heartbeat_seconds, s.heartbeat_seconds)`,
      [subscription, this.now(), heartbeatSeconds, eventsSinceStart ?? 0],
    );
  }

  async noteContact(subscription: string, eventsSinceStart: number | null, heartbeatSeconds?: number | null): Promise<void> {
    await this.noteContactWith(this.pool, subscription, eventsSinceStart, heartbeatSeconds ?? null);
  }

  async forgetSubscription(subscription: string): Promise<void> {
    await this.pool.query(`DELETE FROM ${this.s}.subscription_state WHERE subscription = $1`, [subscription]);
  }

  async subscriptionStates(): Promise<SubscriptionState[]> {
    const rows = await this.pool.query<{ subscription: string; last_contact_at: string; heartbeat_seconds: number | null; events_since_start: string; contiguous_through: string }>(
      `SELECT * FROM ${this.s}.subscription_state ORDER BY subscription`,
    );
    return rows.rows.map((r) => ({
      subscription: r.subscription,
      lastContactAt: Number(r.last_contact_at),
      heartbeatSeconds: r.heartbeat_seconds,
      eventsSinceStart: Number(r.events_since_start),
      contiguousThrough: Number(r.contiguous_through),
    }));
  }

  private async missingWith(c: pg.PoolClient, subscription: string, limit: number): Promise<number[]> {
    const state = (
      await c.query<{ events_since_start: string; contiguous_through: string }>(`SELECT events_since_start, contiguous_through FROM ${this.s}.subscription_state WHERE subscription = $1 FOR UPDATE`, [
        subscription,
      ])
    ).rows[0];
    if (!state) return [];
    const total = Number(state.events_since_start);
    const from = Number(state.contiguous_through);
    const seen = new Set(
      (await c.query<{ n: string }>(`SELECT event_number AS n FROM ${this.s}.inbox_seen_event WHERE subscription = $1 AND event_number BETWEEN $2 AND $3`, [subscription, from + 1, total])).rows.map((r) =>
        Number(r.n),
      ),
    );
    let through = from;
    while (seen.has(through + 1)) through++;
    if (through !== from) await c.query(`UPDATE ${this.s}.subscription_state SET contiguous_through = GREATEST(contiguous_through, $2) WHERE subscription = $1`, [subscription, through]);
    const missing: number[] = [];
    for (let n = through + 1; n <= total && missing.length < limit; n++) if (!seen.has(n)) missing.push(n);
    return missing;
  }

  missingEventNumbers(subscription: string, limit = 1000): Promise<number[]> {
    return this.tx((c) => this.missingWith(c, subscription, limit));
  }

  async knows(resourceType: string, resourceId: string, versionId: string | null, lastUpdated: string | null): Promise<boolean> {
    if (versionId) {
      const held = await this.pool.query(`SELECT 1 FROM ${this.s}.inbox_event WHERE resource_type = $1 AND resource_id = $2 AND version_id = $3`, [resourceType, resourceId, versionId]);
      if ((held.rowCount ?? 0) > 0) return true;
    }
    if (!lastUpdated) return false;
    const r = await this.pool.query<{ known: boolean }>(
      `SELECT last_updated >= $3::timestamptz AS known FROM ${this.s}.inbox_resource_watermark WHERE resource_type = $1 AND resource_id = $2`,
      [resourceType, resourceId, lastUpdated],
    );
    return r.rows[0]?.known === true;
  }

  async recentPatients(sinceMs: number): Promise<string[]> {
    const rows = await this.pool.query<{ patient: string }>(`SELECT DISTINCT patient FROM ${this.s}.inbox_event WHERE received_at >= $1 AND patient IS NOT NULL`, [sinceMs]);
    return rows.rows.map((r) => r.patient);
  }

  async lastReconciliation(): Promise<{ serverTime: string; missed: number } | null> {
    const r = (await this.pool.query<{ server_time: string; missed: number }>(`SELECT server_time, missed FROM ${this.s}.reconcile_run ORDER BY id DESC LIMIT 1`)).rows[0];
    return r ? { serverTime: r.server_time, missed: r.missed } : null;
  }

  async recordReconciliation(run: { since: string; serverTime: string; patients: number; checked: number; missed: number }): Promise<void> {
    await this.pool.query(`INSERT INTO ${this.s}.reconcile_run (started_at, since, server_time, patients, checked, missed) VALUES ($1, $2, $3, $4, $5, $6)`, [
      this.now(),
      run.since,
      run.serverTime,
      run.patients,
      run.checked,
      run.missed,
    ]);
  }

  async watermark(resourceType: string): Promise<string | null> {
    const r = (await this.pool.query<{ since: string }>(`SELECT since FROM ${this.s}.poll_watermark WHERE resource_type = $1`, [resourceType])).rows[0];
    return r?.since ?? null;
  }

  async setWatermark(resourceType: string, since: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${this.s}.poll_watermark (resource_type, since, updated_at) VALUES ($1, $2, $3) ON CONFLICT (resource_type) DO UPDATE SET since = excluded.since, updated_at = excluded.updated_at`,
      [resourceType, since, this.now()],
    );
  }

  async recordDepth(at: number, depth: number): Promise<void> {
    const minute = Math.floor(at / 60_000) * 60_000;
    await this.pool.query(
      `INSERT INTO ${this.s}.inbox_depth_minute AS t (minute, depth_max) VALUES ($1, $2) ON CONFLICT (minute) DO UPDATE SET depth_max = GREATEST(t.depth_max, excluded.depth_max)`,
      [minute, depth],
    );
    await this.pool.query(`DELETE FROM ${this.s}.inbox_depth_minute WHERE minute < $1`, [minute - 86_400_000]);
  }

  async lead(holder: string, ttlMs: number): Promise<boolean> {
    const now = this.now();
    const r = await this.pool.query(
      `INSERT INTO ${this.s}.workflow_lease AS l (name, holder, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
       WHERE l.holder = excluded.holder OR l.expires_at <= $4
       RETURNING holder`,
      [LOOPS_LEASE, holder, now + ttlMs, now],
    );
    return (r.rowCount ?? 0) > 0;
  }

  async resign(holder: string): Promise<void> {
    await this.pool.query(`DELETE FROM ${this.s}.workflow_lease WHERE name = $1 AND holder = $2`, [LOOPS_LEASE, holder]);
  }

  async sharedSecret(candidate: string): Promise<string> {
    await this.pool.query(`INSERT INTO ${this.s}.workflow_setting (name, value) VALUES ('notification-secret', $1) ON CONFLICT (name) DO NOTHING`, [candidate]);
    const r = await this.pool.query<{ value: string }>(`SELECT value FROM ${this.s}.workflow_setting WHERE name = 'notification-secret'`);
    const value = r.rows[0]?.value;
    if (!value) throw new Error('the notification secret could not be kept in the inbox');
    return value;
  }

  async leader(): Promise<{ holder: string; until: number } | null> {
    const r = await this.pool.query<{ holder: string; until: string }>(`SELECT holder, expires_at AS until FROM ${this.s}.workflow_lease WHERE name = $1 AND expires_at > $2`, [LOOPS_LEASE, this.now()]);
    const row = r.rows[0];
    return row ? { holder: row.holder, until: Number(row.until) } : null;
  }

  async history(sinceMs: number, boundsMs: readonly number[]): Promise<InboxHistory> {
    const depth = await this.pool.query<{ minute: string; depth: number }>(`SELECT minute, depth_max AS depth FROM ${this.s}.inbox_depth_minute WHERE minute >= $1 ORDER BY minute`, [
      Math.floor(sinceMs / 60_000) * 60_000,
    ]);
    const latency = await this.pool.query<{ minute: string; bucket: number; count: string; max_ms: string; sum_ms: string }>(
      `SELECT minute, ${latencyBucketSql(boundsMs)} AS bucket, COUNT(*) AS count, MAX(d) AS max_ms, SUM(d) AS sum_ms
       FROM (SELECT (done_at / 60000) * 60000 AS minute, done_at - received_at AS d FROM ${this.s}.inbox_event WHERE done_at >= $1) AS x
       GROUP BY minute, bucket ORDER BY minute, bucket`,
      [sinceMs],
    );
    return {
      depth: depth.rows.map((r) => ({ minute: Number(r.minute), depth: r.depth })),
      latency: latency.rows.map((r) => ({ minute: Number(r.minute), bucket: r.bucket, count: Number(r.count), maxMs: Number(r.max_ms), sumMs: Number(r.sum_ms) })),
    };
  }

  /** Drops this instance's claims back to the queue's care (their leases run out) and disconnects. */
  async close(): Promise<void> {
    await this.boss.stop({ graceful: false, wait: true, timeout: 1000 }).catch(() => undefined);
    await this.pool.end().catch(() => undefined);
  }
}

export function openPgInbox(options: PgInboxOptions): Promise<PgInbox> {
  return PgInbox.open(options);
}
