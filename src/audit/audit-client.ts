/**
 * The app's audit client: records events into a durable outbox at once (the clinician never waits
 * for the audit server), then delivers them in batches in the background, retrying with exponential
 * backoff and full jitter. An event leaves the outbox only when the server has acknowledged it;
 * the server's idempotency by event id makes a resend after a lost response harmless.
 *
 * Pure TypeScript (no React, no fhirclient): the access token comes from `getAccessToken`. The
 * delivery state lives in a vanilla zustand store changed only by `deliveryReducer`
 * (delivery-state.ts); this file does the effects: storage, timers, requests.
 */
import {
  MAX_AUDIT_BATCH,
  auditEventInputSchema,
  type AuditEventInput,
  type AuditEntry,
  type AuditTimelinePage,
} from '../shared/audit-event.ts';
import { ProblemError, isTransient, problemFromStatus, retryAfterMs } from '../shared/problem.ts';
import { createStore } from 'zustand/vanilla';
import { backoffCap, deliveryReducer, initialDeliveryState, nextBatch, type AuditDeliveryStatus, type DeliveryAction, type DeliveryState } from './delivery-state.ts';
import type { OutboxStorage } from './outbox-storage.ts';

/** An event as the app records it: the client fills in `id`, `clientTime` and `appVersion`. */
export type AuditEventDraft = Omit<AuditEventInput, 'id' | 'clientTime' | 'appVersion'> & { id?: string; clientTime?: string };

export type { AuditDeliveryStatus } from './delivery-state.ts';

/** Connectivity as the browser reports it. */
export interface Connectivity {
  isOnline(): boolean;
  /** Calls `onOnline` when the browser comes back online; returns an unsubscribe function. */
  subscribe(onOnline: () => void): () => void;
}

/** Options of {@link createAuditClient}. */
export interface AuditClientOptions {
  /** The audit API's base URL (`''` for the same origin), without `/api/...`. */
  baseUrl: string;
  /** The SMART access token, or null when there is none yet. */
  getAccessToken: () => Promise<string | null>;
  storage: OutboxStorage;
  appVersion: string;
  /** The FHIR base the app was launched with (sent as `X-FHIR-Base`, to pick the issuer of an opaque token). */
  fhirBase?: string;
  fetch?: typeof fetch;
  /** Events per request (1–100). Default 50. */
  batchSize?: number;
  /** How long to gather events before sending. Default 200 ms. */
  flushDelayMs?: number;
  /** Backoff base and cap. Default 1 s and 60 s. */
  backoff?: { baseMs: number; maxMs: number };
  /** Per-request timeout. Default 10 s. */
  timeoutMs?: number;
  random?: () => number;
  now?: () => number;
  connectivity?: Connectivity;
  newId?: () => string;
}

/** The audit client. */
export interface AuditClient {
  /**
   * Puts an event in the durable outbox and schedules delivery. Returns at once with the full
   * event (its `id` is what the server will deduplicate on); never throws for delivery problems.
   *
   * @throws {Error} only when the event itself is invalid (a programming error).
   */
  enqueue(draft: AuditEventDraft): AuditEventInput;
  /** Tries to deliver everything now (resolves when this attempt ends; failures schedule a retry). */
  flush(): Promise<void>;
  /** Reads back a patient's audit entries that Careloop itself wrote (verified actor a Careloop client; e.g. snoozes and dismissals at launch), newest first. */
  read(query: { patient: string; actions?: readonly string[]; limit?: number }): Promise<AuditEntry[]>;
  /** The current status; the same object until something changes (for useSyncExternalStore). */
  getStatus(): AuditDeliveryStatus;
  /** Calls `listener` whenever the status changes; returns an unsubscribe function. */
  subscribe(listener: () => void): () => void;
  /** Stops timers and listeners (pending events stay in the outbox for the next client). */
  stop(): void;
}

/** Browser connectivity from `navigator.onLine` and the window's `online` event. */
export function browserConnectivity(): Connectivity {
  return {
    isOnline: () => (typeof navigator === 'undefined' ? true : navigator.onLine !== false),
    subscribe(onOnline) {
      if (typeof window === 'undefined') return () => undefined;
      window.addEventListener('online', onOnline);
      return () => window.removeEventListener('online', onOnline);
    },
  };
}

/** What the audit API's failures are about, in a Problem. */
const AUDIT = { what: 'the audit trail' } as const;

/**
 * Creates the client and starts delivering whatever an earlier page left in the outbox.
 *
 * @example
 * const audit = createAuditClient({
 *   baseUrl: config.auditApiBaseUrl ?? '',
 *   getAccessToken: () => session.accessToken(),
 *   storage: sessionOutboxStorage(launchState),
 *   appVersion: '0.1.0',
 * });
 * audit.enqueue({ patient: 'ada', action: 'card-shown', ruleId: 'colorectal-cancer-screening', correlationId });
 */
