import { describe, expect, it } from 'vitest';
import { PortalRateLimiter } from '../../../connectors/hubspot/rate-limiter.js';
import { VirtualClock } from './virtual-clock.js';

describe('PortalRateLimiter', () => {
  it('lets a window fill, then waits until its oldest request leaves it', async () => {
    const clock = new VirtualClock();
    const limiter = new PortalRateLimiter({ perWindow: 190, windowMs: 10_000, searchPerSecond: 4 }, clock);
    for (let i = 0; i < 190; i++) await limiter.acquire('standard');
    expect(clock.time).toBe(0);
    await limiter.acquire('standard');
    // The oldest started at 0: the next may start once 10 s (and the latency guard) have passed.
    expect(clock.time).toBeGreaterThanOrEqual(10_000);
    expect(clock.time).toBeLessThan(10_100);
    expect(limiter.stats.requests).toBe(191);
  });

  it('keeps search requests to their own per-second limit within the shared window', async () => {
    const clock = new VirtualClock();
    const limiter = new PortalRateLimiter({ perWindow: 190, windowMs: 10_000, searchPerSecond: 4 }, clock);
    const starts: number[] = [];
    for (let i = 0; i < 9; i++) {
      await limiter.acquire('search');
      starts.push(clock.time);
    }
    // 4 in the first second, 4 in the next, the 9th in the third.
    expect(starts.filter((t) => t < 1000)).toHaveLength(4);
    expect(starts.filter((t) => t >= 1000 && t < 2000)).toHaveLength(4);
    expect(starts[8]).toBeGreaterThanOrEqual(2000);
    // Standard requests are not held back by the search limit.
    const before = clock.time;
    await limiter.acquire('standard');
    expect(clock.time).toBe(before);
  });

  it('holds back when the headers say the token is spent elsewhere, and adapts to a lower tier', async () => {
    const clock = new VirtualClock();
    const limiter = new PortalRateLimiter({ perWindow: 190, windowMs: 10_000, searchPerSecond: 4 }, clock);
    await limiter.acquire('standard');
    // Another integration used the same token: 0 left where the log expects 189.
    limiter.observe({
      'x-hubspot-ratelimit-max': '100',
      'x-hubspot-ratelimit-remaining': '0',
      'x-hubspot-ratelimit-interval-milliseconds': '10000',
    });
    expect(limiter.observedMax).toBe(100);
    await limiter.acquire('standard');
    expect(clock.time).toBeGreaterThanOrEqual(10_000);
    // The 100/10 s tier now applies: 98 more fit in this window, the 99th waits.
    const start = clock.time;
    for (let i = 0; i < 98; i++) await limiter.acquire('standard');
    expect(clock.time).toBe(start);
    await limiter.acquire('standard');
    expect(clock.time).toBeGreaterThan(start);
  });

  it('holds every request for a 429 Retry-After', async () => {
    const clock = new VirtualClock();
    const limiter = new PortalRateLimiter({ perWindow: 190, windowMs: 10_000, searchPerSecond: 4 }, clock);
    limiter.holdFor(3000);
    await limiter.acquire('standard');
    expect(clock.time).toBe(3000);
  });
});
