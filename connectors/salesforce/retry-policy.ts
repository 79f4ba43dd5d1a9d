/**
 * Retries with exponential backoff. jsforce retries only GET, PUT, HEAD, OPTIONS and DELETE
 * (jsforce 3, its HTTP layer): PATCH upserts, POST bulk calls and token requests would fail on the first 503, so
 * Attain turns jsforce's own retry off and retries every method here, counting each attempt.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface RetryPolicy {
  /** Attempts after the first. */
  retries: number;
  /** The first wait; each later one doubles it. */
  baseDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 4, baseDelayMs: 1_000 };

/** Socket-level failures worth another try (the same list jsforce retries on). */
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ENOTFOUND',
  'ENETDOWN',
  'ENETUNREACH',
  'EHOSTDOWN',
  'UND_ERR_SOCKET',
  'ETIMEDOUT',
  'EPIPE',
]);

/** A 5xx, a 429, a timeout or a dropped connection: the same request may well succeed later. */
export function isTransientError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { code, errorCode, type } = error as Error & { code?: string; errorCode?: string; type?: string };
  if (code !== undefined && TRANSIENT_CODES.has(code)) return true;
  // node-fetch (jsforce's transport) reports socket failures as FetchError type `system`.
  if (error.name === 'FetchError' && (type === 'system' || type === 'request-timeout')) return true;
  // jsforce names an HTTP error without a Salesforce error code `ERROR_HTTP_<status>`.
  const status = /^ERROR_HTTP_(\d{3})$/.exec(errorCode ?? error.name)?.[1];
  return status !== undefined && (status === '429' || status.startsWith('5'));
}

export async function withRetries<T>(
  attempt: () => Promise<T>,
  policy: RetryPolicy,
  retryable: (error: unknown) => boolean,
  onRetry?: (error: unknown, wait: number) => void,
): Promise<T> {
  for (let tries = 0; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (tries >= policy.retries || !retryable(error)) throw error;
      const wait = policy.baseDelayMs * 2 ** tries;
      onRetry?.(error, wait);
      await sleep(wait);
    }
  }
}