export function createAuditClient(options: AuditClientOptions): AuditClient {
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const batchSize = Math.min(MAX_AUDIT_BATCH, Math.max(1, options.batchSize ?? 50));
  const flushDelayMs = options.flushDelayMs ?? 200;
  const backoff = options.backoff ?? { baseMs: 1000, maxMs: 60_000 };
  const timeoutMs = options.timeoutMs ?? 10_000;
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const connectivity = options.connectivity ?? browserConnectivity();
  const newId = options.newId ?? (() => crypto.randomUUID());
  const base = options.baseUrl.replace(/\/+$/, '');

  // The delivery state: a vanilla store, changed only through the reducer (delivery-state.ts).
  const store = createStore<DeliveryState>()(() => initialDeliveryState(options.storage.load(), connectivity.isOnline()));
  const dispatch = (action: DeliveryAction): void => store.setState((state) => deliveryReducer(state, action), true);
  // Durable first: the outbox is saved whenever it changes, before `record` returns.
  store.subscribe((state, previous) => {
    if (state.outbox === previous.outbox) return;
    try {
      options.storage.save(state.outbox);
    } catch {
      // Storage full or unavailable: the events stay in memory and are still delivered.
    }
  });

  // Effects, not state: the armed timer, the attempt under way, and whether the client was stopped.
  let timer: ReturnType<typeof setTimeout> | null = null;
  let inFlight: Promise<void> | null = null;
  let stopped = false;

  function arm(delayMs: number): void {
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      dispatch({ type: 'due' });
      void flush();
    }, delayMs);
  }

  function schedule(delayMs: number): void {
    if (stopped) return;
    arm(delayMs);
    dispatch({ type: 'scheduled', at: now() + delayMs });
  }

  function fail(error: string, retryAfter = 0): void {
    // Full jitter: clients that failed together do not come back together.
    const delayMs = Math.max(retryAfter, Math.floor(random() * backoffCap(store.getState().failures + 1, backoff)));
    if (!stopped) arm(delayMs);
    dispatch({ type: 'failed', error, retryAt: now() + delayMs });
  }

  function continueIfPending(): void {
    if (store.getState().outbox.pending.length > 0) schedule(0);
  }

  async function attempt(): Promise<void> {
    if (store.getState().outbox.pending.length === 0) return;
    // The `online` event resumes delivery.
    if (!connectivity.isOnline()) return dispatch({ type: 'offline' });
    const batch = nextBatch(store.getState(), batchSize);
    let token: string | null;
    try {
      token = await options.getAccessToken();
    } catch {
      token = null;
    }
    if (!token) return fail('no-token');
    let response: Response;
    try {
      response = await doFetch(`${base}/api/audit/events`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          // Only the acknowledgement is needed, not the stored records.
          prefer: 'return=minimal',
          ...(options.fhirBase ? { 'x-fhir-base': options.fhirBase } : {}),
        },
        body: JSON.stringify({ events: batch }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch {
      // No answer at all (offline, unreachable, our timeout): transient by the shared rule; try again later.
      return fail('network');
    }
    if (response.ok) {
      dispatch({ type: 'acknowledged', ids: batch.map((e) => e.id) });
      return continueIfPending();
    }
    const problem = problemFromStatus(response.status, { ...AUDIT, headers: response.headers });
    // Busy or failing (5xx, 429, 408): later, honouring Retry-After. A 401 refuses the token, not
    // the events: they wait for the next token (as with none at all) rather than being rejected.
    if (isTransient(problem) || problem.kind === 'unauthorized') return fail(`http-${response.status}`, retryAfterMs(problem) ?? 0);
    // A refusal of the content (400, 403, 409, 413 …).
    const first = batch[0];
    if (batch.length > 1 || !first) {
      dispatch({ type: 'batch-refused', size: batch.length });
      return schedule(0);
    }
    dispatch({ type: 'rejected', id: first.id, status: response.status });
    continueIfPending();
  }

  function flush(): Promise<void> {
    if (stopped) return Promise.resolve();
    inFlight ??= attempt().finally(() => {
      inFlight = null;
    });
    return inFlight;
  }

  const unsubscribeOnline = connectivity.subscribe(() => {
    dispatch({ type: 'online' });
    schedule(0);
  });
  continueIfPending();

  return {
    enqueue(draft) {
      const event = auditEventInputSchema.parse({
        ...draft,
        id: draft.id ?? newId(),
        clientTime: draft.clientTime ?? new Date(now()).toISOString(),
        appVersion: options.appVersion,
      });
      dispatch({ type: 'recorded', event, online: connectivity.isOnline() });
      // Gather a few events into one request, unless a retry is already scheduled.
      if (timer === null && inFlight === null) schedule(flushDelayMs);
      return event;
    },
    flush,
    async read(query) {
      const token = await options.getAccessToken();
      if (!token) throw new ProblemError({ kind: 'unauthorized', ...AUDIT });
      const params = new URLSearchParams({ patient: query.patient, limit: String(query.limit ?? 200) });
      if (query.actions && query.actions.length > 0) params.set('action', query.actions.join(','));
      // Only what Careloop itself recorded: a decision another app wrote never hides a gap.
      params.set('actor', 'careloop');
      const response = await doFetch(`${base}/api/audit/events?${params.toString()}`, {
        headers: { authorization: `Bearer ${token}`, ...(options.fhirBase ? { 'x-fhir-base': options.fhirBase } : {}) },
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!response.ok) throw new ProblemError(problemFromStatus(response.status, { ...AUDIT, headers: response.headers }));
      const page = (await response.json()) as AuditTimelinePage;
      return page.records;
    },
    getStatus: () => store.getState().status,
    subscribe(listener) {
      return store.subscribe((state, previous) => {
        if (state.status !== previous.status) listener();
      });
    },
    stop() {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      timer = null;
      unsubscribeOnline();
    },
  };
}
