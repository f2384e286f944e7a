import { describe, expect, it } from 'vitest';
import { createRateLimiter } from '../../src/server/rate-limit.ts';

describe('the rate limiter', () => {
  it('keeps a separate bucket per key and refills it over time', () => {
    let now = 0;
    const limiter = createRateLimiter({ perSecond: 1, burst: 2, now: () => now });
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a')].map((d) => d.allowed)).toEqual([true, true, false]);
    expect(limiter.take('b').allowed).toBe(true);
    now = 1_000;
    expect(limiter.take('a').allowed).toBe(true);
  });

  it('drops the buckets idle longest when there are too many keys, never a flooder’s (it is not reset)', () => {
    const now = 0;
    const limiter = createRateLimiter({ perSecond: 0.001, burst: 1, now: () => now });
    expect(limiter.take('flooder').allowed).toBe(true);
    for (let i = 0; i < 60_000; i++) {
      limiter.take(`user-${i}`);
      if (i % 1_000 === 0) expect(limiter.take('flooder').allowed).toBe(false);
    }
    expect(limiter.take('flooder').allowed).toBe(false);
    // An early user, idle since, was dropped: a fresh bucket.
    expect(limiter.take('user-0').allowed).toBe(true);
  });
});
