/**
 * Keeps the sidebar's card in step with the chart while it is open: events drive immediacy,
 * polling guarantees completeness. Pure TypeScript (no React); src/features/live-updates/
 * live-updates-provider.tsx binds it to the query cache.
 *
 * - With a live channel configured, it reads the server's change stream (change-stream.ts) and
 *   calls `onChange` for each change of its patient.
 * - While the channel is down (it failed, ended, or none is configured), it polls: `poll()` one
 *   round at a time, every `pollMs` after a round that found a change, the interval doubling up to
 *   `pollIdleMaxMs` while nothing changes; a failed round backs off exponentially with full jitter
 *   up to `pollErrorMaxMs`, never sooner than the server's `Retry-After`.
 * - It reconnects with exponential backoff (`reconnectMs` doubling to `reconnectMaxMs`, jittered);
 *   a channel the server refuses for good (404: none on this server, 403: not this patient) is not
 *   retried. Once reconnected, one polling round covers what happened while it was down.
 */
import { ChannelError, readChangeStream, type LiveChange } from './change-stream.ts';

/** How fresh the card is. `checkedAt`: the last time a round confirmed the card (ms). */
export type LiveStatus =
  | { readonly kind: 'starting' }
  | { readonly kind: 'live'; readonly since: number }
  | { readonly kind: 'polling'; readonly reason: 'no-channel' | 'channel-down'; readonly checkedAt: number | null; readonly failing: boolean }
  | { readonly kind: 'stopped' };

export interface LiveTiming {
  readonly pollMs: number;
  readonly pollIdleMaxMs: number;
  readonly pollErrorMaxMs: number;
  readonly reconnectMs: number;
  readonly reconnectMaxMs: number;
  /** A stream open this long counts as healthy: the reconnect backoff starts over. */
  readonly healthyAfterMs: number;
}

export const DEFAULT_TIMING: LiveTiming = { pollMs: 5_000, pollIdleMaxMs: 60_000, pollErrorMaxMs: 300_000, reconnectMs: 1_000, reconnectMaxMs: 60_000, healthyAfterMs: 10_000 };

/** The server's live channel, when Careloop's server is deployed. */
export interface LiveChannelConfig {
  /** The audit API base (`""`: this origin). */
  readonly baseUrl: string;
  readonly fhirBase: string;
  /** The launch's SMART access token (refreshed when needed); null when the session is gone. */
  readonly accessToken: () => Promise<string | null>;
  readonly fetch: typeof fetch;
}

export interface LiveUpdatesOptions {
  readonly patientId: string;
  readonly channel: LiveChannelConfig | null;
  /**
   * One polling round: the resource types that changed (empty: none). Throw to back off; an error
   * with a numeric `retryAfter` (seconds) is honoured.
   */
  readonly poll: (signal: AbortSignal) => Promise<readonly string[]>;
  /** The chart changed: re-read it. */
  readonly onChange: (source: 'push' | 'poll') => void;
  readonly onStatus?: (status: LiveStatus) => void;
  readonly timing?: Partial<LiveTiming>;
  readonly now?: () => number;
  readonly random?: () => number;
}

export interface LiveUpdates {
  /** Starts the channel (and polling while it is down); returns the stop. Each start is a fresh run. */
  start(): () => void;
  status(): LiveStatus;
}

function retryAfterMs(error: unknown): number {
  const seconds = typeof error === 'object' && error !== null ? (error as { retryAfter?: unknown }).retryAfter : undefined;
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 0;
}

/**
 * @example
 * const live = createLiveUpdates({ patientId, channel, poll, onChange: () => refetch() });
 * const stop = live.start();
 */
