/**
 * The workflow service: Careloop's server-side reaction to chart changes: its own EHR access (SMART
 * Backend Services), the FHIR Subscriptions it creates on the EHR (R4 backport, rest-hook), the
 * receiver that writes each notification to the durable inbox (SQLite, or PostgreSQL shared by
 * several instances) before acknowledging it, catch-up on gaps and missed heartbeats, polling and
 * reconciliation, and the loop that drains the inbox into re-evaluation (reevaluate.ts).
 *
 * Registered in the audit app with `buildAuditApp({ ..., workflow })` (or `startAuditServer({
 * workflow })`, configured by workflow/config.ts). Routes: `POST /api/workflow/notifications`
 * (authenticated by the secret the service put in its Subscriptions' `channel.header`),
 * `GET /api/workflow/changes` (the sidebar's live channel), `GET /api/workflow/metrics`, and
 * `GET /api/workflow/status` (the admin status page).
 */
import { timingSafeEqual, randomBytes, randomUUID, createHash } from 'node:crypto';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { BackendTokenSource, type BackendTokenOptions } from './backend-token.ts';
import { drainInbox, openInbox, PermanentFailure, type InboxEvent, type InboxHandler, type WorkflowInbox } from './inbox.ts';
import { reevaluatePatient, type FhirAccess, type ReevaluateOptions } from './reevaluate.ts';
import { GoneError, NotificationRejected, SubscriptionReceiver } from './subscription-receiver.ts';
import { Poller, type PollPage } from './poller.ts';
import { Reconciler } from './reconciler.ts';
import { LatencyHistogram, renderWorkflowMetrics } from './metrics.ts';
import { LATENCY_BOUNDS_MS, MinuteSeries, renderStatusPage } from './status-page.ts';
import { CHANGES_PATH, type LiveChange } from '../../shared/live-change.ts';

export { CHANGES_PATH, type LiveChange };

export const NOTIFICATION_PATH = '/api/workflow/notifications';
export const STATUS_PATH = '/api/workflow/status';

/** Options of {@link WorkflowService.plugin}: how the live channel verifies the app's SMART token. */
export interface WorkflowPluginOptions {
  readonly verifyToken?: (token: string, fhirBaseHint?: string) => Promise<{ readonly patient: string | null; readonly exp: number }>;
}
const BACKPORT = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition';

export interface WorkflowServiceOptions {
  /** The EHR's FHIR base URL. */
  readonly fhirBase: string;
  readonly backend: Omit<BackendTokenOptions, 'fetch' | 'now'>;
  /**
   * The inbox: a SQLite file (beside the audit database, or `:memory:`), or an open inbox — e.g. a
   * `PgInbox` on the shared PostgreSQL, so several instances share the work (see config.ts).
   */
  readonly inbox: string | WorkflowInbox;
  /** Close the inbox given open when the service closes (it was opened for the service). */
  readonly ownsInbox?: boolean;
  /**
   * This server's public origin, where the EHR POSTs notifications: a string, a function (known once
   * the server listens), or null (set by {@link WorkflowService.useServerUrl}).
   */
  readonly publicUrl: string | (() => string) | null;
  /** The admin credential the status page asks for (`AUDIT_ADMIN_TOKEN`); unset closes the page. */
  readonly adminToken?: string | null;
  /** What to do with each event; default: re-evaluate its patient when `reevaluate` is given, else nothing. */
  readonly handler?: InboxHandler;
  /** Re-evaluation of the changed patient and the automatic actions (see reevaluate.ts). */
  readonly reevaluate?: Omit<ReevaluateOptions, 'fhir'>;
  /** Heartbeat period asked of the EHR, seconds. Default 60. */
  readonly heartbeatSeconds?: number;
  /** `id-only` (default) or `full-resource` notifications. */
  readonly payload?: 'id-only' | 'full-resource';
  /** The notification credential; default a random one per process. */
  readonly notificationSecret?: string;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
  readonly log?: (line: Record<string, unknown>) => void;
  /** Poll these resource types with `_lastUpdated` (for an EHR without subscriptions, or as a safety net). */
  readonly poll?: { readonly types: readonly string[]; readonly overlapMs?: number };
  /** Reconcile these types for patients with open Careloop work or recent changes. */
  readonly reconcile?: { readonly types: readonly string[]; readonly identifierSystem: string };
  /**
   * Watch a patient on demand: when a sidebar opens the live channel for a patient, subscribe to
   * this topic for that patient (once per process; see {@link WorkflowService.watchPatient}).
   */
  readonly watch?: { readonly topic: string };
}

