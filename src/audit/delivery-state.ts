/**
 * The audit client's delivery state as a pure reducer over an action union: what waits in the
 * outbox, what the server refused, and where retrying stands. The client (audit-client.ts) keeps
 * this state in a vanilla zustand store and does the effects (storage, timers, fetch); every
 * change of state goes through {@link deliveryReducer}, so each step can be tested on its own.
 *
 * Pure: no clock, no randomness, no I/O. Times and the outcome of a request arrive in actions.
 */
import type { AuditEventInput } from '../shared/audit-event.ts';
import type { OutboxState } from './outbox-storage.ts';

/** Where delivery stands, for the "audit delivery is behind" indicator. */
export interface AuditDeliveryStatus {
  /** Events waiting for delivery. */
  pending: number;
  /** Events the server refused for good. */
  rejected: number;
  /** Failed attempts in a row (0 once a delivery succeeds). */
  failures: number;
  /** The last failure, as a short code (`network`, `http-503`, `no-token`, `offline`). */
  lastError: string | null;
  /** When the next attempt is due (ms since the epoch), if one is scheduled. */
  nextAttemptAt: number | null;
  /** True when events are waiting and delivery is failing or the browser is offline. */
  behind: boolean;
}

/** The delivery state the client's store holds. */
export interface DeliveryState {
  /** What is persisted: pending events (oldest first) and those refused for good. */
  outbox: OutboxState;
  failures: number;
  lastError: string | null;
  nextAttemptAt: number | null;
  /** After a batch is refused, how many events to send one at a time, until the bad one is found. */
  oneByOne: number;
  /** Whether the browser was online when last seen. */
  online: boolean;
  /** Derived from the fields above; the same object until one of its values changes. */
  status: AuditDeliveryStatus;
}

/** Everything that changes the delivery state. */
export type DeliveryAction =
  /** An event was recorded (with the browser's connectivity at that moment). */
  | { type: 'recorded'; event: AuditEventInput; online: boolean }
  /** An attempt is due at `at` (ms since the epoch). */
  | { type: 'scheduled'; at: number }
  /** The scheduled attempt's time has come. */
  | { type: 'due' }
  /** An attempt found the browser offline: it waits for the `online` event. */
  | { type: 'offline' }
  /** The browser came back online: the count of failures starts again. */
  | { type: 'online' }
  /** An attempt failed in a way worth retrying (`error` is its short code); the next is due at `retryAt`. */
  | { type: 'failed'; error: string; retryAt: number }
  /** The server acknowledged these events: they leave the outbox. */
  | { type: 'acknowledged'; ids: readonly string[] }
  /** The server refused a batch of `size` events: send them one at a time to find the bad one. */
  | { type: 'batch-refused'; size: number }
  /** The server refused this single event for good: it is kept as rejected, never resent. */
  | { type: 'rejected'; id: string; status: number };

/** How many refused events are kept for diagnosis. */
export const MAX_REJECTED = 100;

/**
 * The longest wait before retry number `failures` (1 for the first): exponential, capped. The
 * client waits a uniformly random time up to this (full jitter), so that clients which failed
 * together do not come back together.
 */
export function backoffCap(failures: number, backoff: { baseMs: number; maxMs: number }): number {
  return Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.min(Math.max(failures, 1) - 1, 30));
}

function statusOf(state: Omit<DeliveryState, 'status'>): AuditDeliveryStatus {
  const pending = state.outbox.pending.length;
  return {
    pending,
    rejected: state.outbox.rejected.length,
    failures: state.failures,
    lastError: state.lastError,
    nextAttemptAt: state.nextAttemptAt,
    behind: pending > 0 && (state.failures > 0 || !state.online),
  };
}

/** `next` with its status recomputed, keeping the previous status object when no value changed. */
function withStatus(previous: AuditDeliveryStatus, next: Omit<DeliveryState, 'status'>): DeliveryState {
  const status = statusOf(next);
  const same = (Object.keys(status) as Array<keyof AuditDeliveryStatus>).every((k) => status[k] === previous[k]);
  return { ...next, status: same ? previous : status };
}

/** The state a client starts from: the outbox as an earlier page left it. */
export function initialDeliveryState(outbox: OutboxState, online: boolean): DeliveryState {
  const base = { outbox, failures: 0, lastError: null, nextAttemptAt: null, oneByOne: 0, online };
  return { ...base, status: statusOf(base) };
}

/** One fewer event to send on its own (after a batch was refused). */
function countDown(oneByOne: number): number {
  return oneByOne > 0 ? oneByOne - 1 : 0;
}

/**
 * The next delivery state. Pure; exhaustive over {@link DeliveryAction}.
 *
 * @example
 * store.setState((state) => deliveryReducer(state, { type: 'acknowledged', ids }), true);
 */
export function deliveryReducer(state: DeliveryState, action: DeliveryAction): DeliveryState {
  const { status, ...s } = state;
  switch (action.type) {
    case 'recorded':
      return withStatus(status, { ...s, online: action.online, outbox: { ...s.outbox, pending: [...s.outbox.pending, action.event] } });
    case 'scheduled':
      return withStatus(status, { ...s, nextAttemptAt: action.at });
    case 'due':
      return withStatus(status, { ...s, nextAttemptAt: null });
    case 'offline':
      return withStatus(status, { ...s, online: false, lastError: 'offline' });
    case 'online':
      return withStatus(status, { ...s, online: true, failures: 0 });
    case 'failed':
      return withStatus(status, { ...s, failures: s.failures + 1, lastError: action.error, nextAttemptAt: action.retryAt });
    case 'acknowledged': {
      const sent = new Set(action.ids);
      return withStatus(status, {
        ...s,
        outbox: { ...s.outbox, pending: s.outbox.pending.filter((e) => !sent.has(e.id)) },
        failures: 0,
        lastError: null,
        oneByOne: countDown(s.oneByOne),
      });
    }
    case 'batch-refused':
      return withStatus(status, { ...s, oneByOne: action.size });
    case 'rejected': {
      const event = s.outbox.pending.find((e) => e.id === action.id);
      if (!event) return state;
      return withStatus(status, {
        ...s,
        outbox: {
          pending: s.outbox.pending.filter((e) => e.id !== action.id),
          rejected: [...s.outbox.rejected, { event, status: action.status, error: `http-${action.status}` }].slice(-MAX_REJECTED),
        },
        oneByOne: countDown(s.oneByOne),
      });
    }
  }
}

/** The events the next attempt sends: one while a refused batch is being split, else up to `batchSize`. */
export function nextBatch(state: DeliveryState, batchSize: number): AuditEventInput[] {
  return state.outbox.pending.slice(0, state.oneByOne > 0 ? 1 : batchSize);
}
