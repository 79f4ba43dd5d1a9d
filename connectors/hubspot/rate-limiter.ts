/**
 * One client-side rate limiter per HubSpot portal, shared by every request Attain makes to it
 * (sync, write-back, check, setup). HubSpot enforces a rolling window per token (190 requests per
 * 10 s on Professional and Enterprise private apps, 100 on Free/Starter and OAuth apps) and, for
 * the CRM search endpoints, a few requests per second. The client library has no limiter unless
 * given Bottleneck options, and its retry ignores Retry-After, so Attain keeps its own.
 *
 * The limiter is a sliding-window log: a request may start when fewer than `perWindow` requests
 * started in the last `windowMs`. That lets a fresh window burst (the server allows it) and then
 * waits exactly until the oldest request leaves the window. The `X-HubSpot-RateLimit-*` headers
 * correct it when someone else spends the same token's allowance (another integration, a second
 * process): the server's `Remaining` then falls below what the log expects, and the limiter holds
 * back until the window has turned over.
 */

export interface RateLimitOptions {
  /** Requests allowed per rolling window (HubSpot's `X-HubSpot-RateLimit-Max`). */
  perWindow: number;
  /** The rolling window, in milliseconds (HubSpot's `X-HubSpot-RateLimit-Interval-Milliseconds`). */
  windowMs: number;
  /** CRM search requests allowed per second. */
  searchPerSecond: number;
}

/** Time, injectable so the tests can run the limiter on a virtual clock (no timed assertions). */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', abort);
        resolve();
      }, ms);
      const abort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', abort, { once: true });
    }),
};

/**
 * HubSpot counts a request when it arrives, which is some time after we sent it and before its
 * answer reaches us. So each request is counted from its start, and once answered, from the
 * answer (the latest moment HubSpot can have counted it): a window we see as turned over has
 * turned over at HubSpot too. The guard covers the clocks' granularity.
 */
const WINDOW_GUARD_MS = 5;

/** A request's place in the windows: moved to its answer's time by `PortalRateLimiter.settle`. */
export interface RateTicket {
  at: number;
}

/** Requests counted within a sliding window. */
class SlidingWindow {
  private tickets: RateTicket[] = [];
  constructor(
    public limit: number,
    public windowMs: number,
  ) {}

  /** How long until one more request may start (0: now). */
  waitMs(now: number): number {
    this.prune(now);
    if (this.tickets.length < this.limit) return 0;
    const times = this.tickets.map((t) => t.at).sort((a, b) => a - b);
    const oldest = times[times.length - this.limit] ?? now;
    return Math.max(1, oldest + this.windowMs + WINDOW_GUARD_MS - now);
  }

  record(ticket: RateTicket): void {
    this.tickets.push(ticket);
  }

  /** Requests counted in the window ending now. */
  used(now: number): number {
    this.prune(now);
    return this.tickets.length;
  }

  private prune(now: number): void {
    const cutoff = now - this.windowMs - WINDOW_GUARD_MS;
    if (this.tickets.some((t) => t.at <= cutoff)) this.tickets = this.tickets.filter((t) => t.at > cutoff);
  }
}

export type RequestKind = 'search' | 'standard';

export class PortalRateLimiter {
  private readonly window: SlidingWindow;
  private readonly search: SlidingWindow;
  /** Set from the headers or a 429: nothing starts before this time. */
  private heldUntil = 0;
  /** Requests waiting their turn, so they start in arrival order. */
  private queue: Promise<void> = Promise.resolve();
  /** Figures for logs and the benchmark. */
  readonly stats = { requests: 0, searchRequests: 0, waitedMs: 0, heldByHeaders: 0 };
  /** The portal's own limit as its last response stated it (`attain hubspot check` compares it with the config). */
  observedMax: number | undefined;

  constructor(
    readonly options: RateLimitOptions,
    private readonly clock: Clock = systemClock,
  ) {
    this.window = new SlidingWindow(options.perWindow, options.windowMs);
    this.search = new SlidingWindow(options.searchPerSecond, 1000);
  }

  /** Waits for a turn and counts the request as started. Turns are taken in call order. */
  acquire(kind: RequestKind, signal?: AbortSignal): Promise<RateTicket> {
    const turn = this.queue.then(() => this.waitTurn(kind, signal));
    // A failed wait (aborted) must not block the requests queued after it.
    this.queue = turn.then(
      () => undefined,
      () => undefined,
    );
    return turn;
  }

  /** The request was answered: from now on it counts from its answer. */
  settle(ticket: RateTicket): void {
    ticket.at = Math.max(ticket.at, this.clock.now());
  }

  /**
   * Reads HubSpot's rate-limit headers from a response. `Max` and the interval follow the portal's
   * real tier (a configured 190 on a 100/10 s portal adapts down); a `Remaining` lower than the
   * log expects means the token's allowance is shared, so the limiter holds back for a window.
   */
  observe(headers: Record<string, string | undefined>): void {
    const max = Number(headers['x-hubspot-ratelimit-max']);
    const interval = Number(headers['x-hubspot-ratelimit-interval-milliseconds']);
    const remaining = Number(headers['x-hubspot-ratelimit-remaining']);
    if (Number.isInteger(max) && max > 0) this.observedMax = max;
    if (Number.isInteger(max) && max > 0 && max < this.window.limit) this.window.limit = max;
    if (Number.isInteger(interval) && interval > 0 && interval !== this.window.windowMs)
      this.window.windowMs = interval;
    if (Number.isInteger(remaining) && remaining >= 0) {
      const now = this.clock.now();
      const expected = this.window.limit - this.window.used(now);
      // One request of slack: ours may still be in flight when the server counted.
      if (remaining + 1 < expected) {
        this.stats.heldByHeaders++;
        this.holdFor(remaining === 0 ? this.window.windowMs : this.window.windowMs / this.window.limit);
      }
    }
  }

  /** Nothing starts for `ms` (a 429's Retry-After or the window). */
  holdFor(ms: number): void {
    this.heldUntil = Math.max(this.heldUntil, this.clock.now() + ms);
  }

  private async waitTurn(kind: RequestKind, signal?: AbortSignal): Promise<RateTicket> {
    for (;;) {
      const now = this.clock.now();
      const wait = Math.max(
        this.heldUntil - now,
        this.window.waitMs(now),
        kind === 'search' ? this.search.waitMs(now) : 0,
      );
      if (wait <= 0) {
        const ticket: RateTicket = { at: now };
        this.window.record(ticket);
        if (kind === 'search') {
          this.search.record(ticket);
          this.stats.searchRequests++;
        }
        this.stats.requests++;
        return ticket;
      }
      this.stats.waitedMs += wait;
      await this.clock.sleep(wait, signal);
    }
  }
}

/** The limiters of this process, one per portal (base URL and credential), so every client shares it. */
const limiters = new Map<string, PortalRateLimiter>();

export function limiterForPortal(portalKey: string, options: RateLimitOptions): PortalRateLimiter {
  let limiter = limiters.get(portalKey);
  if (!limiter) limiters.set(portalKey, (limiter = new PortalRateLimiter(options)));
  return limiter;
}