/** The periods of the service's loops, ms. */
export interface WorkflowTiming {
  /** Drain the inbox. Default 500. */
  readonly drainMs?: number;
  /** Check for missed heartbeats. Default 5,000. */
  readonly heartbeatCheckMs?: number;
  /** Poll (when `poll` is configured). Default 30,000. */
  readonly pollMs?: number;
  /** Reconcile (when `reconcile` is configured). Default 300,000. */
  readonly reconcileMs?: number;
  /** Sample the inbox's depth for the status page. Default 5,000. */
  readonly depthSampleMs?: number;
  /**
   * The lease on the loops one instance runs for all — polling, reconciliation, heartbeat checks
   * and the catch-up when it takes over. Renewed every third of it; an instance that stops
   * without giving it up is replaced once it runs out. Default 30,000.
   */
  readonly leaseMs?: number;
}

export class WorkflowService {
  readonly inbox: WorkflowInbox;
  readonly tokens: BackendTokenSource;
  readonly receiver: SubscriptionReceiver;
  readonly poller: Poller | null;
  readonly reconciler: Reconciler | null;
  /** The rest-hook credential: configured, or made once and kept in the inbox (see notificationSecret). */
  private secretLoad: Promise<string> | null = null;
  private readonly fetchFn: typeof fetch;
  private timers: NodeJS.Timeout[] = [];
  /** Loop runs under way (a stop waits for them). */
  private readonly inFlight = new Set<Promise<unknown>>();
  /** The timing of the last start, reused by a restart. */
  private timing: WorkflowTiming = {};
  /** Stopped: no loop runs, notifications and live channels are refused (503) — as when the service is down. */
  private stopped = false;
  private readonly listeners = new Map<string, Set<(change: LiveChange) => void>>();
  private readonly processed = new LatencyHistogram();
  private readonly pushed = new LatencyHistogram();
  private publicUrl: string | (() => string) | null;
  private readonly writeFailures = new Map<number, number>();
  private draining: Promise<unknown> | null = null;
  private readonly watched = new Map<string, Promise<void>>();
  private readonly streams = new Set<{ end(): void }>();
  /** This instance's name in the loops' lease (one per process start). */
  readonly instanceId = randomUUID();
  private leading = false;

  constructor(private readonly options: WorkflowServiceOptions) {
    this.fetchFn = options.fetch ?? ((...args) => fetch(...args));
    this.publicUrl = options.publicUrl;
    this.inbox = typeof options.inbox === 'string' ? openInbox({ path: options.inbox, ...(options.now ? { now: options.now } : {}) }) : options.inbox;
    this.tokens = new BackendTokenSource({ ...options.backend, fetch: this.fetchFn, ...(options.now ? { now: options.now } : {}) });
    this.receiver = new SubscriptionReceiver({
      inbox: this.inbox,
      fhirBase: options.fhirBase,
      fhirGet: (url) => this.fhirGet(url),
      ...(options.now ? { now: options.now } : {}),
      ...(options.log ? { log: options.log } : {}),
    });
    this.poller = options.poll
      ? new Poller({
          inbox: this.inbox,
          get: (p) => this.pollGet(p),
          types: options.poll.types,
          ...(options.poll.overlapMs !== undefined ? { overlapMs: options.poll.overlapMs } : {}),
          ...(options.now ? { now: options.now } : {}),
        })
      : null;
    this.reconciler = options.reconcile
      ? new Reconciler({
          inbox: this.inbox,
          get: (p) => this.pollGet(p),
          types: options.reconcile.types,
          identifierSystem: options.reconcile.identifierSystem,
          ...(options.now ? { now: options.now } : {}),
          ...(options.log ? { log: options.log } : {}),
        })
      : null;
  }

  /** One polling GET: relative to the base, or a `next` link under it. */
  private async pollGet(pathOrUrl: string): Promise<PollPage> {
    const url = /^https?:/.test(pathOrUrl) ? pathOrUrl : `${this.options.fhirBase}/${pathOrUrl}`;
    if (!url.startsWith(`${this.options.fhirBase}/`)) throw new Error('the workflow service reads only from its EHR');
    const res = await this.fetchFn(url, { headers: { accept: 'application/fhir+json', authorization: `Bearer ${await this.tokens.token()}` } });
    if (res.status === 401) this.tokens.invalidate();
    const text = await res.text();
    let body: unknown = null;
    try {
      body = text ? (JSON.parse(text) as unknown) : null;
    } catch {
      body = null;
    }
    return { status: res.status, body, retryAfter: res.headers.get('retry-after'), date: res.headers.get('date') };
  }

