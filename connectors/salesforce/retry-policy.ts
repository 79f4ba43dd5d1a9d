/**
 * Retries with exponential backoff. jsforce retries only GET, PUT, HEAD, OPTIONS and DELETE:
 * PATCH upserts, POST bulk calls and token requests would fail on the first 503, so Attain turns
 * jsforce's own retry off and retries every method here, counting each attempt.
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

/**
 * Salesforce's error codes for a condition that passes: the server is unavailable, a row is
 * locked by another transaction, a request ran past the server's time limit, an internal error.
 * They are ExceptionCode/StatusCode values of "Core Data Types Used in API Calls"
 * (https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_calls_concepts_core_data_objects.htm);
 * REST sends them in its error body `[{ "errorCode", "message" }]` ("Status Codes and Error
 * Responses", https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm:
 * 500 is an internal error, 503 "the server is down for maintenance" or overloaded).
 */
export const TRANSIENT_SALESFORCE_CODES: ReadonlySet<string> = new Set([
  'SERVER_UNAVAILABLE',
  'UNABLE_TO_LOCK_ROW',
  'REQUEST_RUNNING_TOO_LONG',
  'QUERY_TIMEOUT',
  'UNKNOWN_EXCEPTION',
]);

/** Codes that are never worth the same request again, whatever the status: handled by the caller. */
const FINAL_SALESFORCE_CODES = new Set(['REQUEST_LIMIT_EXCEEDED', 'INVALID_SESSION_ID']);

/**
 * A 5xx, a 429, one of Salesforce's transient codes, a timeout or a dropped connection: the same
 * request may well succeed later.
 *
 * jsforce names an error whose body is Salesforce's JSON by its `errorCode` and keeps no status,
 * so the status comes from `httpStatus`, which the client puts on every error it saw an answer
 * for; without it (a token request), from jsforce's `ERROR_HTTP_<status>` name for a body that
 * carries no code.
 */
export function isTransientError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { code, errorCode, type, httpStatus } = error as Error & {
    code?: string;
    errorCode?: string;
    type?: string;
    httpStatus?: number;
  };
  if (code !== undefined && TRANSIENT_CODES.has(code)) return true;
  // node-fetch (jsforce's transport) reports socket failures as FetchError type `system`.
  if (error.name === 'FetchError' && (type === 'system' || type === 'request-timeout')) return true;
  const name = errorCode ?? error.name;
  if (FINAL_SALESFORCE_CODES.has(name)) return false;
  if (TRANSIENT_SALESFORCE_CODES.has(name)) return true;
  const status = httpStatus ?? Number(/^ERROR_HTTP_(\d{3})$/.exec(name)?.[1] ?? NaN);
  return status === 429 || (status >= 500 && status <= 599);
}

/** Puts the HTTP status of the answer that failed on the error, where jsforce left it out. */
export function withHttpStatus(error: unknown, status: number | undefined): unknown {
  if (status !== undefined && error instanceof Error && !('httpStatus' in error)) {
    Object.defineProperty(error, 'httpStatus', { value: status, enumerable: true });
  }
  return error;
}

/** `SERVER_UNAVAILABLE (HTTP 503)`, `ECONNRESET`, …: the failure in a log line. */
export function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const { code, errorCode, httpStatus } = error as Error & { code?: string; errorCode?: string; httpStatus?: number };
  const what = code ?? errorCode ?? error.name;
  return httpStatus !== undefined && !what.endsWith(String(httpStatus)) ? `${what} (HTTP ${httpStatus})` : what;
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
