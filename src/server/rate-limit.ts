/**
 * Token buckets by key: `burst` requests at once, refilled at `perSecond`. In memory, per process
 * (one audit server per deployment). The audit API keys one limiter by user and patient and another
 * by client (app.ts).
 */

/** Most keys kept before refilled buckets are swept. */
const MAX_BUCKETS = 50_000;

/** The limiter's verdict. */
export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** A per-key token bucket. */
export interface RateLimiter {
  take(key: string): RateDecision;
}

/** Creates a limiter. `perSecond <= 0` disables it. */
export function createRateLimiter(options: { perSecond: number; burst: number; now?: () => number }): RateLimiter {
  const now = options.now ?? Date.now;
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(key) {
      if (options.perSecond <= 0) return { allowed: true };
      const t = now();
      const b = buckets.get(key) ?? { tokens: options.burst, at: t };
      b.tokens = Math.min(options.burst, b.tokens + ((t - b.at) / 1000) * options.perSecond);
      b.at = t;
      // Most recently used last (delete, then set), so that when there are too many keys (they are
      // per user and patient) the ones dropped are those idle longest, never a flooder's.
      buckets.delete(key);
      buckets.set(key, b);
      if (buckets.size > MAX_BUCKETS) {
        for (const k of buckets.keys()) {
          if (buckets.size <= MAX_BUCKETS * 0.9) break;
          buckets.delete(k);
        }
      }
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return { allowed: true };
      }
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - b.tokens) / options.perSecond)) };
    },
  };
}