  /** FHIR requests relative to the EHR's base with the service's token (one retry with a new token after a 401). */
  readonly fhir: FhirAccess = {
    request: async (method, path, body, headers = {}) => {
      for (let attempt = 0; ; attempt++) {
        const res = await this.fetchFn(`${this.options.fhirBase}/${path}`, {
          method,
          headers: { accept: 'application/fhir+json', ...(body !== undefined ? { 'content-type': 'application/fhir+json' } : {}), ...headers, authorization: `Bearer ${await this.tokens.token()}` },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
        if (res.status === 401 && attempt === 0) {
          this.tokens.invalidate();
          continue;
        }
        const text = await res.text();
        return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
      }
    },
  };

  /** The patient an event is about: from the event, else from the resource (id-only payloads). */
  private async patientOf(event: InboxEvent): Promise<string | null> {
    if (event.patient) return event.patient;
    const res = await this.fhir.request('GET', `${event.resourceType}/${event.resourceId}`);
    if (res.status === 404 || res.status === 410) return null;
    if (res.status !== 200) throw new Error(`reading ${event.resourceType} answered ${res.status}`);
    const r = res.body as Record<string, unknown>;
    for (const field of ['subject', 'patient', 'for', 'beneficiary']) {
      const ref = (r[field] as { reference?: unknown } | undefined)?.reference;
      const m = typeof ref === 'string' ? /(?:^|\/)Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(ref) : null;
      if (m?.[1]) return m[1];
    }
    throw new PermanentFailure(`${event.resourceType} has no patient`);
  }

  private async reevaluateEvent(event: InboxEvent): Promise<string | null> {
    const options = this.options.reevaluate;
    if (!options) return event.patient;
    const patient = await this.patientOf(event);
    if (!patient) return null;
    const trigger = event.subscription !== null && event.eventNumber !== null ? `${event.subscription}#${event.eventNumber}` : `${event.source}:${event.resourceType}/${event.resourceId}/${event.versionId ?? ''}`;
    const outcomes = await reevaluatePatient({ ...options, fhir: this.fhir }, patient, trigger);
    for (const o of outcomes) {
      if (o.kind === 'failed') this.writeFailures.set(o.status, (this.writeFailures.get(o.status) ?? 0) + 1);
      if (o.kind === 'closed' || o.kind === 'failed') this.options.log?.({ msg: `task ${o.kind}`, task: o.task, trigger });
    }
    return patient;
  }

  /** The service's metrics in Prometheus text format. */
  async metricsText(): Promise<string> {
    return renderWorkflowMetrics({
      inbox: await this.inbox.stats(),
      intake: this.inbox.group.counters,
      receiver: this.receiver.counters,
      reconciliationMisses: this.reconciler?.missedTotal ?? 0,
      leader: this.leading,
      writeFailures: this.writeFailures,
      processed: this.processed,
      pushed: this.pushed,
    });
  }

  /** Listens to one patient's processed changes (the live channel); returns the unsubscribe. */
  onPatientChange(patient: string, listener: (change: LiveChange) => void): () => void {
    let set = this.listeners.get(patient);
    if (!set) this.listeners.set(patient, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(patient);
    };
  }

  private async handle(event: InboxEvent): Promise<void> {
    const custom = this.options.handler;
    let patient: string | null;
    if (custom) {
      await custom(event);
      // id-only events name no patient: read it only when someone is listening.
      patient = event.patient ?? (this.listeners.size > 0 ? await this.patientOf(event) : null);
    } else {
      patient = await this.reevaluateEvent(event);
    }
    const nowMs = (this.options.now ?? Date.now)();
    this.processed.observe(Math.max(0, nowMs - event.receivedAt) / 1000);
    if (patient === null) return;
    const change: LiveChange = { patient, resource: `${event.resourceType}/${event.resourceId}`, event: event.id, at: new Date((this.options.now ?? Date.now)()).toISOString() };
    for (const l of this.listeners.get(patient) ?? []) {
      l(change);
      // Event → sidebar: the change leaves for each open live channel of the patient.
      this.pushed.observe(Math.max(0, (this.options.now ?? Date.now)() - event.receivedAt) / 1000);
    }
  }

  /** GETs FHIR JSON from the EHR with the service's token; one retry with a new token after a 401. */
  async fhirGet(url: string): Promise<unknown> {
    if (!url.startsWith(`${this.options.fhirBase}/`)) throw new Error('the workflow service reads only from its EHR');
    for (let attempt = 0; ; attempt++) {
      const res = await this.fetchFn(url, { headers: { accept: 'application/fhir+json', authorization: `Bearer ${await this.tokens.token()}` } });
      if (res.status === 401 && attempt === 0) {
        this.tokens.invalidate();
        continue;
      }
      if (res.status === 404 || res.status === 410) throw new GoneError(`GET ${new URL(url).pathname} answered ${res.status}`);
      if (!res.ok) throw new Error(`GET ${new URL(url).pathname} answered ${res.status}`);
      return res.json();
    }
  }

  /**
   * Creates a rest-hook Subscription on the EHR for a topic (optionally one patient) pointing at
   * this server, and follows it. Returns the Subscription's absolute reference and status.
   */
  async subscribe(topic: string, patient?: string): Promise<{ subscription: string; status: string }> {
    const origin = typeof this.publicUrl === 'function' ? this.publicUrl() : this.publicUrl;
    if (!origin) throw new Error('the workflow service does not know its public URL yet');
    const heartbeat = this.options.heartbeatSeconds ?? 60;
    const body = {
      resourceType: 'Subscription',
      status: 'requested',
      reason: 'Careloop workflow: re-evaluate care gaps when the chart changes',
      criteria: topic,
      ...(patient ? { _criteria: { extension: [{ url: `${BACKPORT}/backport-filter-criteria`, valueString: `patient=Patient/${patient}` }] } } : {}),
      channel: {
        type: 'rest-hook',
        endpoint: `${origin}${NOTIFICATION_PATH}`,
        payload: 'application/fhir+json',
        _payload: { extension: [{ url: `${BACKPORT}/backport-payload-content`, valueCode: this.options.payload ?? 'id-only' }] },
        header: [`Authorization: Bearer ${await this.notificationSecret()}`],
        extension: [{ url: `${BACKPORT}/backport-heartbeat-period`, valueUnsignedInt: heartbeat }],
      },
    };
    const res = await this.fetchFn(`${this.options.fhirBase}/Subscription`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json', accept: 'application/fhir+json', authorization: `Bearer ${await this.tokens.token()}` },
      body: JSON.stringify(body),
    });
    const created = (await res.json()) as { id?: string; status?: string };
    if (res.status !== 201 || !created.id) throw new Error(`creating the Subscription answered ${res.status}`);
    const subscription = `${this.options.fhirBase}/Subscription/${created.id}`;
    await this.receiver.follow(subscription, heartbeat);
    return { subscription, status: created.status ?? 'unknown' };
  }

  /**
   * Makes sure the EHR notifies this service of the patient's chart changes: one Subscription to the
   * `watch` topic for the patient, created once per process (concurrent calls share it; a failed
   * attempt is forgotten, so the next call tries again). Resolves when it is active.
   */
  watchPatient(patient: string): Promise<void> {
    const topic = this.options.watch?.topic;
    if (!topic) return Promise.resolve();
    const known = this.watched.get(patient);
    if (known) return known;
    const created = this.subscribe(topic, patient).then(
      () => undefined,
      (e: unknown) => {
        this.watched.delete(patient);
        this.options.log?.({ msg: 'subscription not created', patient, error: e instanceof Error ? e.message : String(e) });
        throw e;
      },
    );
    this.watched.set(patient, created);
    return created;
  }

  /** Ends every open live channel (their apps reconnect or fall back to polling). */
  endLiveChannels(): void {
    for (const s of [...this.streams]) s.end();
  }

  /** Deletes a Subscription on the EHR and stops following it. */
  async unsubscribe(subscription: string): Promise<void> {
    const id = subscription.split('/').pop() ?? '';
    const res = await this.fhir.request('DELETE', `Subscription/${encodeURIComponent(id)}`);
    if (res.status >= 300 && res.status !== 404 && res.status !== 410) throw new Error(`deleting the Subscription answered ${res.status}`);
    await this.inbox.forgetSubscription(subscription);
  }

  /** The server's own URL, as the rest-hook's origin when none was configured. */
  useServerUrl(url: string): void {
    this.publicUrl ??= url;
  }

  /** Samples the inbox's depth into its per-minute history (the status page's depth chart). */
  async sampleDepth(): Promise<number> {
    const stats = await this.inbox.stats();
    const depth = stats.pending + stats.processing;
    await this.inbox.recordDepth((this.options.now ?? Date.now)(), depth);
    return depth;
  }

  /** The admin status page (HTML). */
  async statusPage(): Promise<string> {
    const stats = await this.inbox.stats();
    const clock = this.options.now ?? Date.now;
    const now = clock();
    await this.inbox.recordDepth(now, stats.pending + stats.processing);
    const series = MinuteSeries.fromHistory(await this.inbox.history(now - 60 * 60_000, LATENCY_BOUNDS_MS), clock);
    return renderStatusPage(
      {
        store: this.inbox.kind,
        pending: stats.pending,
        processing: stats.processing,
        done: stats.done,
        deadLetters: (await this.inbox.deadLetters()).length,
        duplicatesDropped: stats.duplicatesDropped,
        stale: stats.stale,
        reconciliationMisses: this.reconciler?.missedTotal ?? 0,
        loops: this.leading ? 'this-instance' : (await this.inbox.leader()) ? 'another-instance' : 'none',
      },
      series.points(now),
      now,
    );
  }

  /** Processes every due inbox event once (one pass at a time). */
  async drain(): Promise<{ done: number; retried: number; dead: number }> {
    while (this.draining) await this.draining;
    const run = drainInbox(this.inbox, (e) => this.handle(e));
    this.draining = run;
    try {
      return await run;
    } finally {
      this.draining = null;
    }
  }

  /**
   * Starts the loops: drain every `drainMs`, check heartbeats every `heartbeatCheckMs`, poll every
   * `pollMs` and reconcile every `reconcileMs`; and catches up at once every subscription the inbox
   * follows (`$status`, then `$events` for what it never received), so what was sent while the
   * service was down is not left waiting for a heartbeat. Without timing, a restart reuses the last;
   * a start while running does nothing.
   */
  start(timing?: WorkflowTiming): void {
    if (this.timers.length > 0) return;
    if (timing) this.timing = timing;
    this.stopped = false;
    const { drainMs = 500, heartbeatCheckMs = 5_000, pollMs = 30_000, reconcileMs = 300_000, depthSampleMs = 5_000, leaseMs = 30_000 } = this.timing;
    // A run still going when its next tick comes is not started twice.
    const loop = (fn: () => unknown, ms: number) => {
      let busy = false;
      const tick = () => {
        if (busy || this.stopped) return;
        busy = true;
        const run = Promise.resolve()
          .then(fn)
          .catch((e: unknown) => this.options.log?.({ msg: 'workflow loop failed', error: e instanceof Error ? e.message : String(e) }))
          .finally(() => {
            busy = false;
            this.inFlight.delete(run);
          });
        this.inFlight.add(run);
      };
      const t = setInterval(tick, ms);
      t.unref();
      this.timers.push(t);
      return tick;
    };
    // Every instance drains the shared inbox (each event is claimed by one) and samples its depth;
    // one instance at a time, the lease's holder, runs the loops that ask the EHR on behalf of all.
    loop(() => this.drain(), drainMs);
    loop(() => this.sampleDepth(), depthSampleMs);
    loop(() => (this.leading ? this.receiver.checkHeartbeats() : undefined), heartbeatCheckMs);
    const poller = this.poller;
    if (poller) loop(() => (this.leading ? poller.pollOnce() : undefined), pollMs);
    const reconciler = this.reconciler;
    if (reconciler) loop(() => (this.leading ? reconciler.run() : undefined), reconcileMs);
    loop(() => this.renewLease(leaseMs), Math.max(10, Math.floor(leaseMs / 3)))();
    // Ready before the first notification asks for it.
    void this.notificationSecret().catch((e: unknown) => this.options.log?.({ msg: 'workflow: the notification secret could not be read', error: e instanceof Error ? e.message : String(e) }));
  }

  /** Whether this instance runs the polling, reconciliation and heartbeat loops now (it holds the lease). */
  get isLeading(): boolean {
    return this.leading;
  }

  /**
   * Takes or renews the lease. On taking it, catches up at once every subscription the inbox
   * follows (`$status`, then `$events` for what it never received), so what was sent while no
   * instance — or a stopped one — was leading is not left waiting for a heartbeat.
   */
  private async renewLease(leaseMs: number): Promise<void> {
    const was = this.leading;
    try {
      this.leading = await this.inbox.lead(this.instanceId, leaseMs);
    } catch (e) {
      // Without the store it cannot know: it stops leading, and another instance takes over.
      this.leading = false;
      throw e;
    } finally {
      if (this.leading !== was) this.options.log?.({ msg: this.leading ? 'workflow: this instance now runs polling, reconciliation and heartbeat checks' : 'workflow: another instance runs polling, reconciliation and heartbeat checks', instance: this.instanceId });
    }
    if (this.leading && !was && !this.stopped) {
      const states = await this.inbox.subscriptionStates();
      for (const s of states) void this.receiver.catchUp(s.subscription);
    }
  }

  /** Whether the service is stopped (see {@link stop}). */
  get isStopped(): boolean {
    return this.stopped;
  }

  /**
   * Stops the service as if its process went down, keeping its inbox: the loops end (runs under way
   * finish), notifications are refused with 503 (not acknowledged, so not durable here: the EHR's
   * event log and `$events` still have them), live channels end and are refused until
   * {@link start} runs again, which catches up.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.endLiveChannels();
    await Promise.allSettled([...this.inFlight]);
    await this.receiver.settled();
    await this.draining;
    if (this.leading) {
      this.leading = false;
      // Given up at once, so another instance takes over without waiting for it to run out.
      await Promise.resolve(this.inbox.resign(this.instanceId)).catch((e: unknown) => this.options.log?.({ msg: 'workflow: giving up the lease failed', error: e instanceof Error ? e.message : String(e) }));
    }
  }

  async close(): Promise<void> {
    await this.stop();
    if (typeof this.options.inbox === 'string' || this.options.ownsInbox) await this.inbox.close();
  }

  /**
   * The credential the service puts in its Subscriptions' `channel.header` and requires on every
   * notification: `WORKFLOW_NOTIFICATION_SECRET` when set; otherwise one made at the first start
   * and kept in the inbox, so every instance on it, and every restart, accepts what the EHR sends
   * to Subscriptions made before. A failure to reach the inbox is tried again at the next call.
   */
  private notificationSecret(): Promise<string> {
    if (this.options.notificationSecret) return Promise.resolve(this.options.notificationSecret);
    this.secretLoad ??= Promise.resolve()
      .then(() => this.inbox.sharedSecret(randomBytes(32).toString('base64url')))
      .catch((e: unknown) => {
        this.secretLoad = null;
        throw e;
      });
    return this.secretLoad;
  }

  private authorized(header: string | undefined, secret: string): boolean {
    const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '');
    if (!m?.[1]) return false;
    const digest = (s: string) => createHash('sha256').update(s).digest();
    return timingSafeEqual(digest(m[1]), digest(secret));
  }