export function createLiveUpdates(options: LiveUpdatesOptions): LiveUpdates {
  const timing = { ...DEFAULT_TIMING, ...options.timing };
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  let current: LiveStatus = { kind: 'starting' };
  const set = (status: LiveStatus) => {
    current = status;
    options.onStatus?.(status);
  };

  return {
    status: () => current,
    start() {
      const run = new AbortController();
      let pollTimer: ReturnType<typeof setTimeout> | null = null;
      let reconnectTimer: ReturnType<typeof setTimeout> | null = null;
      let pollInterval = timing.pollMs;
      let pollFailures = 0;
      let polling = false;
      let checkedAt: number | null = null;
      let reconnects = 0;
      let round: AbortController | null = null;

      const reason = (): 'no-channel' | 'channel-down' => (options.channel ? 'channel-down' : 'no-channel');

      /** One round; reports a change. `thenSchedule`: keep polling afterwards (the channel is down). */
      const pollOnce = async (thenSchedule: boolean): Promise<void> => {
        if (run.signal.aborted || round) return;
        round = new AbortController();
        const abort = () => round?.abort();
        run.signal.addEventListener('abort', abort);
        let delay: number;
        try {
          const changed = await options.poll(round.signal);
          if (run.signal.aborted) return;
          pollFailures = 0;
          checkedAt = now();
          pollInterval = changed.length ? timing.pollMs : Math.min(timing.pollIdleMaxMs, pollInterval * 2);
          delay = changed.length ? timing.pollMs : pollInterval;
          if (changed.length) options.onChange('poll');
        } catch (error) {
          if (run.signal.aborted) return;
          pollFailures++;
          const cap = Math.min(timing.pollErrorMaxMs, timing.pollMs * 2 ** Math.min(pollFailures, 20));
          delay = Math.max(retryAfterMs(error), timing.pollMs + random() * (cap - timing.pollMs));
        } finally {
          run.signal.removeEventListener('abort', abort);
          round = null;
        }
        if (polling && current.kind === 'polling') set({ kind: 'polling', reason: reason(), checkedAt, failing: pollFailures > 0 });
        if (thenSchedule && polling) schedulePoll(delay);
      };

      const schedulePoll = (delay: number) => {
        if (pollTimer) clearTimeout(pollTimer);
        pollTimer = setTimeout(() => {
          pollTimer = null;
          void pollOnce(true);
        }, delay);
      };

      const startPolling = (immediately: boolean) => {
        if (polling) return;
        polling = true;
        pollInterval = timing.pollMs;
        set({ kind: 'polling', reason: reason(), checkedAt, failing: pollFailures > 0 });
        if (immediately) void pollOnce(true);
        else schedulePoll(timing.pollMs);
      };

      const stopPolling = () => {
        polling = false;
        if (pollTimer) clearTimeout(pollTimer);
        pollTimer = null;
      };

      const connect = async (channel: LiveChannelConfig, reconnect: boolean): Promise<void> => {
        let openedAt: number | null = null;
        let permanent = false;
        try {
          const token = await channel.accessToken();
          if (run.signal.aborted) return;
          if (!token) throw new ChannelError('no access token', null, false);
          await readChangeStream({
            baseUrl: channel.baseUrl,
            patientId: options.patientId,
            accessToken: token,
            fhirBase: channel.fhirBase,
            fetch: channel.fetch,
            signal: run.signal,
            onOpen: () => {
              openedAt = now();
              stopPolling();
              set({ kind: 'live', since: openedAt });
              // What changed while the channel was down: one round, changes reported as usual.
              if (reconnect) void pollOnce(false);
            },
            onChange: (_change: LiveChange) => options.onChange('push'),
          });
        } catch (error) {
          permanent = error instanceof ChannelError && error.permanent;
        }
        if (run.signal.aborted) return;
        if (openedAt !== null && now() - openedAt >= timing.healthyAfterMs) reconnects = 0;
        // Down: poll at once (a change may have been missed), and try the channel again later.
        startPolling(openedAt !== null || reconnect);
        if (permanent) return;
        reconnects++;
        const cap = Math.min(timing.reconnectMaxMs, timing.reconnectMs * 2 ** Math.min(reconnects - 1, 20));
        reconnectTimer = setTimeout(() => {
          reconnectTimer = null;
          void connect(channel, true);
        }, cap / 2 + random() * (cap / 2));
      };

      if (options.channel) {
        set({ kind: 'starting' });
        void connect(options.channel, false);
      } else {
        startPolling(false);
      }

      return () => {
        run.abort();
        stopPolling();
        if (reconnectTimer) clearTimeout(reconnectTimer);
        set({ kind: 'stopped' });
      };
    },
  };
}