  /** The fastify plugin with the rest-hook endpoint. */
  readonly plugin: FastifyPluginAsync<WorkflowPluginOptions> = async (app: FastifyInstance, pluginOptions: WorkflowPluginOptions) => {
    app.addContentTypeParser('application/fhir+json', { parseAs: 'string' }, (_req, body, done) => {
      try {
        done(null, JSON.parse(body as string) as unknown);
      } catch {
        done(Object.assign(new Error('The body is not JSON.'), { statusCode: 400 }), undefined);
      }
    });
    app.post(NOTIFICATION_PATH, async (req, reply) => {
      let secret: string;
      try {
        secret = await this.notificationSecret();
      } catch {
        return reply.code(503).header('retry-after', '5').send({ error: 'unavailable', message: 'The workflow inbox cannot be reached; the notification was not accepted.' });
      }
      if (!this.authorized(req.headers.authorization, secret)) return reply.code(401).header('www-authenticate', 'Bearer realm="careloop-workflow"').send({ error: 'unauthorized' });
      if (this.stopped) return reply.code(503).header('retry-after', '5').send({ error: 'unavailable', message: 'The workflow service is stopped; the notification was not accepted.' });
      try {
        // Answered only after the events are durable in the inbox.
        const result = await this.receiver.receive(req.body);
        return reply.code(200).send({ type: result.type, received: result.outcomes.length, accepted: result.outcomes.filter((o) => o === 'accepted').length });
      } catch (e) {
        if (e instanceof NotificationRejected) return reply.code(400).send({ error: 'invalid-notification', message: e.message });
        req.log.error({ err: { message: e instanceof Error ? e.message : String(e) } }, 'notification not stored');
        return reply.code(503).header('retry-after', '5').send({ error: 'unavailable', message: 'The notification could not be stored; it was not accepted.' });
      }
    });

    // Open live channels would keep the server from closing: they end first.
    app.addHook('preClose', async () => this.endLiveChannels());

    // The admin status page: the admin credential as a bearer token (curl) or as the password of
    // HTTP Basic (a browser asks for it; any user name).
    const adminDigest = this.options.adminToken ? createHash('sha256').update(this.options.adminToken).digest() : null;
    app.get(STATUS_PATH, async (req, reply) => {
      void reply.header('cache-control', 'no-store');
      if (!adminDigest) return reply.code(403).send({ error: 'admin-not-configured', message: 'The status page needs AUDIT_ADMIN_TOKEN to be set on the server.' });
      const header = req.headers.authorization ?? '';
      const bearer = /^Bearer[ ]+(\S+)\s*$/i.exec(header)?.[1];
      const basic = /^Basic[ ]+([A-Za-z0-9+/=]+)\s*$/i.exec(header)?.[1];
      const given = bearer ?? (basic ? Buffer.from(basic, 'base64').toString('utf8').replace(/^[^:]*:/, '') : undefined);
      if (!given || !timingSafeEqual(createHash('sha256').update(given).digest(), adminDigest)) {
        return reply.code(401).header('www-authenticate', 'Basic realm="careloop-workflow-admin", charset="UTF-8"').send({ error: 'not-admin', message: 'The status page needs the admin credential.' });
      }
      return reply.type('text/html; charset=utf-8').send(await this.statusPage());
    });

    app.get('/api/workflow/metrics', async (_req, reply) => reply.type('text/plain; version=0.0.4; charset=utf-8').send(await this.metricsText()));

    // The sidebar's live channel (Server-Sent Events over fetch): the launch's SMART token, bound to its patient.
    app.get<{ Querystring: { patient?: string } }>(CHANGES_PATH, async (req, reply) => {
      const verify = pluginOptions.verifyToken;
      if (!verify) return reply.code(404).send({ error: 'not-found', message: 'No live channel on this server.' });
      if (this.stopped) return reply.code(503).header('retry-after', '5').send({ error: 'unavailable', message: 'The workflow service is stopped.' });
      const m = /^Bearer[ ]+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
      let token: { patient: string | null; exp: number };
      try {
        if (!m?.[1]) throw new Error('missing');
        const hint = req.headers['x-fhir-base'];
        token = await verify(m[1], typeof hint === 'string' ? hint : undefined);
      } catch {
        return reply.code(401).header('www-authenticate', 'Bearer realm="careloop-workflow", error="invalid_token"').send({ error: 'unauthorized' });
      }
      const patient = req.query.patient;
      if (!patient || !/^[A-Za-z0-9\-.]{1,64}$/.test(patient)) return reply.code(400).send({ error: 'invalid-request', message: 'patient must be a FHIR id' });
      if (token.patient !== patient) return reply.code(403).send({ error: 'forbidden', message: 'The token is not for this patient.' });
      reply.hijack();
      const res = reply.raw;
      // The response is written by hand: the headers fastify's hooks set (CORS for an app on another
      // origin, the security headers) are copied in.
      const set = Object.fromEntries(Object.entries(reply.getHeaders()).filter((e): e is [string, string | number | string[]] => e[1] !== undefined));
      res.writeHead(200, { ...set, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      res.write('retry: 5000\n: connected\n\n');
      // A sidebar open on a patient is a reason to watch that patient's chart.
      void this.watchPatient(patient).catch(() => undefined);
      const unsubscribe = this.onPatientChange(patient, (c) => res.write(`event: change\nid: ${c.event}\ndata: ${JSON.stringify(c)}\n\n`));
      const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
      // The stream ends when the token does: the app reconnects with a fresh one.
      const expiry = setTimeout(() => res.end(), Math.max(0, token.exp * 1000 - Date.now()));
      const stream = { end: () => res.end() };
      this.streams.add(stream);
      const stop = () => {
        clearInterval(keepAlive);
        clearTimeout(expiry);
        unsubscribe();
        this.streams.delete(stream);
      };
      res.on('close', stop);
      return reply;
    });
  };
}
